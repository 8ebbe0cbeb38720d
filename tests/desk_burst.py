"""Drive a live desk server from threads and check the database afterwards: customer messages
posted by the chat system, agents accepting suggestions (two agents on each, so one must lose),
a pharmacist claiming and answering. The ledger keeps what the server acknowledged (200), so a
test can check every acknowledged write is stored once and nothing is half-written."""

from __future__ import annotations

import queue
import re
import threading
from collections import Counter
from dataclasses import dataclass, field

import httpx
from sqlalchemy import func, select

from copilot.desk.db import Database
from copilot.desk.tables import AgentAction, Escalation, Message, SuggestionRow

# drafts, and questions that open a case for the pharmacist
QUESTIONS = [
    "开瑞坦一天吃几片",
    "布洛芬饭前吃还是饭后吃",
    "我怀孕了能吃感冒灵吗",
    "感冒灵和泰诺林能一起吃吗",
    "维生素C泡腾片怎么吃",
    "我爸突然胸口疼得厉害还出冷汗",
]
ANSWER = "您好，我是药师。请先不要自行服用这些药，带上药盒尽快到医院就诊，医生会根据情况处理。"
PAGES = ("/", "/escalations", "/kb")
# A new connection per request: a saturated uvicorn can close a kept-alive connection as the
# next request arrives (its 5 s keep-alive timer runs late and wins), which browsers retry
# silently but httpx reports as a reset; that is not what these tests are about.
NO_KEEPALIVE = httpx.Limits(max_keepalive_connections=0)


@dataclass
class Ledger:
    """What the server answered, per route; what it acknowledged, per kind of write."""

    statuses: Counter = field(default_factory=Counter)  # (route, status or "transport") → n
    messages: list[tuple[str, str, str]] = field(default_factory=list)  # conv, text, sugg id
    unknown: int = 0  # writes whose answer never came (the server died mid-request)
    accepted: list[str] = field(default_factory=list)
    answered: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, route: str, status: int | str) -> None:
        with self.lock:
            self.statuses[(route, status)] += 1

    def server_errors(self) -> dict:
        return {k: n for k, n in self.statuses.items() if isinstance(k[1], int) and k[1] >= 500}


def _call(client: httpx.Client, ledger: Ledger, route: str, method: str, path: str, **kw):
    try:
        r = client.request(method, path, **kw)
    except httpx.TransportError:
        ledger.note(route, "transport")
        return None
    ledger.note(route, r.status_code)
    return r


def post_messages(
    base: str, token: str, jobs: list[tuple[str, str]], ledger: Ledger, accepts: queue.Queue
) -> None:
    """The chat system: each (conversation, text) posted once; acknowledged suggestions go to
    the agents twice (two agents will try to send each)."""
    with httpx.Client(
        base_url=base, timeout=60, limits=NO_KEEPALIVE, headers=_bearer(token)
    ) as client:
        for conv, text in jobs:
            r = _call(
                client,
                ledger,
                "POST message",
                "POST",
                f"/v1/conversations/{conv}/messages",
                json={"text": text},
            )
            if r is None:
                with ledger.lock:
                    ledger.unknown += 1
                continue
            if r.status_code == 200:
                sid = r.json()["suggestion"]["id"]
                with ledger.lock:
                    ledger.messages.append((conv, text, sid))
                accepts.put(sid)
                accepts.put(sid)


def accept_suggestions(base: str, token: str, ledger: Ledger, accepts: queue.Queue) -> None:
    """An agent sending suggestions as drafted until the queue says stop (None)."""
    with httpx.Client(
        base_url=base, timeout=60, limits=NO_KEEPALIVE, headers=_bearer(token)
    ) as client:
        while (sid := accepts.get()) is not None:
            r = _call(
                client,
                ledger,
                "POST accept",
                "POST",
                f"/v1/suggestions/{sid}/actions",
                json={"action": "accept"},
            )
            if r is not None and r.status_code == 200:
                with ledger.lock:
                    ledger.accepted.append(sid)


