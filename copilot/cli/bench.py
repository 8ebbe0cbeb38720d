"""`copilot bench retrieval|load|suggest`: benchmarks."""

from __future__ import annotations

from pathlib import Path

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
    agents: int = typer.Option(50, help="Concurrent agents."),
    seconds: float = typer.Option(60, help="How long to run (logins included)."),
    think: float = typer.Option(1.0, help="Mean pause between an agent's steps (0: flood)."),
    workers: int = typer.Option(1, help="uvicorn worker processes."),
    mode: str = typer.Option(
        "write",
        help="write: messages in, suggestions acted on, pharmacists answering; "
        "read: /v1/suggest and pages only.",
    ),
    pharmacists: int = typer.Option(None, help="Pharmacists (write mode; default agents / 10)."),
    ramp: float = typer.Option(None, help="Seconds over which people log in (default ≤ 10)."),
    database_url: str = typer.Option(
        None, "--database-url", help="Bench on this database (default: a fresh SQLite file)."
    ),
    json_out: Path = typer.Option(
        None, "--json", help="Report file (default COPILOT_HOME/bench/load-<time>.json)."
    ),
) -> None:
    """Concurrent agents and pharmacists against a real server on 127.0.0.1: p50/p95 per
    route, errors, and pass/fail against the figures (suggest p95 ≤ 300 ms, pages p95 ≤ 500 ms,
    logins p95 ≤ 1 s, 0 errors); exits 1 when a figure misses."""
    import time

    from copilot.bench.loadtest import run_load, write_report

    if mode not in ("write", "read"):
        raise typer.BadParameter("choose write or read", param_hint="--mode")
    settings = get_settings()
    report = run_load(
        settings,
        agents=agents,
        seconds=seconds,
        think=think,
        workers=workers,
        mode=mode,
        pharmacists=pharmacists,
        ramp=ramp,
        database=database_url,
        echo=typer.echo,
    )
    path = json_out or settings.home / "bench" / f"load-{time.strftime('%Y%m%dT%H%M%S')}.json"
    typer.echo(f"report: {write_report(report, path)}")
    if not report["passed"]:
        raise typer.Exit(1)


@bench.command("suggest")
def bench_suggest() -> None:
    """Latency of the suggest pipeline per stage (extractive provider, in process)."""
    from copilot.bench.benchmark import run_suggest_benchmark

    run_suggest_benchmark(get_settings(), echo=typer.echo)
