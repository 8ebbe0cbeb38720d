"""What the composer works on: one message as it sees it (`Request`) and the reply it
assembles (`Answer`, made of `Line`s: a short lead and the unit quoted)."""

from __future__ import annotations

from dataclasses import dataclass, field

from copilot.drafting.units import Unit
from copilot.schemas import Chunk, Profile, RetrievedChunk, Triage


@dataclass
class Line:
    lead: str
    unit: Unit
    n: int = 0


@dataclass
class Answer:
    """What the composer hands the template."""

    subject: str
    basis: str  # 说明书 | 平台规定 | 说明书和平台规定
    lines: list[Line] = field(default_factory=list)
    cautions: list[Line] = field(default_factory=list)
    asks: list[str] = field(default_factory=list)
    by_age: Line | None = None  # the dose depends on an age or weight not known yet


@dataclass
class Request:
    """One message as the composer sees it (built by the pipeline)."""

    message: str
    triage: Triage
    profile: Profile
    products: list[str]  # label ids the question is about, first = in focus
    product_chunks: dict[str, list[Chunk]]  # every chunk of those labels, in order
    product_names: dict[str, str]  # label id → name to show
    strong: list[RetrievedChunk]  # hits a draft may rest on (already filtered to the products)
    cues: list[str]  # sections / policy ids the question points at
    query_words: list[str]
    history: list = field(default_factory=list)  # earlier turns
    medicines: dict[str, list[str]] = field(default_factory=dict)  # other medicine → its words
    query_vector: list[float] | None = None  # the question's embedding (retrieval's)
