"""`copilot` command line: knowledge base, search, server, benchmarks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from copilot.errors import CopilotError
from copilot.settings import get_settings

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="药房客服助手 copilot.",
)
kb = typer.Typer(no_args_is_help=True, help="Knowledge base: build and search the index.")
bench = typer.Typer(no_args_is_help=True, help="Benchmarks.")
app.add_typer(kb, name="kb")
evals = typer.Typer(no_args_is_help=True, help="Evaluation runs and the quality gate.")
app.add_typer(bench, name="bench")
app.add_typer(evals, name="eval")
users = typer.Typer(no_args_is_help=True, help="Users of the web service.")
app.add_typer(users, name="users")


@users.command("add")
def users_add(
    username: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option(..., help="agent, pharmacist or admin."),
    name: str = typer.Option(None, help="Display name (default: the login name)."),
    password: str = typer.Option(
        None, help="Password (at least 10 characters); generated and printed when omitted."
    ),
) -> None:
    """Create a user; prints the password (if generated) and an API bearer token, once."""
    from copilot.desk.auth import add_user
    from copilot.desk.db import Database, database_url

    settings = get_settings()
    try:
        db = Database(database_url(settings))
        with db.session() as s:
            user, pw, token = add_user(
                s, username=username, role=role, password=password, display_name=name
            )
    except CopilotError as exc:
        _fail(exc)
    typer.echo(f"created {role} `{user.username}`")
    if password is None:
        typer.echo(f"password: {pw}")
    typer.echo(f"API token (shown once): {token}")


def _fail(exc: CopilotError) -> None:
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


def _progress(items, total, desc):
    from tqdm import tqdm

    return tqdm(
        items, total=total, desc=desc, disable=total < 20 or not sys.stderr.isatty(), leave=False
    )


@kb.command("build")
def kb_build(
    source: list[Path] = typer.Option(None, "--source", help="Extra folder of label files."),
    rebuild: bool = typer.Option(False, help="Re-embed everything instead of reusing vectors."),
    strict: bool = typer.Option(False, help="Fail on the first bad file (old index stays)."),
    if_stale: bool = typer.Option(False, "--if-stale", help="Do nothing when the index is fresh."),
) -> None:
    """Load, chunk, embed and index the knowledge files; swap the new index in when done."""
    from copilot.ingest.build import build_index, index_is_fresh
    from copilot.retrieval.embeddings import embedder_identity, make_embedder

    settings = get_settings()
    try:
        embedder = make_embedder(settings.embeddings)
        sources = list(source) if source else None
        if (
            if_stale
            and not rebuild
            and index_is_fresh(settings, embedder_identity(embedder), sources)
        ):
            typer.echo("knowledge index is up to date")
            return
        report = build_index(
            settings=settings,
            embedder=embedder,
            sources=sources,
            rebuild=rebuild,
            strict=strict,
            progress=_progress,
        )
    except CopilotError as exc:
        _fail(exc)
    typer.echo(
        f"index build {report.build_id}: {report.documents} documents, {report.chunks} chunks "
        f"({report.added} embedded, {report.unchanged} reused, {report.removed} removed) "
        f"in {report.seconds:.1f}s, {report.chunks_per_second:.0f} chunks/s, "
        f"embedder {report.embedder}"
    )
    for problem in report.skipped:
        typer.secho(f"skipped: {problem.message}", fg=typer.colors.YELLOW, err=True)


@kb.command("search")
def kb_search(
    query: str = typer.Argument(..., help="A customer question."),
    k: int = typer.Option(5, "-k", help="Results to show."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Print the ranked chunks for a question, with drug, section, source and score."""
    from copilot.wiring import open_retriever

    try:
        results, trace = open_retriever(get_settings()).search(query, k)
    except CopilotError as exc:
        _fail(exc)
    if as_json:
        typer.echo(json.dumps([r.model_dump() for r in results], ensure_ascii=False, indent=1))
        return
    links = ", ".join(f"{lk.doc_id}{'~' if lk.fuzzy else ''}" for lk in trace.links[:5]) or "-"
    typer.echo(f"drugs: {links}   intents: {', '.join(trace.intents) or '-'}")
    for n, r in enumerate(results, start=1):
        c = r.chunk
        ranks = " ".join(f"{name}#{rank}" for name, rank in sorted(r.ranks.items()))
        typer.secho(f"[{n}] {c.title} · {c.section}   score {r.score:.4f}  ({ranks})", bold=True)
        typer.echo(f"    {c.source_file}  rev {c.revision or '-'}  id {c.id}")
        snippet = c.text.replace("\n", " ")
        typer.echo(f"    {snippet[:160]}{'…' if len(snippet) > 160 else ''}")


