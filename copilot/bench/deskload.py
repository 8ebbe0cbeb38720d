"""Simulated people for `copilot bench load`: agents working conversations (customer messages
in, suggestions accepted, edited or rejected, pages open, the live banner polled), pharmacists
claiming and answering cases, and the original read-only agent (suggest and pages). Every
request is timed under its route template and its outcome recorded."""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field

import httpx

EDIT_TAIL = "\n祝您早日康复！"
ANSWER = "您好，我是药师。请先不要自行用药，带上正在用的药盒尽快到医院就诊，医生会根据情况处理。"
# A new connection per request: a saturated uvicorn can close a kept-alive connection just as the
# next request arrives (its 5 s keep-alive timer runs late and wins), which browsers retry
# silently but httpx reports as a ReadError; that would be the load generator's error, not the
# server's.
_LIMITS = httpx.Limits(max_keepalive_connections=0)
_CSRF_FORM = re.compile(r'name="csrf_token" value="([^"]+)"')
_CSRF_PAGE = re.compile(r'data-csrf="([^"]+)"')


@dataclass
class Recorder:
    """Latencies (ms) per route template; outcomes: ok, conflict (409: someone else got there
    first, as designed) and error (5xx, other 4xx, timeouts, dropped connections)."""

    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    conflicts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    async def call(
        self, client: httpx.AsyncClient, route: str, method: str, path: str, *, ok=(200,), **kw
    ) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            r = await client.request(method, path, **kw)
        except httpx.HTTPError as exc:
            self.errors[route].append(f"{type(exc).__name__}: {exc}"[:200])
            return None
        self.timings[route].append((time.perf_counter() - started) * 1000)
        if r.status_code in ok:
            return r
        if r.status_code == 409:
            self.conflicts[route] += 1
        else:
            self.errors[route].append(f"{r.status_code}: {r.text[:200]}")
        return None


@dataclass
class Scenario:
    base: str
    until: float
    think: float
    questions: list[str]  # questions agents draft answers to
    urgent: list[str]  # messages that open a case for a pharmacist
    urgent_share: float = 0.1


async def _login(
    rec: Recorder, client: httpx.AsyncClient, username: str, password: str
) -> str | None:
    """Logs in on the page; returns the CSRF token of the new session (for the /v1 calls the
    pages' scripts make), or None when the login failed (recorded as an error)."""
    page = await rec.call(client, "GET /login", "GET", "/login")
    if page is None:
        return None
    csrf = _CSRF_FORM.search(page.text).group(1)
    r = await rec.call(
        client,
        "POST /login",
        "POST",
        "/login",
        ok=(303,),
        data={"username": username, "password": password, "csrf_token": csrf, "next": "/"},
    )
    if r is None:
        return None
    console = await rec.call(client, "GET /", "GET", "/")
    found = _CSRF_PAGE.search(console.text) if console is not None else None
    return found.group(1) if found else None  # no page, no CSRF token: counted, stop


async def _pause(rng: random.Random, think: float) -> None:
    if think:
        await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))


