"""Reading an eval set's rows into its pydantic case model, with errors that name the file and
the case."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from copilot.errors import knowledge_error_from_validation

Case = TypeVar("Case", bound=BaseModel)


def validated(rows: list, model: type[Case], path: Path) -> list[Case]:
    """Each row as `model`; the first invalid one raises a KnowledgeError naming case n."""
    out: list[Case] = []
    for n, row in enumerate(rows or [], start=1):
        try:
            out.append(model.model_validate(row))
        except ValidationError as exc:
            raise knowledge_error_from_validation(exc, path=path, what=f"case {n}") from None
    return out
