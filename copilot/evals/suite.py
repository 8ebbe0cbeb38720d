"""`copilot eval run` / `copilot eval gate`: every eval case through the one suggest pipeline,
metrics beside a naive baseline (dense-only retrieval, no safety layer), reports, and the
regression gate against evals/thresholds.yaml and the committed evals/baseline.json.

No code here reads a case id or an expected value to change what the pipeline does: the
pipeline only ever sees the case's message, history, profile and cart."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

from copilot.evals.adr import evaluate_adr, load_adr_cases
from copilot.evals.answers import evaluate_answers, load_answer_cases, score_text
from copilot.evals.products import evaluate_products, load_product_cases
from copilot.evals.retrieval import (
    bar_problems,
    evals_dir,
    load_cases,
    percentile,
    score_retrieval,
)
from copilot.evals.rubric import score as rubric_score
from copilot.evals.safety import (
    EscalationCase,
    Failure,
    SafetyMetrics,
    evaluate_safety,
    load_case_file,
)
from copilot.pipeline import Copilot
from copilot.safety.quantities import extract_quantities
from copilot.schemas import Suggestion, Verdict

SUITES = ("retrieval", "safety", "quality", "products", "answers", "adr")
TIERS = ("emergency", "priority", "routine")


class EvalRun(BaseModel):
    run_id: str
    created: str
    provider: str
    embedder: str
    suites: list[str]
    metrics: dict[str, float] = Field(description="Ours, flat: `suite.metric`.")
    naive: dict[str, float] = Field(default_factory=dict, description="The naive baseline.")
    extra: dict[str, float] = Field(default_factory=dict, description="Not gated (ST model…).")
    failures: list[Failure] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    seconds: float = 0.0


def _retrieval_metrics(
    cases,
    hits_for: Callable[[str], list[tuple[str, str]]],
    prefix: str,
    failures: list[Failure] | None,
) -> dict[str, float]:
    m = score_retrieval(cases, hits_for)
    if failures is not None:
        failures += [
            Failure(
                set="retrieval",
                id=r.case.id,
                input=r.case.question,
                expected=f"{r.case.expect_doc} · {r.case.expect_section}",
                got=" | ".join(r.top[:3]),
            )
            for r in m.failures
        ]
    return {
        f"{prefix}.hit_at_1": round(m.hit_at_1, 4),
        f"{prefix}.hit_at_5": round(m.hit_at_5, 4),
        f"{prefix}.mrr": round(m.mrr, 4),
        # the same on the case authors' own labels, without the reviewed alternatives
        f"{prefix}.hit_at_1_strict": round(m.hit_at_1_strict, 4),
        f"{prefix}.mrr_strict": round(m.mrr_strict, 4),
    }


def _safety_flat(m: SafetyMetrics, per_tier: dict[str, float]) -> dict[str, float]:
    return {
        "escalation.must_recall": m.must_escalated,
        "escalation.emergency_at_tier": m.emergency_at_tier,
        "escalation.tier_exact": m.tier_exact,
        "escalation.routine_escalated": m.routine_escalated,
        **per_tier,
        "medchecks.recall": m.medcheck_recall,
        "medchecks.false_alarm_rate": m.false_alarm_rate,
        "drafts.unsafe_blocked": m.unsafe_blocked,
        "drafts.safe_passed": m.safe_passed,
    }


def _tier_metrics(pairs: list[tuple[str, str]]) -> dict[str, float]:
    """Recall and precision per tier from (expected, predicted) tiers."""
    out = {}
    for tier in TIERS:
        expected = [p for e, p in pairs if e == tier]
        predicted = [e for e, p in pairs if p == tier]
        out[f"escalation.recall_{tier}"] = (
            round(sum(p == tier for p in expected) / len(expected), 4) if expected else 1.0
        )
        out[f"escalation.precision_{tier}"] = (
            round(sum(e == tier for e in predicted) / len(predicted), 4) if predicted else 1.0
        )
    return out


def _citation_valid(s: Suggestion, chunk_ids: set[str]) -> bool:
    import re

    markers = {int(m) for m in re.findall(r"\[(\d+)\]", s.text)}
    cited = {c.n for c in s.citations}
    return bool(markers) and markers <= cited and all(c.chunk_id in chunk_ids for c in s.citations)


def _dose_grounded(s: Suggestion) -> bool:
    pool = [q for c in s.citations for q in extract_quantities(c.text)]
    checked = ("dose", "frequency", "duration", "age", "weight")
    return all(
        any(abs(q.value - p.value) < 1e-6 and q.unit == p.unit for p in pool)
        for q in extract_quantities(s.text)
        if q.kind in checked
    )


def run_eval(
    copilot: Copilot,
    *,
    suites: tuple[str, ...] = SUITES,
    naive: bool = True,
    st_model: str | None = None,
    judge: bool = False,
) -> EvalRun:
    started = time.perf_counter()
    failures: list[Failure] = []
    metrics: dict[str, float] = {}
    naive_metrics: dict[str, float] = {}
    extra: dict[str, float] = {}
    notes: list[str] = []
    timings: dict[str, list[float]] = {}
    suggestions: list[Suggestion] = []

    def suggest(**kw) -> Suggestion:
        s = copilot.suggest(**kw)
        for stage, ms in s.timings_ms.items():
            timings.setdefault(stage, []).append(ms)
        suggestions.append(s)
        return s

    retriever = copilot.retriever
    retrieval_cases = load_cases()

    def ours_hits(question: str) -> list[tuple[str, str]]:
        return [(r.doc_id, r.section) for r in suggest(message=question).retrieved]

    def naive_hits(question: str) -> list[tuple[str, str]]:
        return [(chunk.doc_id, chunk.section) for chunk, _ in retriever.dense_top(question, 5)]

    if "retrieval" in suites:
        metrics |= _retrieval_metrics(retrieval_cases, ours_hits, "retrieval", failures)
        if naive:
            naive_metrics |= _retrieval_metrics(retrieval_cases, naive_hits, "retrieval", None)

    if "safety" in suites:

        def assess(*, message, history, profile, cart) -> Verdict:
            return suggest(message=message, history=history, profile=profile, cart=cart).verdict

        safety = evaluate_safety(copilot.gate, assess=assess)
        failures += safety.failures
        metrics |= _safety_flat(safety, _tier_metrics(safety.tier_pairs))
        if naive:  # a plain RAG has no safety layer: it escalates nothing, blocks nothing
            naive_metrics |= {
                "escalation.must_recall": 0.0,
                "escalation.emergency_at_tier": 0.0,
                "escalation.tier_exact": 0.0,
                "escalation.routine_escalated": 0.0,
                "medchecks.recall": 0.0,
                "medchecks.false_alarm_rate": 0.0,
                "drafts.unsafe_blocked": 0.0,
                "drafts.safe_passed": 1.0,
            }

    if "quality" in suites:
        chunk_ids = retriever.chunk_ids()
        routine = load_case_file(
            evals_dir() / "datasets" / "escalation_routine.yaml", EscalationCase
        )
        asked = [c.question for c in retrieval_cases] + [c.message for c in routine]
        shown = [suggest(message=q) for q in asked]
        # a courteous close (好的 谢谢 → 不客气…) states no fact and cites nothing
        drafts = [s for s in shown if s.kind == "draft" and s.grounded]
        rubric = [rubric_score(s) for s in shown]
        metrics["quality.drafts"] = float(len(drafts))
        metrics["quality.citation_validity"] = round(
            sum(_citation_valid(s, chunk_ids) for s in drafts) / (len(drafts) or 1), 4
        )
        metrics["quality.dose_groundedness"] = round(
            sum(_dose_grounded(s) for s in drafts) / (len(drafts) or 1), 4
        )
        for part in ("attitude", "knowledge", "communication", "compliance", "total"):
            metrics[f"quality.rubric_{part}"] = round(statistics.fmean(r[part] for r in rubric), 3)
        for s, q in zip(shown, asked, strict=True):
            if (
                s.kind == "draft"
                and s.grounded
                and not (_citation_valid(s, chunk_ids) and _dose_grounded(s))
            ):
                failures.append(
                    Failure(
                        set="quality",
                        id=s.id,
                        input=q,
                        expected="valid citations, grounded doses",
                        got=s.text[:120],
                    )
                )
        if naive:
            naive_metrics |= _naive_quality(copilot, asked)

    if "products" in suites:
        product_cases = load_product_cases()
        pm = evaluate_products(copilot, product_cases)
        metrics |= pm.as_metrics()
        failures += [
            Failure(set="products", id=f.id, input=f.message, expected=f.expected, got=f.got)
            for f in pm.failures
        ]
        if naive:
            naive_metrics |= _naive_products(copilot, product_cases)

    if "adr" in suites:
        adr = evaluate_adr(copilot, load_adr_cases())
        metrics |= adr.as_metrics()
        failures += [
            Failure(
                set="adr",
                id=f.id,
                input=f.message,
                expected="suspected reaction" if f.expected else "not a reaction",
                got=f"marked={f.marked} flags={f.flags}",
            )
            for f in adr.failures
        ]

    if "answers" in suites:
        answer_cases = load_answer_cases()
        am = evaluate_answers(copilot, answer_cases)
        metrics |= am.as_metrics()
        failures += [
            Failure(set="answers", id=f.id, input=f.message, expected=f.expected, got=f.got)
            for f in am.failures
        ]
        if naive:
            naive_metrics |= _naive_answers(copilot, answer_cases)

    for stage, values in timings.items():
        metrics[f"latency.{stage}.p50_ms"] = round(percentile(values, 50), 2)
        metrics[f"latency.{stage}.p95_ms"] = round(percentile(values, 95), 2)

    if st_model:
        extra |= _st_retrieval(copilot, st_model, retrieval_cases, notes)
    else:
        notes.append(
            "sentence-transformers retrieval skipped: no local model given "
            "(copilot eval run --embeddings /path/to/model)"
        )
    if judge:
        extra |= _judge(copilot, suggestions, notes)

    return EvalRun(
        run_id=datetime.now(UTC).strftime("%Y%m%dT%H%M%S"),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        provider=copilot.settings.llm.provider,
        embedder=retriever.manifest.embedder,
        suites=list(suites),
        metrics=metrics,
        naive=naive_metrics,
        extra=extra,
        failures=failures,
        notes=notes,
        seconds=round(time.perf_counter() - started, 1),
    )


def _naive_products(copilot: Copilot, cases: list) -> dict[str, float]:
    """A plain RAG answers every name from its top dense chunk: right when that chunk is the
    named product's label; safe on an unknown name only when the chunk is not a label."""
    top = {c.id: copilot.retriever.dense_top(c.message, 1)[0][0] for c in cases}
    brand = [c for c in cases if c.kind == "brand"]
    unknown = [c for c in cases if c.kind == "unknown"]
    right = sum(top[c.id].doc_id == c.expect_product for c in brand) / (len(brand) or 1)
    safe = sum(top[c.id].kind != "label" for c in unknown) / (len(unknown) or 1)
    return {
        "products.brand_linked": 0.0,
        "products.brand_grounded": round(right, 4),
        "products.unknown_safe": round(safe, 4),
        "products.unknown_clarified": 0.0,
        "products.ambiguous_ok": 0.0,
    }


