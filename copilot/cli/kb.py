"""`copilot kb build|search`: the knowledge index."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from copilot.cli.app import kb
from copilot.settings import get_settings


def _progress(items, total, desc):
    """A bar with rate and ETA on a terminal; in logs (CI, `make` output) a line every 15 s."""
    from tqdm import tqdm

    tty = sys.stderr.isatty()
    return tqdm(
        items,
        total=total,
        desc=desc,
        disable=total < 2,
        leave=tty,
        mininterval=0.5 if tty else 15,
        ascii=not tty,
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
    embedder = make_embedder(settings.embeddings)
    sources = list(source) if source else None
    if if_stale and not rebuild and index_is_fresh(settings, embedder_identity(embedder), sources):
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

    results, trace = open_retriever(get_settings()).search(query, k)
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


@kb.command("lint")
def kb_lint(
    write_pending: bool = typer.Option(
        False, "--write-pending", help="Record new gaps as pending review in the allow-list."
    ),
) -> None:
    """Interactions our labels state that the machine rules do not know; fails on new ones."""
    from copilot.safety.lint import append_pending, dose_problems, lint
    from copilot.wiring import open_gate

    settings = get_settings()
    allow = settings.knowledge.dir / "review" / "lint_allow.yaml"
    sk = open_gate(settings).knowledge()
    report = lint(sk, allow)
    dose_errors, dose_notes = dose_problems(sk)
    typer.echo(
        f"dose limits: {sum(1 for v in sk.dose_limits.values() if v)} labels with limits, "
        f"{len(sk.dose_tables)} with age/weight tables, {len(dose_notes)} unread, "
        f"{len(dose_errors)} inconsistent"
    )
    for note in dose_notes:
        typer.echo(f"  unread: {note}")
    for err in dose_errors:
        typer.secho(f"  INCONSISTENT {err}", fg="red")
    typer.echo(
        f"knowledge lint: {len(report.gaps)} label-stated interactions without a rule: "
        f"{len(report.reviewed)} reviewed, {len(report.pending)} pending review, "
        f"{len(report.new)} new"
    )
    for gap in report.new:
        typer.secho(f"  NEW {gap.id}  ({gap.section}: {gap.evidence})", fg="red")
    for stale in report.stale:
        typer.echo(f"  no longer a gap (remove from {allow.name}): {stale}")
    if report.new and write_pending:
        append_pending(allow, report.new, "kb lint 发现，待药师审核")
        typer.echo(f"recorded {len(report.new)} as pending in {allow}")
    elif report.new:
        typer.echo(
            "add a row to interactions.yaml for each, or record them with --write-pending "
            "for a pharmacist to review"
        )
        raise typer.Exit(code=1)
    if dose_errors:
        typer.echo("fix the label's 用法用量 or its front matter (max_daily_mg, per_unit_mg)")
        raise typer.Exit(code=1)


@kb.command("import-brands")
def kb_import_brands(
    source: Path = typer.Option(
        None, "--source", help="CMeKG pickle (default: the installed PyCMeKG package's)."
    ),
    out: Path = typer.Option(
        None, "--out", help="Review file (default: knowledge/review/brand_candidates_cmekg.yaml)."
    ),
) -> None:
    """Brand candidates for our products from the CMeKG graph, written for a person to review
    (never loaded into linking); decisions already in the review file are kept."""
    from copilot.ingest.brand_import import (
        default_source,
        find_candidates,
        load_graph,
        write_review,
    )

    settings = get_settings()
    kdir = settings.knowledge.dir
    out = out or kdir / "review" / "brand_candidates_cmekg.yaml"
    graph = load_graph(source or default_source())
    report = find_candidates(graph, kdir, out)
    write_review(report, out)
    flagged = sum(1 for c in report.candidates if c.flags)
    typer.echo(
        f"{len(graph)} graph entries; {report.matched_products} of our products matched by "
        f"generic name; {len(report.candidates)} brand candidates ({flagged} flagged, "
        f"{report.kept_decisions} earlier decisions kept), {report.known} already known, "
        f"{report.noise} noisy values dropped → {out}"
    )
    typer.echo("review it (decision: accepted / rejected), then `copilot kb accept-brands`")


@kb.command("accept-brands")
def kb_accept_brands(
    review: Path = typer.Option(
        None,
        "--review",
        help="Review file (default: knowledge/review/brand_candidates_cmekg.yaml).",
    ),
) -> None:
    """Move the accepted candidates of a brand review file into products.yaml."""
    from copilot.ingest.brand_import import accept_brands

    kdir = get_settings().knowledge.dir
    report = accept_brands(review or kdir / "review" / "brand_candidates_cmekg.yaml", kdir)
    for product, name in report.moved:
        typer.echo(f"  {product}: + {name}")
    typer.echo(
        f"{len(report.moved)} brands added to products.yaml, {report.already} already there; "
        "restart the service so linking reads them"
    )
