"""The conversation list: customer, last message, time and state; filters (mine, waiting,
escalated, done) and search by conversation id, customer id or message text."""

from __future__ import annotations

import re

from test_web import bearer, login, web  # noqa: F401  (the fixture)

from copilot.desk.inbox import inbox
from copilot.desk.tables import User


def _say(client, conv, text, ref=""):
    r = client.post(
        f"/v1/conversations/{conv}/messages",
        headers=bearer(client, "agent"),
        json={"text": text, "customer_ref": ref},
    )
    assert r.status_code == 200, r.text
    return r.json()


def _ids(client, user, **kw):
    with client.app.state.db.session() as s:
        me = s.query(User).filter_by(username=user).one()
        return {i.id for i in inbox(s, me, **kw)}


def test_filters_and_search(web):  # noqa: F811
    plain = _say(web, "i-dose", "布洛芬一天最多吃几次", ref="会员A")
    _say(web, "i-preg", "我怀孕了能吃感冒灵吗", ref="会员B")
    _say(web, "i-100%", "发货了吗")
    agent_action = web.post(
        f"/v1/suggestions/{plain['suggestion']['id']}/actions",
        headers=bearer(web, "agent"),
        json={"action": "accept"},
    )
    assert agent_action.status_code == 200, agent_action.text
    assert _ids(web, "agent") == {"i-dose", "i-preg", "i-100%"}
    assert _ids(web, "agent", filter="mine") == {"i-dose"}
    assert _ids(web, "ph", filter="mine") == set()
    assert _ids(web, "agent", filter="waiting") == {"i-preg", "i-100%"}
    assert _ids(web, "agent", filter="escalated") == {"i-preg"}
    assert _ids(web, "agent", filter="done") == {"i-dose"}
    assert _ids(web, "agent", q="感冒灵") == {"i-preg"}
    assert _ids(web, "agent", q="会员A") == {"i-dose"}
    assert _ids(web, "agent", q="100%") == {"i-100%"}  # LIKE wildcards are literal
    assert _ids(web, "agent", q="%") == {"i-100%"}
    assert _ids(web, "agent", q="_") == set()


def test_console_list_shows_customer_last_message_and_state(web):  # noqa: F811
    _say(web, "i-1", "我怀孕了能吃感冒灵吗", ref="会员B")
    login(web, "agent")
    page = web.get("/?f=escalated").text
    assert "会员B" in page and "我怀孕了能吃感冒灵吗" in page and "转药师·优先" in page
    assert 'class="on"' in page
    none = web.get("/?q=没有这样的对话").text
    assert "没有符合条件的对话" in none
    bad = web.get("/?f=everything")
    assert bad.status_code == 422 and "未知筛选" in bad.text
    assert web.get("/?q=" + "x" * 51).status_code == 422


def _order(client, user, **kw):
    with client.app.state.db.session() as s:
        me = s.query(User).filter_by(username=user).one()
        return [i.id for i in inbox(s, me, **kw)]


def test_waiting_customers_first_open_cases_by_tier_then_the_longest_waiting(web):  # noqa: F811
    done = _say(web, "p-answered", "开瑞坦一天吃几片")
    _say(web, "p-routine", "我这咳嗽断断续续两个多月了 是什么病")
    _say(web, "p-plain-old", "发票怎么开")
    _say(web, "p-emergency", "孩子把一整板降压药都吃了 现在叫不醒")
    _say(web, "p-priority", "我怀孕了能吃感冒灵吗")
    _say(web, "p-plain-new", "发货了吗")
    sent = web.post(
        f"/v1/suggestions/{done['suggestion']['id']}/actions",
        headers=bearer(web, "agent"),
        json={"action": "accept"},
    )
    assert sent.status_code == 200, sent.text
    order = _order(web, "agent")
    assert order[0] == "p-emergency", order
    assert order.index("p-priority") < order.index("p-routine") < order.index("p-plain-old")
    assert order.index("p-plain-old") < order.index("p-plain-new")  # the longest waiting first
    assert order[-1] == "p-answered"  # waits for nothing from the agent


def test_the_console_refers_a_case_to_a_pharmacist(web):  # noqa: F811
    said = _say(web, "p-refer", "开瑞坦一天吃几片", ref="会员R")
    assert said["escalation"] is None
    login(web, "agent")
    page = web.get("/c/p-refer").text
    assert "转药师（系统未转" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    sid = said["suggestion"]["id"]
    empty = web.post(f"/s/{sid}/refer", data={"csrf_token": token, "tier": "priority", "note": ""})
    assert "未转药师" in empty.text and "请写明转药师的原因" in empty.text
    done = web.post(
        f"/s/{sid}/refer",
        data={"csrf_token": token, "tier": "priority", "note": "顾客说正在备孕"},
    )
    assert done.status_code == 200 and "已转药师（工单" in done.text
    assert "暂缓回复（药师答复前发送给顾客）" in done.text and "提高转药师级别" in done.text
    queue = web.get("/v1/escalations", headers=bearer(web, "ph")).json()
    assert [e["tier"] for e in queue] == ["priority"]
