"""The agent's own reply after rejecting a suggestion: verified as an edit is (on a case with
the pharmacist only holding-reply wording passes), sent once, recorded as the agent's message
with an audit entry; the console offers the box once the draft is rejected."""

from __future__ import annotations

from sqlalchemy import select
from test_web import bearer, login, web  # noqa: F401  (the fixture)

from copilot.desk.tables import AuditEntry, Message, SuggestionRow, User


def _say(client, conv, text):
    r = client.post(
        f"/v1/conversations/{conv}/messages", headers=bearer(client, "agent"), json={"text": text}
    )
    assert r.status_code == 200, r.text
    return r.json()


def _reject(client, sid, who="agent"):
    r = client.post(
        f"/v1/suggestions/{sid}/actions",
        headers=bearer(client, who),
        json={"action": "reject", "reason": "草稿答非所问"},
    )
    assert r.status_code == 200, r.text


def _reply(client, sid, text, who="agent", **extra):
    return client.post(
        f"/v1/suggestions/{sid}/reply", headers=bearer(client, who), json={"text": text, **extra}
    )


def test_own_reply_after_rejecting_is_sent_once_as_the_agents_message(web):  # noqa: F811
    sid = _say(web, "r1", "开瑞坦一天吃几片")["suggestion"]["id"]
    early = _reply(web, sid, "您好，请问您是给谁用药？")
    assert early.status_code == 409 and "先拒绝" in early.json()["detail"]
    _reject(web, sid)
    sent = _reply(web, sid, "您好，请问您是给谁用药？成人还是儿童？")
    assert sent.status_code == 200, sent.text
    assert sent.json()["role"] == "agent"
    again = _reply(web, sid, "再发一次")
    assert again.status_code == 409 and "已自行回复" in again.json()["detail"]
    with web.app.state.db.session() as s:
        msgs = list(s.scalars(select(Message).where(Message.conversation_id == "r1")))
        agent = s.scalar(select(User).where(User.username == "agent"))
        assert [(m.role, m.author_id) for m in msgs] == [("customer", None), ("agent", agent.id)]
        assert s.get(SuggestionRow, sid).status == "replied"
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "suggestion.replied"))
        assert entry.entity_id == sid and entry.user_id == agent.id
        assert entry.detail["verifier_outcome"] == "pass"
    assert _reply(web, sid, "药师来回复", who="ph").status_code == 403


def test_own_reply_is_verified_like_an_edit(web):  # noqa: F811
    sid = _say(web, "r2", "开瑞坦一天吃几片")["suggestion"]["id"]
    _reject(web, sid)
    blocked = _reply(web, sid, "您好，开瑞坦一次吃3片，保证治好。")
    assert blocked.status_code == 409 and "核查未通过" in blocked.json()["detail"]
    with web.app.state.db.session() as s:
        assert s.get(SuggestionRow, sid).status == "rejected"  # still open for a reply
        assert s.scalar(select(Message).where(Message.role == "agent")) is None


def test_on_an_escalated_case_only_holding_wording_passes_until_the_pharmacist_answers(web):  # noqa: F811
    body = _say(web, "r3", "我怀孕了能吃感冒灵吗")
    sid, esc = body["suggestion"]["id"], body["escalation"]["id"]
    assert body["suggestion"]["kind"] == "holding"
    _reject(web, sid)
    advice = _reply(web, sid, "您好，孕期可以吃感冒灵，一次一袋，一天三次。")
    assert advice.status_code == 409 and "核查未通过" in advice.json()["detail"]
    holding = _reply(web, sid, "您好，您的问题已转给执业药师，药师会尽快回复您，请稍候。")
    assert holding.status_code == 200, holding.text
    # after the pharmacist answers, a rejected suggestion of before the answer is not replied to
    second = _say(web, "r3", "我还有点咳嗽")["suggestion"]["id"]
    _reject(web, second)
    ph = bearer(web, "ph")
    web.post(f"/v1/escalations/{esc}/claim", headers=ph)
    answered = web.post(
        f"/v1/escalations/{esc}/answer", headers=ph, json={"text": "孕期请先咨询产科医生。"}
    )
    assert answered.status_code == 200, answered.text
    late = _reply(web, second, "您好，请稍候。")
    assert late.status_code == 409 and "药师已在此后答复" in late.json()["detail"]


