"""`copilot bench retrieval`: build throughput and retrieval latency, on the sample knowledge
base and optionally on a generated corpus of N labels."""

from __future__ import annotations

import random
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


def _time_queries(settings: Settings, queries: list[str], embedder) -> tuple[float, float]:
    """p50/p95 of whole retrievals, query embedding included: the embedder's query cache is
    emptied before each timed query, so a repeated question is not served from it."""
    retriever = open_retriever(settings, embedder)
    for q in queries[:10]:  # warm caches (jieba, HNSW pages)
        retriever.retrieve(q)
    clear = getattr(embedder, "clear_cache", lambda: None)
    times = []
    for q in queries:
        clear()
        started = time.perf_counter()
        retriever.retrieve(q)
        times.append((time.perf_counter() - started) * 1000)
    return percentile(times, 50), percentile(times, 95)


def _with_embedder(settings: Settings, provider: str, home: Path) -> Settings:
    return settings.model_copy(
        update={
            "home": home,
            "embeddings": settings.embeddings.model_copy(update={"provider": provider}),
        }
    )


def _sample_run(settings: Settings, provider: str, queries: int, bench_home: Path) -> dict:
    home = bench_home / f"sample-{provider}"
    shutil.rmtree(home, ignore_errors=True)
    sample = _with_embedder(settings, provider, home)
    embedder = make_embedder(sample.embeddings)
    report = build_index(settings=sample, embedder=embedder, rebuild=True)
    questions = [c.question for c in load_cases()][:queries]
    p50, p95 = _time_queries(sample, questions, embedder)
    return {
        "embedder": report.embedder,
        "chunks": report.chunks,
        "build_s": report.seconds,
        "chunks_per_s": report.chunks_per_second,
        "p50_ms": round(p50, 2),
        "p95_ms": round(p95, 2),
        "queries": len(questions),
    }


def _scale_run(
    settings: Settings, provider: str, labels: int, queries: int, bench_home: Path
) -> dict:
    from copilot.bench.corpusgen import generate_corpus

    corpus = generate_corpus(settings.knowledge.dir, bench_home / f"corpus-{labels}", labels)
    home = bench_home / f"home-{labels}-{provider}"
    shutil.rmtree(home, ignore_errors=True)
    big = _with_embedder(settings, provider, home)
    big = big.model_copy(
        update={"knowledge": big.knowledge.model_copy(update={"dir": corpus, "extra_sources": []})}
    )
    embedder = make_embedder(big.embeddings)
    started = time.perf_counter()
    report = build_index(settings=big, embedder=embedder, rebuild=True)
    build_s = time.perf_counter() - started
    names = [p.stem for p in sorted((corpus / "labels").glob("*.md"))]
    rng = random.Random(11)
    docs = {d.doc_id: d for d in open_retriever(big, embedder).documents()}
    big_queries = [
        docs[rng.choice(names)].title + rng.choice(QUERY_SUFFIXES) for _ in range(queries)
    ]
    p50, p95 = _time_queries(big, big_queries, embedder)
    return {
        "embedder": report.embedder,
        "labels": labels,
        "chunks": report.chunks,
        "build_s": round(build_s, 1),
        "chunks_per_s": report.chunks_per_second,
        "index_mb": round(_dir_size(home / "index") / 1e6, 1),
        "p50_ms": round(p50, 2),
        "p95_ms": round(p95, 2),
    }


def run_retrieval_benchmark(
    settings: Settings,
    *,
    embedders: list[str],
    scale: int,
    scale_embedder: str,
    e5_scale: int,
    queries: int,
    echo: Callable[[str], None],
) -> dict:
    """The sample knowledge base built and queried with each embedder, side by side in one run;
    then, optionally, a generated corpus of `scale` labels (hashing by default: the e5 model
    embeds about 20 chunks/s here) and one of `e5_scale` labels with the e5 model."""
    bench_home = settings.home / "bench"
    figures: dict = {"sample": {}, "scale": []}
    echo(
        f"{'corpus':22s} {'embedder':30s} {'chunks':>7s} {'build s':>8s} {'chunks/s':>9s} "
        f"{'p50 ms':>7s} {'p95 ms':>7s}"
    )
    for provider in embedders:
        f = _sample_run(settings, provider, queries, bench_home)
        figures["sample"][provider] = f
        echo(
            f"{'sample KB':22s} {f['embedder']:30s} {f['chunks']:>7d} {f['build_s']:>8.1f} "
            f"{f['chunks_per_s']:>9.0f} {f['p50_ms']:>7.1f} {f['p95_ms']:>7.1f}"
        )
    runs = [(scale_embedder, scale)] if scale else []
    if e5_scale:
        runs.append(("multilingual-e5-small", e5_scale))
    for provider, labels in runs:
        f = _scale_run(settings, provider, labels, queries, bench_home)
        figures["scale"].append(f)
        echo(
            f"{f'{labels} labels':22s} {f['embedder']:30s} {f['chunks']:>7d} "
            f"{f['build_s']:>8.1f} {f['chunks_per_s']:>9.0f} {f['p50_ms']:>7.1f} "
            f"{f['p95_ms']:>7.1f}  index {f['index_mb']:.0f} MB"
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
