"""`copilot bench load`: N concurrent agents against a real server on 127.0.0.1 (offline
defaults). Each agent logs in, then loops: POST /v1/suggest with an eval question, and now and
then loads a page (console, queue). Reports p50/p95 per request type."""

from __future__ import annotations

import asyncio
import random
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from copilot.bench.serverproc import ServerProcess
from copilot.desk.auth import add_user
from copilot.desk.db import Database, database_url
from copilot.evals.retrieval import load_cases, percentile
from copilot.settings import Settings


async def _agent(
    base: str,
    n: int,
    questions: list[str],
    until: float,
    token: str,
    timings: dict[str, list[float]],
    think: float,
) -> None:
    rng = random.Random(n)
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        page = (await client.get("/login")).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        await client.post(
            "/login",
            data={
                "username": "bench",
                "password": "bench-password-1",
                "csrf_token": csrf,
                "next": "/",
            },
        )
        i = 0
        while time.perf_counter() < until:
            started = time.perf_counter()
            r = await client.post(
                "/v1/suggest",
                json={"message": rng.choice(questions)},
                headers={"Authorization": f"Bearer {token}"},
            )
            r.raise_for_status()
            timings["POST /v1/suggest"].append((time.perf_counter() - started) * 1000)
            i += 1
            if i % 5 == 0:
                path = rng.choice(["/", "/escalations", "/kb"])
                started = time.perf_counter()
                (await client.get(path)).raise_for_status()
                timings["GET pages"].append((time.perf_counter() - started) * 1000)
            if think:
                await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))


def run_load(
    settings: Settings,
    *,
    agents: int,
    seconds: float,
    think: float = 1.0,
    workers: int = 1,
    echo: Callable[[str], None],
) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        shutil.copytree(settings.index_dir, home / "index")
        bench = settings.model_copy(
            update={
                "home": home,
                "server": settings.server.model_copy(update={"database_url": None}),
            }
        )
        with Database(database_url(bench)).session() as s:
            _, _, token = add_user(s, username="bench", role="agent", password="bench-password-1")
        env = {"COPILOT_KNOWLEDGE__DIR": str(settings.knowledge.dir)}
        # every simulated agent shares one address and one token: measure, do not throttle
        env |= {
            "COPILOT_SERVER__RATE_LIMIT_PER_IP": "0",
            "COPILOT_SERVER__RATE_LIMIT_PER_TOKEN": "0",
        }
        server = ServerProcess(home, workers=workers, env=env).start()
        base = server.url
        try:
            questions = [c.question for c in load_cases()]
            timings: dict[str, list[float]] = {"POST /v1/suggest": [], "GET pages": []}
            until = time.perf_counter() + seconds

            async def main() -> None:
                await asyncio.gather(
                    *(
                        _agent(base, n, questions, until, token, timings, think)
                        for n in range(agents)
                    )
                )

            started = time.perf_counter()
            asyncio.run(main())
            elapsed = time.perf_counter() - started
        finally:
            server.stop()
    out = {}
    echo(
        f"{agents} concurrent agents, think time ~{think:g} s, {elapsed:.0f} s, "
        f"{workers} uvicorn worker(s)"
    )
    for name, values in timings.items():
        out[name] = {
            "n": len(values),
            "p50_ms": round(percentile(values, 50), 1),
            "p95_ms": round(percentile(values, 95), 1),
        }
        echo(
            f"  {name:18s} n={len(values):5d}  p50 {out[name]['p50_ms']:7.1f} ms  "
            f"p95 {out[name]['p95_ms']:7.1f} ms  ({len(values) / elapsed:.1f}/s)"
        )
    return out
