"""`copilot check --batch FILE` / `copilot suggest --batch FILE`: replay many cases with the
index loaded once. Input: JSONL (one case a line) or a YAML/JSON list of
`{"id", "message", "history"?, "profile"?, "cart"?}`; output: one JSON line per case,
`{"id", "verdict"}` / `{"id", "suggestion"}`, or `{"id", "error"}` for a case that is bad or
failed (the others still run)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from copilot.errors import CopilotError
from copilot.schemas import CartItem, Profile, Turn


class BatchCase(BaseModel):
    model_config = ConfigDict(extra="ignore")  # replayed sets carry their own fields (expect…)
    id: str
    message: str = Field(min_length=1, max_length=2000)
    history: list[Turn] = Field(default_factory=list)
    profile: Profile = Field(default_factory=Profile)
    cart: list[CartItem] = Field(default_factory=list)

    @field_validator("cart", mode="before")
    @classmethod
    def _cart_items(cls, value):
        return [{"product": v} if isinstance(v, str) else v for v in value or []]


def read_cases(path: Path) -> Iterator[tuple[str, dict | None, str | None]]:
    """(id, raw case, error) for each case in the file, in order."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                yield f"line-{n}", None, f"{path}:{n}: not JSON ({exc.msg})"
                continue
            yield str(row.get("id", f"line-{n}")), row, None
        return
    import yaml

    try:
        rows = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CopilotError(f"{path}: malformed YAML/JSON ({exc})") from None
    if isinstance(rows, dict):  # a held-out file: its escalation and medchecks lists
        rows = [*(rows.get("escalation") or []), *(rows.get("medchecks") or [])]
    if not isinstance(rows, list):
        raise CopilotError(f"{path}: expected a list of cases (or JSONL, one case a line)")
    for n, row in enumerate(rows, start=1):
        yield str((row or {}).get("id", f"case-{n}")), row, None


def run_batch(
    path: Path, handle: Callable[[BatchCase], dict], echo: Callable[[str], None]
) -> tuple[int, int]:
    """Run every case; returns (done, failed)."""
    done = failed = 0
    for case_id, row, error in read_cases(path):
        if error is None:
            try:
                case = BatchCase.model_validate(row)
                out = {"id": case.id, **handle(case)}
                done += 1
            except ValidationError as exc:
                first = exc.errors()[0]
                loc = ".".join(str(p) for p in first["loc"])
                error = f"field `{loc}`: {first['msg']}"
            except CopilotError as exc:
                error = str(exc)
        if error is not None:
            out = {"id": case_id, "error": error}
            failed += 1
        echo(json.dumps(out, ensure_ascii=False))
    return done, failed
