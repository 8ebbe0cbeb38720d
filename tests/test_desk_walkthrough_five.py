"""Defects of the fifth walkthrough in Chromium, fixed (tested through the desk and the pages):
a pharmacist's answer keeps one line ending; an agent's name is said once (客服小李, not
客服客服小李); actions on users that cannot be undone ask first; the queue shows an agent's
referral reason; the queue shows that the customer wrote again."""

from __future__ import annotations

from test_web import bearer, login, web  # noqa: F401  (the fixture)

from copilot.desk.common import agent_name


def test_an_agents_name_is_said_once():
    assert agent_name("客服小李") == "客服小李" and agent_name("小李") == "客服小李"


def test_answer_line_endings_and_the_referral_reason_in_the_queue(web):  # noqa: F811
    said = web.post(
        "/v1/conversations/w5-1/messages",
        headers=bearer(web, "agent"),
        json={"text": "开瑞坦一天吃几片"},
    ).json()
    refer = web.post(
        f"/v1/suggestions/{said['suggestion']['id']}/refer",
        headers=bearer(web, "agent"),
        json={"tier": "priority", "note": "顾客提到在化疗"},
    )
    assert refer.status_code == 200, refer.text
    case = refer.json()["escalation"]["id"]
    login(web, "ph")
    queue = web.get("/escalations").text
    assert "顾客提到在化疗" in queue
    ph = bearer(web, "ph")
    assert web.post(f"/v1/escalations/{case}/claim", headers=ph).status_code == 200
    answered = web.post(
        f"/v1/escalations/{case}/answer",
        headers=ph,
        json={
            "text": "您好，化疗期间用药请先告诉主治医生。\r\n开瑞坦说明书写明成人一日1次，一次1片。"
        },
    )
    assert answered.status_code == 200, answered.text
    texts = [m["text"] for m in web.get("/v1/conversations/w5-1/messages", headers=ph).json()]
    assert not any("\r" in t for t in texts) and any("\n开瑞坦" in t for t in texts)


def test_irreversible_user_actions_ask_first(web):  # noqa: F811
    login(web, "boss")
    page = web.get("/users").text
    assert page.count("data-confirm=") >= 3


def test_the_queue_shows_that_the_customer_wrote_again(web):  # noqa: F811
    first = web.post(
        "/v1/conversations/w5-2/messages",
        headers=bearer(web, "agent"),
        json={"text": "我怀孕了能吃感冒灵吗"},
    ).json()
    assert first["escalation"] is not None
    login(web, "ph")
    assert "顾客又来信" not in web.get("/escalations").text
    web.post(
        "/v1/conversations/w5-2/messages",
        headers=bearer(web, "agent"),
        json={"text": "刚量了体温38度5 已经吃了一包了"},
    )
    queue = web.get("/escalations").text
    assert "顾客又来信" in queue and "刚量了体温38度5" in queue