async def desk_agent(
    sc: Scenario, rec: Recorder, n: int, username: str, password: str, token: str, start: float
) -> None:
    """Works its own conversations: a customer message arrives (through the chat system's
    token), the agent opens the conversation, then accepts (75%), edits (20%) or rejects (5%)
    the suggestion; polls the live banner; now and then opens the console or the queue."""
    rng = random.Random(n)
    await asyncio.sleep(start)
    async with (
        httpx.AsyncClient(base_url=sc.base, timeout=30, limits=_LIMITS) as desk,
        httpx.AsyncClient(
            base_url=sc.base,
            timeout=30,
            limits=_LIMITS,
            headers={"Authorization": f"Bearer {token}"},
        ) as chat,
    ):
        csrf = await _login(rec, desk, username, password)
        if csrf is None:
            return  # the failed login is counted; this agent stays away
        headers = {"X-CSRF-Token": csrf}
        turn = 0
        while time.perf_counter() < sc.until:
            turn += 1
            conv = f"bench-{n}-{turn // 4}"  # a new customer every 4 messages
            urgent = rng.random() < sc.urgent_share
            text = rng.choice(sc.urgent if urgent else sc.questions)
            r = await rec.call(
                chat,
                "POST /v1/conversations/{id}/messages",
                "POST",
                f"/v1/conversations/{conv}/messages",
                json={"text": text},
            )
            await rec.call(desk, "GET /c/{id}", "GET", f"/c/{conv}")
            await rec.call(
                desk,
                "GET /v1/desk/pulse",
                "GET",
                f"/v1/desk/pulse?conversation={conv}",
                headers=headers,
            )
            if r is not None:
                suggestion = r.json()["suggestion"]
                roll = rng.random()
                if roll < 0.75:
                    body = {"action": "accept"}
                elif roll < 0.95:
                    body = {
                        "action": "edit",
                        "final_text": suggestion["text"] + EDIT_TAIL,
                        "confirm_warnings": True,
                    }
                else:
                    body = {"action": "reject", "reason": "答非所问"}
                await rec.call(
                    desk,
                    "POST /v1/suggestions/{id}/actions",
                    "POST",
                    f"/v1/suggestions/{suggestion['id']}/actions",
                    headers=headers,
                    json=body,
                )
            if turn % 5 == 0:
                path = rng.choice(["/", "/escalations", "/kb"])
                await rec.call(desk, f"GET {path}", "GET", path)
            await _pause(rng, sc.think)


async def pharmacist(
    sc: Scenario, rec: Recorder, n: int, username: str, password: str, start: float
) -> None:
    """Opens the queue, claims the most urgent case nobody holds (another pharmacist may win
    it: 409), reads it, answers and closes it."""
    rng = random.Random(1000 + n)
    await asyncio.sleep(start)
    async with httpx.AsyncClient(base_url=sc.base, timeout=30, limits=_LIMITS) as client:
        csrf = await _login(rec, client, username, password)
        if csrf is None:
            return
        headers = {"X-CSRF-Token": csrf}
        while time.perf_counter() < sc.until:
            await rec.call(client, "GET /escalations", "GET", "/escalations")
            r = await rec.call(
                client, "GET /v1/escalations", "GET", "/v1/escalations", headers=headers
            )
            cases = [c for c in (r.json() if r is not None else []) if c["status"] == "open"]
            if cases:
                esc = rng.choice(cases[:3])["id"]
                path = f"/v1/escalations/{esc}"
                claimed = await rec.call(
                    client,
                    "POST /v1/escalations/{id}/claim",
                    "POST",
                    path + "/claim",
                    headers=headers,
                )
                if claimed is not None:
                    await rec.call(client, "GET /escalations/{id}", "GET", f"/escalations/{esc}")
                    await _pause(rng, sc.think)  # reading and writing the answer
                    answered = await rec.call(
                        client,
                        "POST /v1/escalations/{id}/answer",
                        "POST",
                        path + "/answer",
                        headers=headers,
                        json={"text": ANSWER},
                    )
                    if answered is not None:
                        await rec.call(
                            client,
                            "POST /v1/escalations/{id}/close",
                            "POST",
                            path + "/close",
                            headers=headers,
                        )
            await _pause(rng, sc.think)


async def read_agent(
    sc: Scenario, rec: Recorder, n: int, username: str, password: str, token: str, start: float
) -> None:
    """The read-only mode: POST /v1/suggest with an eval question, a page every fifth turn."""
    rng = random.Random(n)
    await asyncio.sleep(start)
    async with httpx.AsyncClient(base_url=sc.base, timeout=30, limits=_LIMITS) as client:
        if await _login(rec, client, username, password) is None:
            return
        bearer = {"Authorization": f"Bearer {token}"}
        turn = 0
        while time.perf_counter() < sc.until:
            turn += 1
            await rec.call(
                client,
                "POST /v1/suggest",
                "POST",
                "/v1/suggest",
                headers=bearer,
                json={"message": rng.choice(sc.questions)},
            )
            if turn % 5 == 0:
                path = rng.choice(["/", "/escalations", "/kb"])
                await rec.call(client, f"GET {path}", "GET", path)
            await _pause(rng, sc.think)