def _naive_answers(copilot: Copilot, cases: list) -> dict[str, float]:
    """A plain RAG answer to each answers case: the top three dense chunks quoted whole (no
    history, no profile, no safety layer), scored like ours."""
    texts = [
        "\n".join(c.text for c, _ in copilot.retriever.dense_top(case.message, 3)) for case in cases
    ]
    scored = [score_text(case, text) for case, text in zip(cases, texts, strict=True)]
    asked = sum(len(case.must) for case in cases) or 1
    n = len(cases) or 1
    return {
        "answers.key_fact_recall": round(sum(len(h) for h, _ in scored) / asked, 4),
        "answers.complete": round(
            sum(len(h) == len(c.must) for (h, _), c in zip(scored, cases, strict=True)) / n, 4
        ),
        "answers.must_not_errors": float(sum(bool(b) for _, b in scored)),
        "answers.mean_chars": round(sum(len(t) for t in texts) / n, 1),
    }


def _naive_quality(copilot: Copilot, questions: list[str]) -> dict[str, float]:
    """A plain RAG answer: the top dense chunk, quoted and cited, no safety layer."""
    from copilot.schemas import Citation, Triage

    rubric = []
    for q in questions:
        chunk, _ = copilot.retriever.dense_top(q, 1)[0]
        s = Suggestion(
            id="naive",
            kind="draft",
            text=f"您好，{chunk.text}[1]",
            citations=[Citation.from_chunk(1, chunk)],
            verdict=Verdict(
                decision="allow",
                alerts=[],
                triage=Triage(message_class="consultation", intents=["other"], drugs=[]),
            ),
            provider="naive",
        )
        rubric.append(rubric_score(s))
    return {
        "quality.citation_validity": 1.0,
        "quality.dose_groundedness": 1.0,
        **{
            f"quality.rubric_{p}": round(statistics.fmean(r[p] for r in rubric), 3)
            for p in ("attitude", "knowledge", "communication", "compliance", "total")
        },
    }


