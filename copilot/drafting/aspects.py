"""What a question asks about a product: aspects (dose, interval, alcohol, storage …) read from
`knowledge/lexicon/answer_aspects.yaml`. Each aspect says how customers ask it, which sections
usually answer it and what a sentence that states it looks like."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from copilot.errors import KnowledgeError
from copilot.ingest.yamlfile import read_yaml

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Aspect:
    name: str
    label: str
    ask: tuple[re.Pattern, ...]
    states: tuple[re.Pattern, ...]
    sections: tuple[str, ...]
    max_units: int = 1
    instead_of: tuple[str, ...] = ()
    prefer: tuple[re.Pattern, ...] = ()  # a unit matching one states the fact most directly

    def preferred(self, text: str) -> bool:
        return any(p.search(text) for p in self.prefer)

    def asked_in(self, text: str) -> bool:
        return any(p.search(text) for p in self.ask)

    def stated_in(self, text: str) -> bool:
        return any(p.search(text) for p in self.states)


def _compile(path: Path, name: str, key: str, raw: object) -> tuple[re.Pattern, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise KnowledgeError(f"aspect {name}: `{key}` must be a list", path=path)
    out = []
    for pattern in raw:
        try:
            out.append(re.compile(str(pattern), re.IGNORECASE))
        except re.error as exc:
            raise KnowledgeError(
                f"aspect {name}: `{key}` pattern {pattern!r} does not compile ({exc})",
                path=path,
                fix="write a Python regular expression",
            ) from None
    return tuple(out)


def load_aspects(knowledge_dir: Path) -> dict[str, Aspect]:
    """The aspects, or none when the file is missing (like the other lexicon files): the
    composer then answers from the retrieved sections' best-matching sentences only."""
    path = knowledge_dir / "lexicon" / "answer_aspects.yaml"
    if not path.exists():
        log.warning("lexicon file %s is missing; drafts quote retrieved sections only", path)
        return {}
    data = read_yaml(path)
    rows = data.get("aspects") if isinstance(data, dict) else None
    if not isinstance(rows, dict):
        raise KnowledgeError(
            "expected a top-level `aspects:` mapping",
            path=path,
            fix="see the header of knowledge/lexicon/answer_aspects.yaml for the format",
        )
    aspects: dict[str, Aspect] = {}
    for name, row in rows.items():
        if not isinstance(row, dict) or not row.get("label"):
            raise KnowledgeError(f"aspect {name}: needs a `label`", path=path)
        aspects[str(name)] = Aspect(
            name=str(name),
            label=str(row["label"]),
            ask=_compile(path, name, "ask", row.get("ask")),
            states=_compile(path, name, "states", row.get("states")),
            sections=tuple(str(s) for s in row.get("sections") or ()),
            max_units=int(row.get("max_units", 1)),
            instead_of=tuple(str(a) for a in row.get("instead_of") or ()),
            prefer=_compile(path, name, "prefer", row.get("prefer")),
        )
    return aspects