def _read_input(path: Path | None, what: str, parse, default):
    """A YAML/JSON input file parsed by `parse`; errors name the file and what was wrong."""
    if path is None:
        return default
    from copilot.ingest.yamlfile import read_yaml

    data = read_yaml(path)
    try:
        return parse(data)
    except Exception as exc:
        raise CopilotError(f"{path}: invalid {what}: {exc}") from None


def _read_profile(path: Path | None):
    from copilot.schemas import Profile

    return _read_input(path, "profile", lambda d: Profile.model_validate(d or {}), Profile())


def _read_history(path: Path | None):
    from copilot.schemas import Turn

    return _read_input(
        path,
        "history (a list of {role, text})",
        lambda rows: [
            Turn.model_validate(r) if isinstance(r, dict) else Turn(text=str(r)) for r in rows or []
        ],
        [],
    )


@app.command("check")
def check_cmd(
    message: str = typer.Argument(..., help="The customer's message."),
    profile: Path = typer.Option(None, help="YAML or JSON customer profile (see schemas.Profile)."),
    cart: list[str] = typer.Option(None, "--cart", help="Cart product (label id or name)."),
    history: Path = typer.Option(None, help="YAML list of earlier turns {role, text}."),
    as_json: bool = typer.Option(False, "--json", help="Print the verdict as JSON."),
) -> None:
    """Triage, medication alerts and the verdict for one message (no draft)."""
    from copilot.schemas import CartItem
    from copilot.wiring import open_gate

    try:
        gate = open_gate(get_settings())
        verdict = gate.assess(
            message=message,
            history=_read_history(history),
            profile=_read_profile(profile),
            cart=[CartItem(product=c) for c in cart or []],
        )
    except CopilotError as exc:
        _fail(exc)
    if as_json:
        typer.echo(verdict.model_dump_json(indent=1))
        return
    from copilot.cli.report import print_verdict

    print_verdict(verdict, typer.echo)


@app.command("suggest")
def suggest_cmd(
    message: str = typer.Argument(..., help="The customer's message."),
    history: Path = typer.Option(None, help="YAML list of earlier turns {role, text}."),
    profile: Path = typer.Option(None, help="YAML or JSON customer profile."),
    cart: list[str] = typer.Option(None, "--cart", help="Cart product (label id or name)."),
    provider: str = typer.Option(None, help="extractive or openai (default from settings)."),
    as_json: bool = typer.Option(False, "--json", help="Print the Suggestion as JSON."),
) -> None:
    """Draft a reply (or the holding reply) with sources, alerts and the verdict."""
    from copilot.cli.report import print_suggestion
    from copilot.schemas import CartItem
    from copilot.wiring import open_copilot

    if provider not in (None, "extractive", "openai"):
        _fail(CopilotError(f"--provider must be extractive or openai, not {provider!r}"))
    try:
        suggestion = open_copilot(get_settings()).suggest(
            message=message,
            history=_read_history(history),
            profile=_read_profile(profile),
            cart=[CartItem(product=c) for c in cart or []],
            provider=provider,
        )
    except CopilotError as exc:
        _fail(exc)
    if as_json:
        typer.echo(suggestion.model_dump_json(indent=1))
        return
    print_suggestion(suggestion, typer.echo)


@app.command("serve")
def serve(
    host: str = typer.Option(None, help="Bind address (default from settings)."),
    port: int = typer.Option(None, help="Port (default from settings)."),
    workers: int = typer.Option(1, help="uvicorn worker processes (each loads the index)."),
) -> None:
    """Start the web service (FastAPI under uvicorn)."""
    import uvicorn

    from copilot.web.app import create_app

    settings = get_settings()
    host = host or settings.server.host
    port = port or settings.server.port
    if workers > 1:
        typer.echo(f"serving on http://{host}:{port}/ with {workers} workers")
        uvicorn.run(
            "copilot.web.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
        )
        return
    try:
        application = create_app(settings)
    except CopilotError as exc:
        _fail(exc)
    typer.echo(
        f"serving on http://{host}:{port}/  — log in at http://{host}:{port}/login "
        f"(API docs: /docs)"
    )
    uvicorn.run(application, host=host, port=port, log_level="info")


