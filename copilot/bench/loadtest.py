"""`copilot bench load`: concurrent people against a real server on 127.0.0.1 (the configured
embedder and LLM provider, a temporary home with a copy of the served index and a fresh SQLite
database unless a database URL is given).

mode "write" (default): agents work conversations through the write path and pharmacists
answer cases (copilot/bench/deskload.py); mode "read": agents only call /v1/suggest and open
pages. Reports p50/p95 per route, errors and conflicts, and checks the issue-15 figures: suggest
p95 ≤ 300 ms, pages p95 ≤ 500 ms, logins p95 ≤ 1 s, no errors."""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import yaml

from copilot.bench.deskload import Recorder, Scenario, desk_agent, pharmacist, read_agent
from copilot.bench.serverproc import ServerProcess
from copilot.desk.auth import add_user
from copilot.desk.db import Database, database_url
from copilot.errors import IndexMissingError
from copilot.evals.retrieval import evals_dir, load_cases, percentile
from copilot.settings import Settings

PASSWORD = "bench-password-1"
SUGGEST_ROUTES = ("POST /v1/conversations/{id}/messages", "POST /v1/suggest")
# (figure, routes it pools, p95 target in ms)
FIGURES = (
    ("suggest p95", SUGGEST_ROUTES, 300.0),
    ("pages p95", "pages", 500.0),
    ("logins p95", ("POST /login",), 1000.0),
)


def _is_page(route: str) -> bool:
    return route.startswith("GET /") and not route.startswith("GET /v1")


def _urgent_messages() -> list[str]:
    rows = yaml.safe_load((evals_dir() / "datasets" / "escalation_must.yaml").read_text("utf-8"))
    return [r["message"] for r in rows]