def pharmacist(base: str, username: str, password: str, ledger: Ledger, stop: threading.Event):
    """Logs in on the pages (session cookie), then claims and answers cases through the API
    with the session and its CSRF header, and opens the queue page now and then."""
    with httpx.Client(base_url=base, timeout=60, limits=NO_KEEPALIVE) as client:
        login = client.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
        r = client.post(
            "/login", data={"username": username, "password": password, "csrf_token": csrf}
        )
        assert r.status_code == 303, r.text
        page = client.get("/escalations").text
        headers = {"X-CSRF-Token": re.search(r'data-csrf="([^"]+)"', page).group(1)}
        while not stop.is_set():
            r = _call(client, ledger, "GET queue", "GET", "/v1/escalations", headers=headers)
            cases = r.json() if r is not None and r.status_code == 200 else []
            for case in cases[:3]:
                esc = case["id"]
                path = f"/v1/escalations/{esc}"
                _call(client, ledger, "POST claim", "POST", path + "/claim", headers=headers)
                r = _call(
                    client,
                    ledger,
                    "POST answer",
                    "POST",
                    path + "/answer",
                    headers=headers,
                    json={"text": ANSWER},
                )
                if r is not None and r.status_code == 200:
                    with ledger.lock:
                        ledger.answered.append(esc)
            _call(client, ledger, "GET page", "GET", "/escalations")
            stop.wait(0.2)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def check_database(url: str, ledger: Ledger) -> dict[str, int]:
    """Every acknowledged write is stored exactly once, and nothing is half-written: each
    customer message has its suggestion, each sent suggestion its action and its message to the
    customer, each answered case its one pharmacist message. Returns the counts."""
    db = Database(url, migrate=False)
    try:
        with db.session() as s:
            customer = {
                m.id: m for m in s.scalars(select(Message).where(Message.role == "customer"))
            }
            rows = {r.id: r for r in s.scalars(select(SuggestionRow))}
            by_message = Counter(r.message_id for r in rows.values())
            assert set(by_message) == set(customer), "a customer message without its suggestion"
            assert max(by_message.values(), default=1) == 1, "two suggestions for one message"
            for conv, text, sid in ledger.messages:
                row = rows.get(sid)
                assert row is not None, f"acknowledged suggestion {sid} is missing"
                stored = customer[row.message_id]
                assert (stored.conversation_id, stored.text) == (conv, text)
            # nothing stored that was not acknowledged, beyond requests cut off mid-flight
            assert len(ledger.messages) <= len(customer) <= len(ledger.messages) + ledger.unknown
            accepted = Counter(ledger.accepted)
            assert max(accepted.values(), default=1) == 1, "one suggestion sent twice"
            actions = Counter(s.scalars(select(AgentAction.suggestion_id)))
            assert max(actions.values(), default=1) == 1, "two actions on one suggestion"
            for sid in accepted:
                assert rows[sid].status == "accepted" and actions[sid] == 1, sid
            for sid, row in rows.items():
                assert (row.status != "pending") == (sid in actions), f"half-done action {sid}"
            sent = Counter(
                dict(
                    s.execute(
                        select(SuggestionRow.conversation_id, func.count())
                        .where(SuggestionRow.status.in_(("accepted", "edited")))
                        .group_by(SuggestionRow.conversation_id)
                    ).all()
                )
            )
            agent = Counter(
                s.scalars(select(Message.conversation_id).where(Message.role == "agent"))
            )
            assert agent == sent, "agent messages do not match the suggestions sent"
            answered = Counter(ledger.answered)
            assert max(answered.values(), default=1) == 1, "one case answered twice"
            cases = {e.id: e for e in s.scalars(select(Escalation))}
            for esc in cases.values():
                assert esc.suggestion_id in rows, f"case {esc.id} without its suggestion"
            for esc in answered:
                assert cases[esc].status in ("answered", "closed") and cases[esc].answer == ANSWER
            done = Counter(
                e.conversation_id for e in cases.values() if e.status in ("answered", "closed")
            )
            replies = Counter(
                s.scalars(select(Message.conversation_id).where(Message.role == "pharmacist"))
            )
            assert replies == done, "pharmacist messages do not match the answered cases"
            return {
                "messages": len(customer),
                "sent": sum(sent.values()),
                "cases": len(cases),
                "answered": sum(done.values()),
            }
    finally:
        db.engine.dispose()
