"""Markdown, HTML and JSON reports of an eval run (failures first)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from copilot.evals.suite import EvalRun

TEMPLATES = Path(str(resources.files("copilot.evals") / "templates"))


def rows(run: EvalRun, thresholds: dict) -> list[dict]:
    bars = thresholds.get("bars") or {}
    out = []
    for name, ours in run.metrics.items():
        naive = run.naive.get(name)
        ratio = f"{ours / naive:.2f}×" if naive else ("∞" if naive == 0 and ours else "—")
        bar = bars.get(name, {})
        bar_text = (
            f"≥ {bar['min']}" if "min" in bar else (f"≤ {bar['max']}" if "max" in bar else "")
        )
        out.append(
            {
                "name": name,
                "ours": f"{ours:g}",
                "naive": "—" if naive is None else f"{naive:g}",
                "ratio": ratio,
                "bar": bar_text,
            }
        )
    return out


def markdown(run: EvalRun, thresholds: dict, problems: list[str]) -> str:
    lines = [
        f"# Eval run {run.run_id}",
        "",
        f"provider `{run.provider}`, embedder `{run.embedder}`, {run.seconds} s, "
        f"gate: {'FAILED' if problems else 'passed'}",
        "",
    ]
    if problems:
        lines += ["## Gate problems", ""] + [f"- {p}" for p in problems] + [""]
    lines += [f"## Failures ({len(run.failures)})", ""]
    if run.failures:
        lines += ["| set | case | input | expected | got |", "| --- | --- | --- | --- | --- |"]
        for f in run.failures:
            cells = [f.set, f.id, f.input, f.expected, f.got]
            lines.append(
                "| " + " | ".join(c.replace("|", "/").replace("\n", " ") for c in cells) + " |"
            )
    lines += [
        "",
        "## Metrics: ours vs. naive baseline (dense-only, no safety layer)",
        "",
        "| metric | ours | naive | ratio | bar |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in rows(run, thresholds):
        lines.append(f"| {r['name']} | {r['ours']} | {r['naive']} | {r['ratio']} | {r['bar']} |")
    if run.extra:
        lines += ["", "## Not gated", ""] + [f"- {k}: {v:g}" for k, v in run.extra.items()]
    if run.notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in run.notes]
    return "\n".join(lines) + "\n"


def write_reports(run: EvalRun, thresholds: dict, problems: list[str], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"eval-{run.run_id}"
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    html = env.get_template("eval_report.html.j2").render(
        run=run, rows=rows(run, thresholds), problems=problems
    )
    paths = [stem.with_suffix(".json"), stem.with_suffix(".md"), stem.with_suffix(".html")]
    paths[0].write_text(run.model_dump_json(indent=1), encoding="utf-8")
    paths[1].write_text(markdown(run, thresholds, problems), encoding="utf-8")
    paths[2].write_text(html, encoding="utf-8")
    return paths