def test_console_offers_the_reply_box_after_a_rejection(web):  # noqa: F811
    sid = _say(web, "r4", "开瑞坦一天吃几片")["suggestion"]["id"]
    token = login(web, "agent")
    assert 'id="reply-form"' not in web.get("/c/r4").text
    rejected = web.post(
        f"/s/{sid}/act",
        data={"csrf_token": token, "action_button": "reject", "reason": "不合适"},
        follow_redirects=True,
    )
    assert "可在右侧自行回复顾客" in rejected.text
    page = web.get("/c/r4")
    assert page.context["shown"].status == "rejected"
    assert 'id="reply-form"' in page.text and f'action="/s/{sid}/reply"' in page.text
    empty = web.post(
        f"/s/{sid}/reply", data={"csrf_token": token, "text": " "}, follow_redirects=True
    )
    assert "回复为空" in empty.text
    sent = web.post(
        f"/s/{sid}/reply",
        data={"csrf_token": token, "text": "您好，请问是成人用还是儿童用？\r\n谢谢"},
        follow_redirects=True,
    )
    assert "已发送您的回复" in sent.text
    assert 'id="reply-form"' not in sent.text and "已拒绝，已自行回复" in sent.text
    assert "您好，请问是成人用还是儿童用？" in sent.text
    assert (
        web.post(f"/s/{sid}/reply", data={"csrf_token": "forged", "text": "x"}).status_code == 403
    )


def test_an_older_suggestion_covered_by_a_later_reply_can_be_put_away(web):  # noqa: F811
    """Two customer messages; the agent answers the later one: the earlier suggestion is
    covered and may be marked handled (not a reject); one with no reply since may not."""
    agent = bearer(web, "agent")

    def say(text):
        r = web.post("/v1/conversations/cv1/messages", headers=agent, json={"text": text})
        assert r.status_code == 200, r.text
        return r.json()["suggestion"]["id"]

    first = say("开瑞坦一天吃几片")
    refused = web.post(
        f"/v1/suggestions/{first}/actions", headers=agent, json={"action": "dismiss"}
    )
    assert refused.status_code == 409  # nothing has covered it yet
    second = say("氯雷他定饭前吃还是饭后吃")
    sent = web.post(f"/v1/suggestions/{second}/actions", headers=agent, json={"action": "accept"})
    assert sent.status_code == 200, sent.text
    login(web, "agent")
    assert 'id="covered"' in web.get(f"/c/cv1?s={first}").text  # offered on the page
    put_away = web.post(
        f"/v1/suggestions/{first}/actions", headers=agent, json={"action": "dismiss"}
    )
    assert put_away.status_code == 200, put_away.text
    assert 'id="covered"' not in web.get(f"/c/cv1?s={first}").text  # handled now


def test_the_waiting_count_leaves_out_messages_a_later_reply_covered(web):  # noqa: F811
    agent = bearer(web, "agent")

    def pulse():
        return web.get("/v1/desk/pulse", headers=agent).json()["waiting_for_agent"]

    before = pulse()
    for text in ("开瑞坦一天吃几片", "开瑞坦饭前吃还是饭后吃"):
        r = web.post("/v1/conversations/cv2/messages", headers=agent, json={"text": text})
    assert pulse() == before + 2
    latest = r.json()["suggestion"]["id"]
    web.post(f"/v1/suggestions/{latest}/actions", headers=agent, json={"action": "accept"})
    assert pulse() == before  # the earlier message is covered by the reply to the later one
