"""`copilot bench retrieval`: build throughput and retrieval latency, on the sample knowledge
base and optionally on a generated corpus of N labels."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

from copilot.evals.retrieval import load_cases, percentile
from copilot.ingest.build import build_index
from copilot.retrieval.embeddings import make_embedder
from copilot.settings import Settings
from copilot.wiring import open_retriever

QUERY_SUFFIXES = [
    "一天吃几次",
    "孕妇能吃吗",
    "有什么副作用",
    "和酒一起吃行吗",
    "怎么保存",
    "小孩能用吗",
]


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _time_queries(settings: Settings, queries: list[str]) -> tuple[float, float]:
    retriever = open_retriever(settings)
    for q in queries[:10]:  # warm caches (jieba, HNSW pages)
        retriever.retrieve(q)
    times = []
    for q in queries:
        started = time.perf_counter()
        retriever.retrieve(q)
        times.append((time.perf_counter() - started) * 1000)
    return percentile(times, 50), percentile(times, 95)


def run_retrieval_benchmark(
    settings: Settings, *, scale: int, queries: int, echo: Callable[[str], None]
) -> dict:
    bench_home = settings.home / "bench"
    figures: dict = {}

    sample_home = bench_home / "sample"
    shutil.rmtree(sample_home, ignore_errors=True)
    sample = settings.model_copy(update={"home": sample_home})
    report = build_index(settings=sample, embedder=make_embedder(sample.embeddings), rebuild=True)
    questions = [c.question for c in load_cases()]
    pool = (questions * (queries // max(len(questions), 1) + 1))[:queries]
    p50, p95 = _time_queries(sample, pool)
    figures["sample"] = {
        "chunks": report.chunks,
        "build_s": report.seconds,
        "chunks_per_s": report.chunks_per_second,
        "p50_ms": round(p50, 2),
        "p95_ms": round(p95, 2),
        "queries": len(pool),
    }
    echo(
        f"sample KB: {report.documents} docs, {report.chunks} chunks, build {report.seconds:.1f}s "
        f"({report.chunks_per_second:.0f} chunks/s embedded); retrieval over {len(pool)} queries: "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms"
    )
    if scale:
        from copilot.bench.corpusgen import generate_corpus

        corpus = generate_corpus(settings.knowledge.dir, bench_home / f"corpus-{scale}", scale)
        scale_home = bench_home / f"home-{scale}"
        shutil.rmtree(scale_home, ignore_errors=True)
        big = settings.model_copy(
            update={
                "home": scale_home,
                "knowledge": settings.knowledge.model_copy(
                    update={"dir": corpus, "extra_sources": []}
                ),
            }
        )
        started = time.perf_counter()
        report = build_index(settings=big, embedder=make_embedder(big.embeddings), rebuild=True)
        build_s = time.perf_counter() - started
        size_mb = _dir_size(scale_home / "index") / 1e6
        names = [p.stem for p in sorted((corpus / "labels").glob("*.md"))]
        import random

        rng = random.Random(11)
        big_queries = []
        retriever_docs = {d.doc_id: d for d in open_retriever(big).documents()}
        for _ in range(queries):
            doc = retriever_docs[rng.choice(names)]
            big_queries.append(doc.title + rng.choice(QUERY_SUFFIXES))
        p50, p95 = _time_queries(big, big_queries)
        figures["scale"] = {
            "labels": scale,
            "chunks": report.chunks,
            "build_s": round(build_s, 1),
            "chunks_per_s": report.chunks_per_second,
            "index_mb": round(size_mb, 1),
            "p50_ms": round(p50, 2),
            "p95_ms": round(p95, 2),
        }
        echo(
            f"scale: {scale} labels, {report.chunks} chunks, build {build_s:.0f}s "
            f"({report.chunks_per_second:.0f} chunks/s embedded), index {size_mb:.0f} MB on disk; "
            f"retrieval over {len(big_queries)} queries: p50 {p50:.1f} ms, p95 {p95:.1f} ms"
        )
    return figures


def run_suggest_benchmark(settings: Settings, *, echo: Callable[[str], None]) -> dict:
    """Latency of `suggest` per stage (p50/p95) with the extractive provider, in process, over
    every eval question (retrieval and escalation sets)."""
    from copilot.evals.safety import EscalationCase, load_case_file
    from copilot.wiring import open_copilot

    cfg = settings.model_copy(
        update={"llm": settings.llm.model_copy(update={"provider": "extractive"})}
    )
    copilot = open_copilot(cfg)
    folder = settings.evals_dir / "datasets"
    messages = [c.question for c in load_cases()]
    for name in ("escalation_must.yaml", "escalation_routine.yaml"):
        messages += [c.message for c in load_case_file(folder / name, EscalationCase)]
    for m in messages[:20]:
        copilot.suggest(message=m)  # warm-up
    stages: dict[str, list[float]] = {}
    kinds: dict[str, int] = {}
    for m in messages:
        s = copilot.suggest(message=m)
        kinds[s.kind] = kinds.get(s.kind, 0) + 1
        for stage, ms in s.timings_ms.items():
            stages.setdefault(stage, []).append(ms)
    figures = {
        stage: {"p50_ms": round(percentile(v, 50), 2), "p95_ms": round(percentile(v, 95), 2)}
        for stage, v in stages.items()
    }
    echo(f"suggest (extractive) over {len(messages)} messages: {kinds}")
    for stage, f in figures.items():
        echo(f"  {stage:9s} p50 {f['p50_ms']:6.2f} ms   p95 {f['p95_ms']:6.2f} ms")
    return figures