@bench.command("retrieval")
def bench_retrieval(
    scale: int = typer.Option(0, help="Also build and query a generated corpus of N labels."),
    queries: int = typer.Option(200, help="Queries to time."),
) -> None:
    """Build throughput and retrieval latency (p50/p95); optionally a generated large corpus."""
    from copilot.bench.benchmark import run_retrieval_benchmark

    try:
        run_retrieval_benchmark(get_settings(), scale=scale, queries=queries, echo=typer.echo)
    except CopilotError as exc:
        _fail(exc)


@bench.command("load")
def bench_load(
    agents: int = typer.Option(20, help="Concurrent agents."),
    seconds: float = typer.Option(30, help="How long to run."),
    think: float = typer.Option(1.0, help="Mean pause between an agent's requests (0: flood)."),
    workers: int = typer.Option(1, help="uvicorn worker processes."),
) -> None:
    """Concurrent agents against a real server on 127.0.0.1 (offline defaults)."""
    from copilot.bench.loadtest import run_load

    try:
        run_load(
            get_settings(),
            agents=agents,
            seconds=seconds,
            think=think,
            workers=workers,
            echo=typer.echo,
        )
    except CopilotError as exc:
        _fail(exc)


@bench.command("suggest")
def bench_suggest() -> None:
    """Latency of the suggest pipeline per stage (extractive provider, in process)."""
    from copilot.bench.benchmark import run_suggest_benchmark

    try:
        run_suggest_benchmark(get_settings(), echo=typer.echo)
    except CopilotError as exc:
        _fail(exc)


@evals.command("retrieval")
def eval_retrieval(
    gate: bool = typer.Option(False, help="Exit non-zero when a bar in thresholds.yaml is missed."),
    k: int = typer.Option(5, "-k"),
) -> None:
    """Hit@1, hit@5 and MRR of retrieval over evals/datasets/retrieval_*.yaml."""
    from copilot.evals.retrieval import evaluate_retrieval, load_cases, load_thresholds
    from copilot.wiring import open_retriever

    try:
        metrics = evaluate_retrieval(open_retriever(get_settings()), load_cases(), k)
    except CopilotError as exc:
        _fail(exc)
    typer.echo(
        f"retrieval: {metrics.cases} cases  hit@1 {metrics.hit_at_1:.3f}  "
        f"hit@{k} {metrics.hit_at_5:.3f}  MRR {metrics.mrr:.3f}  "
        f"p50 {metrics.p50_ms:.1f} ms  p95 {metrics.p95_ms:.1f} ms"
    )
    for failure in metrics.failures:
        c = failure.case
        typer.echo(f"  MISS {c.id}: {c.question}  want {c.expect_doc} · {c.expect_section}")
        typer.echo(f"       got {' | '.join(failure.top[:3])}")
    if gate:
        bar = load_thresholds()["bars"]["retrieval.hit_at_5"]["min"]
        if metrics.hit_at_5 < bar:
            typer.secho(f"GATE FAILED: retrieval hit@5 {metrics.hit_at_5:.3f} < {bar}", fg="red")
            raise typer.Exit(code=1)
        typer.echo(f"gate passed: retrieval hit@5 {metrics.hit_at_5:.3f} >= {bar}")


@evals.command("safety")
def eval_safety(
    gate: bool = typer.Option(False, help="Exit non-zero when a bar in thresholds.yaml is missed."),
    show: int = typer.Option(40, help="Failures to print."),
    holdout: bool = typer.Option(
        False, help="Score the held-out set (evals/holdout/) instead of the development sets."
    ),
) -> None:
    """Escalation, medication-check and draft-verifier sets with their bars."""
    from copilot.evals.retrieval import load_thresholds
    from copilot.evals.safety import evaluate_safety, gate_failures, load_holdout
    from copilot.wiring import open_gate

    try:
        sets = load_holdout() if holdout else None
        m = evaluate_safety(open_gate(get_settings()), sets=sets)
    except CopilotError as exc:
        _fail(exc)
    typer.echo(
        f"escalation: must {m.must_cases} cases, escalated {m.must_escalated:.3f}, "
        f"exact tier {m.tier_exact:.3f}; emergencies {m.emergency_cases}, at tier "
        f"{m.emergency_at_tier:.3f}; routine {m.routine_cases} cases, escalated "
        f"{m.routine_escalated:.3f}"
    )
    typer.echo(
        f"medication checks: {m.medcheck_cases} cases, recall {m.medcheck_recall:.3f}; "
        f"clean {m.clean_cases} cases, false alarms {m.false_alarm_rate:.3f}"
    )
    typer.echo(
        f"drafts: unsafe {m.unsafe_drafts}, blocked {m.unsafe_blocked:.3f}; "
        f"safe {m.safe_drafts}, passed {m.safe_passed:.3f}"
    )
    for f in m.failures[:show]:
        typer.echo(f"  FAIL {f.set} {f.id}: {f.input[:60]}  want {f.expected}  got {f.got[:120]}")
    if gate:
        missed = gate_failures(m, load_thresholds()["bars"])
        if missed:
            typer.secho("GATE FAILED: " + "; ".join(missed), fg="red")
            raise typer.Exit(code=1)
        typer.echo("gate passed: safety bars met")


