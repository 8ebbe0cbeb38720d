"""`copilot eval retrieval|safety|run|gate`: evaluation runs and the quality gate."""

from __future__ import annotations

from pathlib import Path

import typer

from copilot.cli.app import evals
from copilot.errors import CopilotError
from copilot.settings import get_settings


@evals.command("retrieval")
def eval_retrieval(
    gate: bool = typer.Option(False, help="Exit non-zero when a bar in thresholds.yaml is missed."),
    k: int = typer.Option(5, "-k"),
) -> None:
    """Hit@1, hit@5 and MRR of retrieval over evals/datasets/retrieval_*.yaml."""
    from copilot.evals.retrieval import evaluate_retrieval, load_cases, load_thresholds
    from copilot.wiring import open_retriever

    metrics = evaluate_retrieval(open_retriever(get_settings()), load_cases(), k)
    typer.echo(
        f"retrieval: {metrics.cases} cases  hit@1 {metrics.hit_at_1:.3f}  "
        f"hit@{k} {metrics.hit_at_5:.3f}  MRR {metrics.mrr:.3f}  "
        f"p50 {metrics.p50_ms:.1f} ms  p95 {metrics.p95_ms:.1f} ms"
    )
    typer.echo(
        f"  on the case authors' own labels (reviewed alternatives off): hit@1 "
        f"{metrics.hit_at_1_strict:.3f}  MRR {metrics.mrr_strict:.3f}"
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


@evals.command("answers")
def eval_answers(
    answers_file: Path = typer.Option(
        None, "--file", help="Score this answers file (default evals/datasets/answers.yaml)."
    ),
    show: int = typer.Option(30, help="Failures to print."),
) -> None:
    """Does each draft state the facts the customer asked for (the answers set)?"""
    from copilot.evals.answers import evaluate_answers, load_answer_cases
    from copilot.wiring import open_copilot

    m = evaluate_answers(open_copilot(get_settings()), load_answer_cases(answers_file))
    typer.echo(
        f"answers: {m.cases} cases; kind ok {m.kind_ok:.3f}; key-fact recall "
        f"{m.key_fact_recall:.3f}; complete {m.complete:.3f}; must-not errors "
        f"{m.must_not_errors}; repetition {m.repetition:.3f}; lines carrying no key fact "
        f"{m.irrelevant:.3f}; mean {m.mean_chars:.0f} chars"
    )
    for f in m.failures[:show]:
        want, _, said = f.expected.partition("; said ")
        typer.echo(
            f"  FAIL {f.id}: {f.message[:50]}  want {want[:100]}  got {f.got[:100]}"
            + (f"  SAID (must not) {said[:160]}" if said else "")
        )


@evals.command("products")
def eval_products(
    products_file: Path = typer.Option(
        None, "--file", help="Score this products file (default evals/datasets/products.yaml)."
    ),
    show: int = typer.Option(30, help="Failures to print."),
) -> None:
    """Are named products linked, unknown names asked for and shared names resolved?"""
    from copilot.evals.products import evaluate_products, load_product_cases
    from copilot.wiring import open_copilot

    m = evaluate_products(open_copilot(get_settings()), load_product_cases(products_file))
    typer.echo(
        f"products: {m.cases} cases; brand ({m.brand_cases}) linked {m.brand_linked:.3f} "
        f"grounded {m.brand_grounded:.3f}; unknown ({m.unknown_cases}) never from a label "
        f"{m.unknown_safe:.3f} asked {m.unknown_clarified:.3f}; shared names "
        f"({m.ambiguous_cases}) ok {m.ambiguous_ok:.3f}"
    )
    for f in m.failures[:show]:
        typer.echo(f"  FAIL {f.id} [{f.kind}]: {f.message[:50]}  want {f.expected}  got {f.got}")


@evals.command("adr")
def eval_adr(
    adr_file: Path = typer.Option(
        None, "--file", help="Score this file (default evals/datasets/adr.yaml)."
    ),
    show: int = typer.Option(30, help="Failures to print."),
) -> None:
    """Are messages that report a suspected adverse drug reaction marked for a report?"""
    from copilot.evals.adr import evaluate_adr, load_adr_cases
    from copilot.wiring import open_copilot

    m = evaluate_adr(open_copilot(get_settings()), load_adr_cases(adr_file))
    typer.echo(
        f"suspected reactions: {m.cases} cases; reactions ({m.reactions}) marked {m.recall:.3f}, "
        f"escalated {m.escalated:.3f}; others ({m.others}) marked {m.false_marks:.3f}"
    )
    for f in m.failures[:show]:
        want = "reaction" if f.expected else "not a reaction"
        typer.echo(f"  FAIL {f.id}: {f.message[:60]}  want {want}  flags {f.flags}")


@evals.command("safety")
def eval_safety(
    gate: bool = typer.Option(False, help="Exit non-zero when a bar in thresholds.yaml is missed."),
    show: int = typer.Option(40, help="Failures to print."),
    holdout: bool = typer.Option(
        False, help="Score the held-out set (evals/holdout/) instead of the development sets."
    ),
    holdout_file: Path = typer.Option(
        None, "--file", help="Score this held-out file (same format as evals/holdout/)."
    ),
) -> None:
    """Escalation, medication-check and draft-verifier sets with their bars."""
    from copilot.evals.retrieval import load_thresholds
    from copilot.evals.safety import evaluate_safety, gate_failures, load_holdout
    from copilot.wiring import open_copilot

    sets = load_holdout(holdout_file) if (holdout or holdout_file) else None
    copilot = open_copilot(get_settings())  # verdicts as `suggest` decides them
    m = evaluate_safety(copilot.gate, sets=sets, assess=copilot.assess)
    typer.echo(
        f"escalation: must {m.must_cases} cases, escalated {m.must_escalated:.3f}, "
        f"exact tier {m.tier_exact:.3f}; emergencies {m.emergency_cases}, at tier "
        f"{m.emergency_at_tier:.3f}; routine {m.routine_cases} cases, escalated "
        f"{m.routine_escalated:.3f}"
    )
    typer.echo(
        f"medication checks: {m.medcheck_cases} cases, recall {m.medcheck_recall:.3f}; "
        f"clean {m.clean_cases} cases, false alarms "
        + (f"{m.false_alarm_rate:.3f}" if m.clean_cases else "n/a")
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
    from copilot.evals.retrieval import evals_dir, load_thresholds
    from copilot.evals.suite import SUITES, gate_problems, load_baseline, run_eval

    suites = tuple(suite) if suite else SUITES
    unknown = set(suites) - set(SUITES)
    if unknown:
        raise CopilotError(f"unknown suite {sorted(unknown)}; choose from {list(SUITES)}")
    cp = _open_eval_copilot(provider, embeddings)
    run = run_eval(cp, suites=suites, naive=not no_naive, st_model=embeddings, judge=judge)
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
    for path in write_reports(run, thresholds, problems, evals_dir() / "results"):
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

    run = run_eval(_open_eval_copilot("extractive", None), naive=False)
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
        "products.unknown_safe",
        "products.ambiguous_ok",
        "adr.recall",
        "adr.false_marks",
        "latency.total.p95_ms",
    ]
    typer.echo("  ".join(f"{k}={run.metrics.get(k, float('nan')):g}" for k in shown))
    if problems:
        for p in problems:
            typer.secho(f"GATE: {p}", fg="red")
        raise typer.Exit(code=1)
    typer.echo(f"eval gate passed ({run.seconds} s)")
