"""`python -m copilot.cli`: the same as the `copilot` command."""

from copilot.cli import app

app()
