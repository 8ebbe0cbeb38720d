"""The offline extractive composer: a reply built only from sentences of the cited label and
policy chunks, arranged by a Jinja2 template that follows the QA rubric (您好; numbered points,
each cited; the dose restated for the customer to confirm; the label's special-population
note; a follow-up question, or the counselling questions when who/age/other medicines are
unknown). Deterministic: nothing is written beyond the template's own phrases."""

from __future__ import annotations

import re
from dataclasses import dataclass

from copilot.drafting.prompts import load_prompt
from copilot.ingest.lexicon import normalize
from copilot.safety.quantities import extract_quantities
from copilot.schemas import Chunk, Citation, RetrievedChunk, Triage

MAX_POINTS = 4
_SPLIT = re.compile(r"(?<=[。；;！!？?])|\n")
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d+[.、)）]|[（(]\d+[)）])\s*")
_POPULATION_SECTIONS = {
    "pregnant": "孕妇及哺乳期妇女用药",
    "breastfeeding": "孕妇及哺乳期妇女用药",
    "child": "儿童用药",
    "infant": "儿童用药",
    "elderly": "老年用药",
}
COUNSELLING_QUESTION = (
    "为了更准确地帮您，请问是给谁用（成人还是孩子，多大年龄）？症状持续多久了？"
    "目前是否在服用其他药物，有没有药物过敏史？"
)
FOLLOW_UP = "请问还有其他可以帮您的吗？"
CANNOT_DRAFT = (
    "您好，您的问题我需要进一步确认，请您补充一下具体想咨询的药品名称或订单情况，我马上为您查询。"
)


@dataclass
class Point:
    text: str
    n: int
    kind: str


def sentences(text: str) -> list[str]:
    out = []
    for piece in _SPLIT.split(text):
        piece = _BULLET.sub("", piece).strip()
        if len(piece) >= 4 and not piece.startswith("|"):
            out.append(piece)
    return out


def _score(sentence: str, query_tokens: set[str], intents: list[str]) -> float:
    norm = normalize(sentence)
    score = sum(1.0 for t in query_tokens if len(t) > 1 and t in norm)
    if "dose_usage" in intents and any(
        q.kind in ("dose", "frequency") for q in extract_quantities(sentence)
    ):
        score += 2.0
    return score


def choose_sources(retrieved: list[RetrievedChunk], triage: Triage, limit: int = 3) -> list[Chunk]:
    """The chunks a draft should rest on, best fused score first: only the drugs the message
    names when it names any, else the best hit."""
    linked = {d.doc_id for d in triage.drugs if d.source == "message"}
    ranked = sorted(retrieved, key=lambda r: -r.score)
    chosen = [r.chunk for r in ranked if not linked or r.chunk.doc_id in linked][:limit]
    return chosen or [r.chunk for r in retrieved[:1]]


def compose(
    *,
    message: str,
    triage: Triage,
    sources: list[Chunk],
    extra: dict[str, Chunk],
    query_words: list[str],
) -> tuple[str, list[Citation]]:
    """Draft text and its numbered citations. `extra` maps a population section to a chunk of
    the same drug (for the special-population note)."""
    query_tokens = set(query_words)
    citations: list[Citation] = []
    points: list[Point] = []
    for chunk in sources:
        if len(points) >= MAX_POINTS:
            break
        n = len(citations) + 1
        citations.append(Citation.from_chunk(n, chunk))
        ranked = sorted(
            enumerate(sentences(chunk.text)),
            key=lambda item: (-_score(item[1], query_tokens, triage.intents), item[0]),
        )
        best = sorted(ranked[:2], key=lambda item: item[0])
        for _, sentence in best:
            if len(points) < MAX_POINTS:
                points.append(Point(text=sentence.rstrip("。；;"), n=n, kind=chunk.kind))
    dose_check = None
    if "dose_usage" in triage.intents:
        dose_check = next(
            (
                p
                for p in points
                if any(q.kind in ("dose", "frequency") for q in extract_quantities(p.text))
            ),
            None,
        )
    population_note = None
    for population, section in _POPULATION_SECTIONS.items():
        if triage.has_population(population) and section in extra:
            chunk = extra[section]
            n = len(citations) + 1
            citations.append(Citation.from_chunk(n, chunk))
            first = sentences(chunk.text)[:1]
            if first:
                population_note = Point(text=first[0].rstrip("。；;"), n=n, kind=chunk.kind)
            break
    who_known = (
        triage.child_age_years is not None
        or triage.patient_age_years is not None
        or any(not p.negated for p in triage.populations)
    )
    asks = {"dose_usage", "product_choice", "indication"} & set(triage.intents)
    follow_up = COUNSELLING_QUESTION if asks and triage.drugs and not who_known else FOLLOW_UP
    label_title = next((c.title for c in sources if c.kind == "label"), None)
    subject = f"{label_title}" if label_title else (sources[0].title if sources else "您的问题")
    text = load_prompt("draft_extractive").render(
        subject=subject,
        points=points,
        dose_check=dose_check,
        population_note=population_note,
        follow_up=follow_up,
    )
    return text, citations
