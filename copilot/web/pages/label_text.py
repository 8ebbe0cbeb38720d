"""A label section's text as the knowledge pages show it: Markdown tables (the dose tables by
age and weight) become tables, everything else stays text. Only structure is returned; the
templates escape every cell and line (autoescape), so no HTML is built here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")


@dataclass
class Block:
    """Either `text` (lines as written) or a table: `header` cells and `rows` of cells."""

    text: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)

    @property
    def is_table(self) -> bool:
        return bool(self.header or self.rows)


def _is_row(line: str) -> bool:
    s = line.strip()
    return s.startswith("|") and s.count("|") >= 2


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def blocks(text: str) -> list[Block]:
    """`text` split into text blocks and tables, in order."""
    out: list[Block] = []
    lines = text.split("\n")
    prose: list[str] = []
    i = 0
    while i < len(lines):
        if _is_row(lines[i]):
            j = i
            while j < len(lines) and _is_row(lines[j]):
                j += 1
            table = lines[i:j]
            if prose:
                out.append(Block(text="\n".join(prose).strip("\n")))
                prose = []
            if len(table) >= 2 and _SEPARATOR.match(table[1].strip()):
                out.append(Block(header=_cells(table[0]), rows=[_cells(r) for r in table[2:]]))
            else:
                out.append(
                    Block(rows=[_cells(r) for r in table if not _SEPARATOR.match(r.strip())])
                )
            i = j
            continue
        prose.append(lines[i])
        i += 1
    if prose and "\n".join(prose).strip():
        out.append(Block(text="\n".join(prose).strip("\n")))
    return [b for b in out if b.is_table or b.text.strip()]


def plain(text: str) -> str:
    """`text` with table rows read as cells joined by " · " and separator rows dropped (for
    the one-line excerpts of search results)."""
    lines = []
    for line in text.split("\n"):
        if _SEPARATOR.match(line.strip()):
            continue
        lines.append(" · ".join(_cells(line)) if _is_row(line) else line)
    return "\n".join(lines)