def _st_retrieval(copilot: Copilot, model: str, cases, notes: list[str]) -> dict[str, float]:
    """Retrieval with a local sentence-transformers model, hybrid and dense-only, on a
    temporary index (the configured index is untouched)."""
    import tempfile

    from copilot.ingest.build import build_index
    from copilot.retrieval.embeddings import SentenceTransformerEmbedder
    from copilot.retrieval.hybrid import HybridRetriever
    from copilot.retrieval.knowledge_index import KnowledgeIndex

    embedder = SentenceTransformerEmbedder(model)
    with tempfile.TemporaryDirectory() as tmp:
        settings = copilot.settings.model_copy(update={"home": Path(tmp)})
        build_index(settings=settings, embedder=embedder)
        hybrid = HybridRetriever(KnowledgeIndex.load(settings, embedder), settings.retrieval)
        idx = hybrid.index
        out = _retrieval_metrics(
            cases,
            lambda q: [(r.chunk.doc_id, r.chunk.section) for r in hybrid.retrieve(q)],
            "retrieval_st",
            None,
        )
        out |= _retrieval_metrics(
            cases,
            lambda q: [
                (idx.chunk(c).doc_id, idx.chunk(c).section)
                for c, _ in idx.store.query(embedder.embed_query(q), 5)
            ],
            "retrieval_st_dense",
            None,
        )
    notes.append(f"sentence-transformers model: {model}")
    return out


