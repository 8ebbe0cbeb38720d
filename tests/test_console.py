"""The agent console's suggestion column: earlier pending suggestions of a conversation are
listed (待处理建议) and each opens in the panel with accept / edit / reject."""

from __future__ import annotations

from test_web import bearer, login, web  # noqa: F401  (the fixture)


def _say(client, conv, text):
    r = client.post(
        f"/v1/conversations/{conv}/messages", headers=bearer(client, "agent"), json={"text": text}
    )
    assert r.status_code == 200, r.text
    return r.json()["suggestion"]["id"]


def test_earlier_pending_suggestions_are_listed_and_open_in_the_panel(web):  # noqa: F811
    first = _say(web, "p1", "开瑞坦一天吃几片")
    second = _say(web, "p1", "氯雷他定饭前吃还是饭后吃")
    newest = _say(web, "p1", "开瑞坦孩子能吃吗")
    token = login(web, "agent")
    page = web.get("/c/p1")
    assert page.context["suggestion"].id == newest
    assert [p.id for p in page.context["pending"]] == [first, second]
    assert "待处理建议" in page.text and "开瑞坦一天吃几片" in page.text
    assert f'href="/c/p1?s={first}"' in page.text
    assert 'id="earlier-suggestion"' not in page.text

    earlier = web.get(f"/c/p1?s={first}")
    assert earlier.context["suggestion"].id == first
    assert [p.id for p in earlier.context["pending"]] == [second, newest]
    assert 'id="earlier-suggestion"' in earlier.text and "回到最新建议" in earlier.text
    assert f'action="/s/{first}/act"' in earlier.text  # accept / edit / reject for this one

    sent = web.post(
        f"/s/{first}/act",
        data={"csrf_token": token, "action_button": "accept"},
        follow_redirects=True,
    )
    assert "已发送" in sent.text
    assert [p.id for p in sent.context["pending"]] == [second]
    rejected = web.post(
        f"/s/{second}/act",
        data={"csrf_token": token, "action_button": "reject", "reason": "顾客已换了问题"},
        follow_redirects=True,
    )
    assert rejected.context["pending"] == [] and "待处理建议" not in rejected.text


def test_a_suggestion_of_another_conversation_is_not_opened(web):  # noqa: F811
    other = _say(web, "p2", "开瑞坦一天吃几片")
    _say(web, "p3", "氯雷他定饭前吃还是饭后吃")
    login(web, "agent")
    html = {"accept": "text/html"}
    assert web.get(f"/c/p3?s={other}", headers=html).status_code == 404
    assert web.get("/c/p3?s=nope", headers=html).status_code == 404
    assert web.get("/c/p3?s=a%2Fb", headers=html).status_code == 422
