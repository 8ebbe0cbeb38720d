"""`copilot check` and `copilot suggest`: one message through the safety gate or the whole
pipeline, from the terminal."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from copilot.cli.app import app
from copilot.errors import CopilotError
from copilot.settings import get_settings


def _read_input(path: Path | None, what: str, parse, default):
    """A YAML/JSON input file parsed by `parse`; errors name the file and what was wrong."""
    if path is None:
        return default
    from copilot.ingest.yamlfile import read_yaml

    data = read_yaml(path)
    try:
        return parse(data)
    except Exception as exc:
        raise CopilotError(f"{path}: invalid {what}: {exc}") from None


def _read_profile(path: Path | None):
    from copilot.schemas import Profile

    return _read_input(path, "profile", lambda d: Profile.model_validate(d or {}), Profile())


def _read_history(path: Path | None):
    from copilot.schemas import Turn

    return _read_input(
        path,
        "history (a list of {role, text})",
        lambda rows: [
            Turn.model_validate(r) if isinstance(r, dict) else Turn(text=str(r)) for r in rows or []
        ],
        [],
    )


def _inputs(case) -> dict:
    return {
        "message": case.message,
        "history": case.history,
        "profile": case.profile,
        "cart": case.cart,
    }


def _batch(path: Path, handle) -> None:
    """Every case of the file through `handle`, one JSON line each; a summary on stderr."""
    from copilot.cli.batch import run_batch

    if not path.exists():
        raise CopilotError(f"{path}: no such file")
    done, failed = run_batch(path, handle, typer.echo)
    typer.echo(f"{done} cases done, {failed} failed", err=True)


@app.command("check")
def check_cmd(
    message: str = typer.Argument(None, help="The customer's message."),
    batch: Path = typer.Option(
        None, "--batch", help="JSONL or YAML list of cases; one JSON line per case out."
    ),
    profile: Path = typer.Option(None, help="YAML or JSON customer profile (see schemas.Profile)."),
    cart: list[str] = typer.Option(None, "--cart", help="Cart product (label id or name)."),
    history: Path = typer.Option(None, help="YAML list of earlier turns {role, text}."),
    as_json: bool = typer.Option(False, "--json", help="Print the verdict as JSON."),
) -> None:
    """Triage, medication alerts and the verdict for one message (no draft)."""
    from copilot.schemas import CartItem
    from copilot.wiring import open_copilot

    # the pipeline's own assessment: the same reading and scope as `suggest`, no drafting
    copilot = open_copilot(get_settings())
    if batch is not None:
        _batch(
            batch,
            lambda c: {"verdict": json.loads(copilot.assess(**_inputs(c)).model_dump_json())},
        )
        return
    if not message:
        raise CopilotError("give the customer's message, or --batch FILE")
    verdict = copilot.assess(
        message=message,
        history=_read_history(history),
        profile=_read_profile(profile),
        cart=[CartItem(product=c) for c in cart or []],
    )
    if as_json:
        typer.echo(verdict.model_dump_json(indent=1))
        return
    from copilot.cli.report import print_verdict

    print_verdict(verdict, typer.echo)


@app.command("suggest")
def suggest_cmd(
    message: str = typer.Argument(None, help="The customer's message."),
    batch: Path = typer.Option(
        None, "--batch", help="JSONL or YAML list of cases; one JSON line per case out."
    ),
    history: Path = typer.Option(None, help="YAML list of earlier turns {role, text}."),
    profile: Path = typer.Option(None, help="YAML or JSON customer profile."),
    cart: list[str] = typer.Option(None, "--cart", help="Cart product (label id or name)."),
    provider: str = typer.Option(None, help="extractive or openai (default from settings)."),
    as_json: bool = typer.Option(False, "--json", help="Print the Suggestion as JSON."),
) -> None:
    """Draft a reply (or the holding reply) with sources, alerts and the verdict."""
    from copilot.cli.report import print_suggestion
    from copilot.schemas import CartItem
    from copilot.wiring import open_copilot

    if provider not in (None, "extractive", "openai"):
        raise CopilotError(f"--provider must be extractive or openai, not {provider!r}")
    copilot = open_copilot(get_settings())
    if batch is not None:
        _batch(
            batch,
            lambda c: {
                "suggestion": json.loads(
                    copilot.suggest(**_inputs(c), provider=provider).model_dump_json()
                )
            },
        )
        return
    if not message:
        raise CopilotError("give the customer's message, or --batch FILE")
    suggestion = copilot.suggest(
        message=message,
        history=_read_history(history),
        profile=_read_profile(profile),
        cart=[CartItem(product=c) for c in cart or []],
        provider=provider,
    )
    if as_json:
        typer.echo(suggestion.model_dump_json(indent=1))
        return
    print_suggestion(suggestion, typer.echo)
