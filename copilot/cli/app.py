"""The `copilot` command group and its sub-groups, with the one error handler: every
`CopilotError` a command raises is printed as `error: …` (what, where, what to do) and exits 2."""

from __future__ import annotations

import typer
from typer.core import TyperGroup

from copilot.errors import CopilotError


class _Commands(TyperGroup):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CopilotError as exc:
            typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
            raise typer.Exit(code=2) from None


app = typer.Typer(
    cls=_Commands,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="药房客服助手 copilot.",
)
kb = typer.Typer(no_args_is_help=True, help="Knowledge base: build and search the index.")
bench = typer.Typer(no_args_is_help=True, help="Benchmarks.")
evals = typer.Typer(no_args_is_help=True, help="Evaluation runs and the quality gate.")
users = typer.Typer(no_args_is_help=True, help="Users of the web service.")
privacy = typer.Typer(no_args_is_help=True, help="Personal data: deletion and retention.")
app.add_typer(kb, name="kb")
app.add_typer(bench, name="bench")
app.add_typer(evals, name="eval")
app.add_typer(users, name="users")
app.add_typer(privacy, name="privacy")
