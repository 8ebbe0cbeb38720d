"""Races over HTTP (issue 15): each conditional action tried by concurrent threads, several
times. Exactly one wins; the other gets 409 naming who got there first (or, for a repeat with
the same Idempotency-Key, the same result); nothing is stored twice. SQLite always, PostgreSQL
when COPILOT_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import re
import shutil
import threading
from functools import partial

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from copilot.desk.auth import add_user
from copilot.desk.tables import AuditEntry, Conversation, Message, SuggestionRow
from copilot.web.app import create_app

TRIES = 5  # per race; each try starts from a fresh case


@pytest.fixture
def desk_web(tmp_path, db_url, sample_settings, sample_copilot):
    home = tmp_path / "home"
    shutil.copytree(sample_settings.index_dir, home / "index")
    settings = sample_settings.model_copy(
        update={
            "home": home,
            "server": sample_settings.server.model_copy(update={"database_url": db_url}),
        }
    )
    app = create_app(settings, sample_copilot)
    with TestClient(app) as client:
        client.tokens = {}
        with app.state.db.session() as s:
            for name, role, display in (
                ("a1", "agent", "小王"),
                ("a2", "agent", "小李"),
                ("p1", "pharmacist", "张药师"),
                ("p2", "pharmacist", "刘药师"),
            ):
                _, _, client.tokens[name] = add_user(
                    s, username=name, role=role, password=f"{name}-password-1", display_name=display
                )
        client.db = app.state.db
        yield client


def _h(client, name) -> dict:
    return {"Authorization": f"Bearer {client.tokens[name]}"}


def race(calls):
    """Run the calls in threads released together; return their responses in order."""
    barrier = threading.Barrier(len(calls))
    out: list = [None] * len(calls)

    def run(i):
        barrier.wait()
        out[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def _count(client, stmt) -> int:
    with client.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def _winner_and_loser(responses):
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 409], [(r.status_code, r.text) for r in responses]
    ok = next(r for r in responses if r.status_code == 200)
    lost = next(r for r in responses if r.status_code == 409)
    assert set(lost.json()) == {"error", "detail", "fields"}
    return ok, lost


def _case(client, conv: str) -> int:
    r = client.post(
        f"/v1/conversations/{conv}/messages",
        headers=_h(client, "a1"),
        json={"text": "哺乳期能吃开瑞坦吗"},
    )
    assert r.status_code == 200, r.text
    return r.json()["escalation"]["id"]


def test_two_claims_of_one_ticket(desk_web):
    for i in range(TRIES):
        esc = _case(desk_web, f"claim-{i}")
        responses = race(
            [
                partial(desk_web.post, f"/v1/escalations/{esc}/claim", headers=_h(desk_web, n))
                for n in ("p1", "p2")
            ]
        )
        _, lost = _winner_and_loser(responses)
        holder = "张药师" if responses[0].status_code == 200 else "刘药师"
        assert f"已被药师{holder}认领" in lost.json()["detail"]
        stmt = select(AuditEntry).where(
            AuditEntry.action == "escalation.claimed", AuditEntry.entity_id == str(esc)
        )
        assert _count(desk_web, stmt) == 1


def test_two_answers_of_one_ticket(desk_web):
    for i in range(TRIES):
        conv = f"answer-{i}"
        esc = _case(desk_web, conv)
        assert desk_web.post(f"/v1/escalations/{esc}/claim", headers=_h(desk_web, "p1")).is_success
        # the holder sends twice (a double click) while a colleague answers too
        calls = [
            partial(
                desk_web.post,
                f"/v1/escalations/{esc}/answer",
                headers=_h(desk_web, "p1"),
                json={"text": "哺乳期请先咨询医生后再用。"},
            ),
            partial(
                desk_web.post,
                f"/v1/escalations/{esc}/answer",
                headers=_h(desk_web, "p1"),
                json={"text": "哺乳期请先咨询医生后再用。"},
            ),
            partial(
                desk_web.post,
                f"/v1/escalations/{esc}/answer",
                headers=_h(desk_web, "p2"),
                json={"text": "可以吃。"},
            ),
        ]
        responses = race(calls)
        assert sorted(r.status_code for r in responses) == [200, 409, 409]
        assert responses[2].status_code == 409 and "张药师" in responses[2].json()["detail"]
        sent = select(Message).where(Message.conversation_id == conv, Message.role == "pharmacist")
        assert _count(desk_web, sent) == 1


def test_two_accepts_of_one_suggestion(desk_web):
    for i in range(TRIES):
        conv = f"accept-{i}"
        r = desk_web.post(
            f"/v1/conversations/{conv}/messages",
            headers=_h(desk_web, "a1"),
            json={"text": "开瑞坦一天吃几片"},
        )
        sid = r.json()["suggestion"]["id"]
        responses = race(
            [
                partial(
                    desk_web.post,
                    f"/v1/suggestions/{sid}/actions",
                    headers=_h(desk_web, n),
                    json={"action": "accept"},
                )
                for n in ("a1", "a2")
            ]
        )
        _, lost = _winner_and_loser(responses)
        who = "小王" if responses[0].status_code == 200 else "小李"
        assert f"已处理（客服{who}：已采纳发送）" in lost.json()["detail"]
        sent = select(Message).where(Message.conversation_id == conv, Message.role == "agent")
        assert _count(desk_web, sent) == 1


def test_two_closes_of_one_ticket(desk_web):
    for i in range(TRIES):
        esc = _case(desk_web, f"close-{i}")
        desk_web.post(f"/v1/escalations/{esc}/claim", headers=_h(desk_web, "p1"))
        desk_web.post(
            f"/v1/escalations/{esc}/answer",
            headers=_h(desk_web, "p1"),
            json={"text": "请咨询医生。"},
        )
        responses = race(
            [
                partial(desk_web.post, f"/v1/escalations/{esc}/close", headers=_h(desk_web, n))
                for n in ("p1", "p2")
            ]
        )
        _, lost = _winner_and_loser(responses)
        assert re.search(r"已由药师(张|刘)药师关闭", lost.json()["detail"])
        stmt = select(AuditEntry).where(
            AuditEntry.action == "escalation.closed", AuditEntry.entity_id == str(esc)
        )
        assert _count(desk_web, stmt) == 1


def test_three_first_messages_to_a_new_conversation(desk_web):
    texts = ["你好", "在吗", "氯雷他定怎么吃"]
    for i in range(TRIES):
        conv = f"new-{i}"
        responses = race(
            [
                partial(
                    desk_web.post,
                    f"/v1/conversations/{conv}/messages",
                    headers=_h(desk_web, "a1"),
                    json={"text": t},
                )
                for t in texts
            ]
        )
        assert [r.status_code for r in responses] == [200, 200, 200], [r.text for r in responses]
        assert len({r.json()["message_id"] for r in responses}) == 3
        assert _count(desk_web, select(Conversation).where(Conversation.id == conv)) == 1
        assert _count(desk_web, select(Message).where(Message.conversation_id == conv)) == 3
        opened = select(AuditEntry).where(
            AuditEntry.action == "conversation.opened", AuditEntry.entity_id == conv
        )
        assert _count(desk_web, opened) == 1


def test_messages_with_one_idempotency_key(desk_web):
    for i in range(TRIES):
        conv = f"idem-{i}"
        headers = _h(desk_web, "a1") | {"Idempotency-Key": f"chat-msg-{i}"}
        body = {"text": "我怀孕了能吃感冒灵吗", "customer_ref": "会员1"}
        responses = race(
            [
                partial(
                    desk_web.post, f"/v1/conversations/{conv}/messages", headers=headers, json=body
                )
                for _ in range(2)
            ]
        )
        assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
        first, second = (r.json() for r in responses)
        assert first["message_id"] == second["message_id"]
        assert first["suggestion"]["id"] == second["suggestion"]["id"]
        assert first["escalation"]["id"] == second["escalation"]["id"]
        # a later repeat, one by one, is the same result too
        again = desk_web.post(f"/v1/conversations/{conv}/messages", headers=headers, json=body)
        assert again.json()["suggestion"]["id"] == first["suggestion"]["id"]
        assert _count(desk_web, select(Message).where(Message.conversation_id == conv)) == 1
        sug = select(SuggestionRow).where(SuggestionRow.conversation_id == conv)
        assert _count(desk_web, sug) == 1


def test_an_idempotency_key_is_bounded_and_scoped_to_its_conversation(desk_web):
    headers = _h(desk_web, "a1")
    bad = desk_web.post(
        "/v1/conversations/k/messages",
        headers=headers | {"Idempotency-Key": "x" * 129},
        json={"text": "你好"},
    )
    assert bad.status_code == 422 and "idempotency-key" in bad.json()["fields"][0]["field"]
    one = desk_web.post(
        "/v1/conversations/k1/messages",
        headers=headers | {"Idempotency-Key": "same"},
        json={"text": "你好"},
    )
    other = desk_web.post(
        "/v1/conversations/k2/messages",
        headers=headers | {"Idempotency-Key": "same"},
        json={"text": "你好"},
    )
    assert one.json()["message_id"] != other.json()["message_id"]
    plain = [
        desk_web.post("/v1/conversations/k3/messages", headers=headers, json={"text": "你好"})
        for _ in range(2)
    ]
    assert plain[0].json()["message_id"] != plain[1].json()["message_id"]  # no key: two messages
