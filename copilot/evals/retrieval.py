"""Retrieval evaluation over evals/datasets/retrieval_*.yaml, with a threshold gate."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from copilot.errors import KnowledgeError
from copilot.retrieval.hybrid import HybridRetriever
from copilot.settings import get_settings


def evals_dir() -> Path:
    """The project's evals/ folder (settings: COPILOT_PROJECT_DIR)."""
    return get_settings().evals_dir


class AlsoRight(BaseModel):
    """Another passage that answers the question, as judged by a reviewer who did not write the
    case (the answer sits in two sections: 孕妇能吃吗 in 禁忌 and 孕妇及哺乳期妇女用药; a two-drug
    interaction stated in either drug's label)."""

    model_config = ConfigDict(extra="forbid")
    doc: str
    section: str
    by: str = Field(description="Who judged it, and when.")


class RetrievalCase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    question: str
    expect_doc: str | list[str] = Field(description="Document id, or ids any of which is right.")
    expect_section: str | list[str] | None = None
    also: list[AlsoRight] = Field(default_factory=list)

    def matches(self, doc_id: str, section: str, *, strict: bool = False) -> bool:
        """Is this passage right? `strict`: only the case author's own label (not `also`)."""
        if not strict and any(a.doc == doc_id and a.section == section for a in self.also):
            return True
        docs = [self.expect_doc] if isinstance(self.expect_doc, str) else self.expect_doc
        if doc_id not in docs:
            return False
        if self.expect_section is None:
            return True
        wanted = self.expect_section
        return section in ([wanted] if isinstance(wanted, str) else wanted)


class RetrievalCaseResult(BaseModel):
    case: RetrievalCase
    rank: int | None = Field(description="1-based rank of the first right chunk; None = missed.")
    strict_rank: int | None = Field(default=None, description="The same on the author's labels.")
    top: list[str] = Field(description="doc · section of the top results.")
    ms: float


class RetrievalMetrics(BaseModel):
    cases: int
    hit_at_1: float
    hit_at_5: float
    mrr: float
    p50_ms: float
    p95_ms: float
    failures: list[RetrievalCaseResult]
    hit_at_1_strict: float = Field(
        default=0.0, description="hit@1 on the case authors' own labels, reviewed alternatives off."
    )
    mrr_strict: float = 0.0


def load_cases(folder: Path | None = None) -> list[RetrievalCase]:
    folder = folder or evals_dir() / "datasets"
    cases: list[RetrievalCase] = []
    for path in sorted(folder.glob("retrieval_*.yaml")):
        rows = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        for n, row in enumerate(rows, start=1):
            try:
                cases.append(RetrievalCase.model_validate(row))
            except Exception as exc:
                raise KnowledgeError(f"case {n} is invalid: {exc}", path=path) from None
    ids = [c.id for c in cases]
    if len(ids) != len(set(ids)):
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        raise KnowledgeError(f"duplicate case ids: {dupes[:5]}", path=folder)
    return cases


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[pos]


def score_retrieval(
    cases: list[RetrievalCase],
    hits_for: Callable[[str], list[tuple[str, str]]],
    k: int = 5,
) -> RetrievalMetrics:
    """Score ranked (document, section) hits for each question: hit@1, hit@k, MRR, latency."""
    results: list[RetrievalCaseResult] = []
    for case in cases:
        started = time.perf_counter()
        hits = hits_for(case.question)[:k]
        ms = (time.perf_counter() - started) * 1000
        ranks = [
            next(
                (
                    n
                    for n, (doc_id, section) in enumerate(hits, start=1)
                    if case.matches(doc_id, section, strict=strict)
                ),
                None,
            )
            for strict in (False, True)
        ]
        results.append(
            RetrievalCaseResult(
                case=case,
                rank=ranks[0],
                strict_rank=ranks[1],
                top=[f"{d} · {s}" for d, s in hits],
                ms=round(ms, 2),
            )
        )
    total = len(results) or 1
    times = [r.ms for r in results]
    return RetrievalMetrics(
        cases=len(results),
        hit_at_1=sum(r.rank == 1 for r in results) / total,
        hit_at_5=sum(r.rank is not None for r in results) / total,
        mrr=statistics.fmean([1 / r.rank if r.rank else 0.0 for r in results]) if results else 0,
        p50_ms=percentile(times, 50),
        p95_ms=percentile(times, 95),
        failures=[r for r in results if r.rank is None],
        hit_at_1_strict=sum(r.strict_rank == 1 for r in results) / total,
        mrr_strict=statistics.fmean([1 / r.strict_rank if r.strict_rank else 0.0 for r in results])
        if results
        else 0,
    )


def evaluate_retrieval(
    retriever: HybridRetriever, cases: list[RetrievalCase], k: int = 5
) -> RetrievalMetrics:
    return score_retrieval(
        cases,
        lambda q: [(r.chunk.doc_id, r.chunk.section) for r in retriever.retrieve(q, k)],
        k,
    )


def bar_problems(values: dict[str, float], bars: dict[str, dict]) -> list[str]:
    """The bars (`{"min": x}` or `{"max": x}`) that `values` miss, each naming the metric."""
    problems = []
    for name, bar in bars.items():
        value = values.get(name)
        if value is None:
            problems.append(f"{name}: not measured")
        elif "min" in bar and value < bar["min"]:
            problems.append(f"{name} = {value:.4f} below the bar {bar['min']}")
        elif "max" in bar and value > bar["max"]:
            problems.append(f"{name} = {value:.4f} above the bar {bar['max']}")
    return problems


def load_thresholds(path: Path | None = None) -> dict:
    path = path or evals_dir() / "thresholds.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
