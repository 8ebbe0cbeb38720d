"""`copilot bench retrieval|load|suggest`: benchmarks."""

from __future__ import annotations

import typer

from copilot.cli.app import bench
from copilot.settings import get_settings


@bench.command("retrieval")
def bench_retrieval(
    embedder: list[str] = typer.Option(
        None,
        "--embedder",
        help="Embedders to compare on the sample KB (default: multilingual-e5-small and hashing).",
    ),
    scale: int = typer.Option(0, help="Also build and query a generated corpus of N labels."),
    scale_embedder: str = typer.Option("hashing", help="Embedder of the --scale corpus."),
    e5_scale: int = typer.Option(
        0, "--e5-scale", help="Also a generated corpus of N labels with multilingual-e5-small."
    ),
    queries: int = typer.Option(200, help="Queries to time."),
) -> None:
    """Build throughput and retrieval latency (p50/p95, query embedding included) for each
    embedder side by side; optionally generated large corpora."""
    from copilot.bench.benchmark import run_retrieval_benchmark

    run_retrieval_benchmark(
        get_settings(),
        embedders=list(embedder) if embedder else ["multilingual-e5-small", "hashing"],
        scale=scale,
        scale_embedder=scale_embedder,
        e5_scale=e5_scale,
        queries=queries,
        echo=typer.echo,
    )


@bench.command("load")
def bench_load(
    agents: int = typer.Option(20, help="Concurrent agents."),
    seconds: float = typer.Option(30, help="How long to run."),
    think: float = typer.Option(1.0, help="Mean pause between an agent's requests (0: flood)."),
    workers: int = typer.Option(1, help="uvicorn worker processes."),
) -> None:
    """Concurrent agents against a real server on 127.0.0.1 (offline defaults)."""
    from copilot.bench.loadtest import run_load

    run_load(
        get_settings(),
        agents=agents,
        seconds=seconds,
        think=think,
        workers=workers,
        echo=typer.echo,
    )


@bench.command("suggest")
def bench_suggest() -> None:
    """Latency of the suggest pipeline per stage (extractive provider, in process)."""
    from copilot.bench.benchmark import run_suggest_benchmark

    run_suggest_benchmark(get_settings(), echo=typer.echo)