def _open_eval_copilot(provider: str | None, embeddings: str | None):
    from copilot.wiring import open_copilot

    settings = get_settings()
    if provider:
        settings = settings.model_copy(
            update={"llm": settings.llm.model_copy(update={"provider": provider})}
        )
    return open_copilot(settings)


@evals.command("run")
def eval_run(
    suite: list[str] = typer.Option(None, "--suite", help="retrieval, safety, quality (all)."),
    provider: str = typer.Option(None, help="extractive or openai (default from settings)."),
    embeddings: str = typer.Option(
        None, help="Also score retrieval with this local sentence-transformers model folder."
    ),
    judge: bool = typer.Option(False, help="LLM judge of drafts (only with an LLM configured)."),
    no_naive: bool = typer.Option(False, "--no-naive", help="Skip the naive baseline."),
) -> None:
    """Every eval case through the suggest pipeline; metrics beside the naive baseline;
    Markdown, HTML and JSON reports under evals/results/."""
    from copilot.evals.report import rows, write_reports
    from copilot.evals.retrieval import EVALS_DIR, load_thresholds
    from copilot.evals.suite import SUITES, gate_problems, load_baseline, run_eval

    suites = tuple(suite) if suite else SUITES
    unknown = set(suites) - set(SUITES)
    if unknown:
        _fail(CopilotError(f"unknown suite {sorted(unknown)}; choose from {list(SUITES)}"))
    try:
        cp = _open_eval_copilot(provider, embeddings)
        run = run_eval(cp, suites=suites, naive=not no_naive, st_model=embeddings, judge=judge)
    except CopilotError as exc:
        _fail(exc)
    thresholds = load_thresholds()
    problems = gate_problems(run, thresholds, load_baseline()) if suites == SUITES else []
    typer.echo(f"{'metric':42s} {'ours':>9s} {'naive':>9s} {'ratio':>8s}  bar")
    for r in rows(run, thresholds):
        typer.echo(f"{r['name']:42s} {r['ours']:>9s} {r['naive']:>9s} {r['ratio']:>8s}  {r['bar']}")
    for k, v in run.extra.items():
        typer.echo(f"{k:42s} {v:>9g}   (not gated)")
    for note in run.notes:
        typer.echo(f"note: {note}")
    typer.echo(f"{len(run.failures)} failures; {len(problems)} gate problems; {run.seconds} s")
    for path in write_reports(run, thresholds, problems, EVALS_DIR / "results"):
        typer.echo(f"wrote {path}")


@evals.command("gate")
def eval_gate(
    write_baseline_file: bool = typer.Option(
        False, "--write-baseline", help="Record this run as evals/baseline.json."
    ),
) -> None:
    """Run every suite and fail when a bar is missed or a watched metric falls more than the
    margin below the committed baseline; prints which."""
    from copilot.evals.retrieval import load_thresholds
    from copilot.evals.suite import gate_problems, load_baseline, run_eval, write_baseline

    try:
        run = run_eval(_open_eval_copilot("extractive", None), naive=False)
    except CopilotError as exc:
        _fail(exc)
    if write_baseline_file:
        typer.echo(f"wrote {write_baseline(run)}")
    problems = gate_problems(run, load_thresholds(), load_baseline())
    shown = [
        "retrieval.hit_at_5",
        "escalation.must_recall",
        "escalation.emergency_at_tier",
        "escalation.routine_escalated",
        "medchecks.recall",
        "medchecks.false_alarm_rate",
        "drafts.unsafe_blocked",
        "quality.citation_validity",
        "quality.dose_groundedness",
        "quality.rubric_total",
        "latency.total.p95_ms",
    ]
    typer.echo("  ".join(f"{k}={run.metrics.get(k, float('nan')):g}" for k in shown))
    if problems:
        for p in problems:
            typer.secho(f"GATE: {p}", fg="red")
        raise typer.Exit(code=1)
    typer.echo(f"eval gate passed ({run.seconds} s)")


if __name__ == "__main__":
    app()
