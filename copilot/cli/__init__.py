"""`copilot` command line: knowledge base, check and suggest, server and users, benchmarks,
evals. One module per command family; `app.py` holds the groups and the one error handler."""

from __future__ import annotations

from copilot.cli import bench, chat, evals, kb, privacy, serve, users  # noqa: F401  (registers them)
from copilot.cli.app import app

__all__ = ["app"]