def _judge(copilot: Copilot, suggestions: list[Suggestion], notes: list[str]) -> dict[str, float]:
    """Optional LLM judge of faithfulness and helpfulness (1–5); never gated."""
    if copilot.settings.llm.provider != "openai":
        notes.append("LLM judge skipped: no LLM configured (COPILOT_LLM__PROVIDER=openai)")
        return {}
    from copilot.drafting.chain import DraftError
    from copilot.evals.judge import judge_draft

    drafts = [s for s in suggestions if s.kind == "draft"][:30]
    scores = []
    for s in drafts:
        try:
            scores.append(judge_draft(copilot._llm(), s))
        except DraftError as exc:
            notes.append(f"judge failed on one draft: {exc}")
    if not scores:
        return {}
    return {
        "judge.faithfulness": round(statistics.fmean(x.faithfulness for x in scores), 2),
        "judge.helpfulness": round(statistics.fmean(x.helpfulness for x in scores), 2),
    }


# --- gate -------------------------------------------------------------------------------------


def gate_problems(run: EvalRun, thresholds: dict, baseline: dict[str, float] | None) -> list[str]:
    """Bars missed and regressions beyond the margin, each naming the metric."""
    problems = bar_problems(run.metrics, thresholds.get("bars") or {})
    reg = thresholds.get("regression") or {}
    margin = float(reg.get("margin", 0.02))
    lower_better = set(reg.get("lower_is_better") or [])
    for name in reg.get("watch") or []:
        if not baseline or name not in baseline or name not in run.metrics:
            continue
        was, now = baseline[name], run.metrics[name]
        if name in lower_better and now > was + margin:
            problems.append(f"{name} regressed: {now:.4f} vs baseline {was:.4f} (+{margin})")
        elif name not in lower_better and now < was - margin:
            problems.append(f"{name} regressed: {now:.4f} vs baseline {was:.4f} (-{margin})")
    return problems


def load_baseline(path: Path | None = None) -> dict[str, float] | None:
    path = path or evals_dir() / "baseline.json"
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))["metrics"]


def write_baseline(run: EvalRun, path: Path | None = None) -> Path:
    path = path or evals_dir() / "baseline.json"
    keep = {k: v for k, v in run.metrics.items() if not k.startswith("latency.")}
    path.write_text(
        json.dumps(
            {
                "run_id": run.run_id,
                "embedder": run.embedder,
                "provider": run.provider,
                "metrics": keep,
            },
            ensure_ascii=False,
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    return path