def _add_users(url: str, agents: int, pharmacists: int) -> list[tuple[str, str]]:
    """(username, api token) of each agent, then each pharmacist; hashed in parallel."""
    db = Database(url)

    def one(name_role: tuple[str, str]) -> tuple[str, str]:
        name, role = name_role
        with db.session() as s:
            return name, add_user(s, username=name, role=role, password=PASSWORD)[2]

    people = [(f"agent{n}", "agent") for n in range(agents)]
    people += [(f"pharmacist{n}", "pharmacist") for n in range(pharmacists)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        made = list(pool.map(one, people))
    db.engine.dispose()
    return made


def summarize(rec: Recorder, elapsed: float) -> dict:
    """Per route and per figure: n, p50, p95, max, rate, conflicts, errors; pass/fail."""
    routes = {}
    for route in sorted(set(rec.timings) | set(rec.errors)):
        values = rec.timings.get(route, [])
        routes[route] = {
            "n": len(values),
            "p50_ms": round(percentile(values, 50), 1) if values else None,
            "p95_ms": round(percentile(values, 95), 1) if values else None,
            "max_ms": round(max(values), 1) if values else None,
            "per_s": round(len(values) / elapsed, 2),
            "conflicts": rec.conflicts.get(route, 0),
            "errors": len(rec.errors.get(route, [])),
        }
    figures = []
    for name, pooled, target in FIGURES:
        names = [r for r in routes if _is_page(r)] if pooled == "pages" else pooled
        values = [v for r in names for v in rec.timings.get(r, [])]
        p95 = round(percentile(values, 95), 1) if values else None
        figures.append(
            {
                "figure": name,
                "target_ms": target,
                "value_ms": p95,
                "n": len(values),
                "pass": p95 is not None and p95 <= target,
            }
        )
    errors = sum(len(v) for v in rec.errors.values())
    figures.append({"figure": "errors", "target": 0, "value": errors, "pass": errors == 0})
    return {
        "routes": routes,
        "figures": figures,
        "passed": all(f["pass"] for f in figures),
        "error_samples": {r: v[:3] for r, v in rec.errors.items()},
    }


def render_table(report: dict) -> list[str]:
    lines = [
        f"{'route':40s} {'n':>6s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s} {'/s':>6s} "
        f"{'409':>5s} {'err':>4s}"
    ]
    for route, r in report["routes"].items():
        cells = [
            f"{r[k]:8.1f}" if r[k] is not None else f"{'-':>8s}"
            for k in ("p50_ms", "p95_ms", "max_ms")
        ]
        lines.append(
            f"{route:40s} {r['n']:6d} {' '.join(cells)} {r['per_s']:6.1f} "
            f"{r['conflicts']:5d} {r['errors']:4d}"
        )
    lines.append("")
    for f in report["figures"]:
        verdict = "pass" if f["pass"] else "FAIL"
        if "target_ms" in f:
            shown = f"{f['value_ms']} ms" if f["value_ms"] is not None else "no samples"
            lines.append(
                f"  {f['figure']:12s} {shown:>12s}  (target ≤ {f['target_ms']:g} ms)  {verdict}"
            )
        else:
            lines.append(
                f"  {f['figure']:12s} {f['value']:>12d}  (target {f['target']})  {verdict}"
            )
    lines.append("PASS" if report["passed"] else "FAIL: a figure missed its target")
    return lines


def run_load(
    settings: Settings,
    *,
    agents: int,
    seconds: float,
    think: float = 1.0,
    workers: int = 1,
    mode: str = "write",
    pharmacists: int | None = None,
    ramp: float | None = None,
    database: str | None = None,
    echo: Callable[[str], None],
) -> dict:
    pharmacists = max(1, agents // 10) if pharmacists is None else pharmacists
    pharmacists = pharmacists if mode == "write" else 0
    ramp = min(10.0, seconds / 4) if ramp is None else ramp
    if not settings.index_dir.is_dir():
        raise IndexMissingError(
            f"no knowledge index under {settings.index_dir} to load-test; run `make index` "
            "(or `copilot kb build`) with this COPILOT_HOME first"
        )
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        shutil.copytree(settings.index_dir, home / "index")
        if (settings.home / "cache").is_dir():  # tokenizer and exemplar caches: a faster start
            shutil.copytree(settings.home / "cache", home / "cache")
        bench = settings.model_copy(
            update={
                "home": home,
                "server": settings.server.model_copy(update={"database_url": database}),
            }
        )
        echo(f"creating {agents} agents and {pharmacists} pharmacists …")
        people = _add_users(database_url(bench), agents, pharmacists)
        env = {"COPILOT_KNOWLEDGE__DIR": str(settings.knowledge.dir)}
        # every simulated agent shares one address: measure, do not throttle
        env |= {
            "COPILOT_SERVER__RATE_LIMIT_PER_IP": "0",
            "COPILOT_SERVER__RATE_LIMIT_PER_TOKEN": "0",
        }
        if database:
            env["COPILOT_SERVER__DATABASE_URL"] = database
        server = ServerProcess(home, workers=workers, env=env).start(timeout=300)
        try:
            sc = Scenario(
                base=server.url,
                until=0.0,
                think=think,
                questions=[c.question for c in load_cases()],
                urgent=_urgent_messages(),
            )
            rec = Recorder()
            offsets = random.Random(0)

            async def main() -> None:
                sc.until = time.perf_counter() + seconds
                tasks = []
                for n, (name, token) in enumerate(people[:agents]):
                    actor = desk_agent if mode == "write" else read_agent
                    start = offsets.uniform(0, ramp)
                    tasks.append(actor(sc, rec, n, name, PASSWORD, token, start))
                for n, (name, _) in enumerate(people[agents:]):
                    start = offsets.uniform(0, ramp)
                    tasks.append(pharmacist(sc, rec, n, name, PASSWORD, start))
                await asyncio.gather(*tasks)

            echo(f"server up at {server.url}; {len(people)} people for {seconds:g} s …")
            started = time.perf_counter()
            asyncio.run(main())
            elapsed = time.perf_counter() - started
        finally:
            server.stop()
    report = summarize(rec, elapsed)
    report["run"] = {
        "mode": mode,
        "agents": agents,
        "pharmacists": pharmacists,
        "seconds": round(elapsed, 1),
        "ramp_s": ramp,
        "think_s": think,
        "workers": workers,
        "database": "postgresql" if database else "sqlite",
        "embedder": settings.embeddings.provider,
        "llm_provider": settings.llm.provider,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    echo(
        f"{mode} mode: {agents} agents, {pharmacists} pharmacists, think ~{think:g} s, "
        f"{elapsed:.0f} s (logins spread over {ramp:g} s), {workers} uvicorn worker(s), "
        f"{report['run']['database']}, embedder {settings.embeddings.provider}, "
        f"{settings.llm.provider} drafts"
    )
    for line in render_table(report):
        echo(line)
    for route, samples in report["error_samples"].items():
        echo(f"  errors on {route}: {samples}")
    return report


def write_report(report: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return path
