"""The web service over HTTP (in process): login and CSRF, roles enforced on the server, bad
input, the incoming-message API with bearer tokens, uploads."""

from __future__ import annotations

import re
import shutil

import pytest
from fastapi.testclient import TestClient

from copilot.desk.auth import add_user
from copilot.web.app import create_app


@pytest.fixture
def web(tmp_path, sample_settings, sample_copilot):
    home = tmp_path / "home"
    shutil.copytree(sample_settings.index_dir, home / "index")  # the sample index, copied
    settings = sample_settings.model_copy(update={"home": home})
    app = create_app(settings, sample_copilot)
    with TestClient(app) as client:
        tokens = {}
        with app.state.db.session() as s:
            for name, role in (("agent", "agent"), ("ph", "pharmacist"), ("boss", "admin")):
                _, _, tokens[name] = add_user(
                    s, username=name, role=role, password=f"{name}-password-1"
                )
        client.tokens = tokens
        yield client


def csrf(client, path="/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def login(client, name):
    r = client.post(
        "/login",
        data={
            "username": name,
            "password": f"{name}-password-1",
            "csrf_token": csrf(client),
            "next": "/",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    return csrf(client, "/")


def bearer(client, name):
    return {"Authorization": f"Bearer {client.tokens[name]}"}


def test_pages_need_login_and_forms_need_csrf(web):
    r = web.get("/escalations", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/escalations"
    bad = web.post(
        "/login", data={"username": "agent", "password": "agent-password-1", "csrf_token": "forged"}
    )
    assert bad.status_code == 403
    wrong = web.post(
        "/login", data={"username": "agent", "password": "nope", "csrf_token": csrf(web)}
    )
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text
    token = login(web, "agent")
    assert (
        web.post("/c/demo-x/customer", data={"text": "你好", "csrf_token": "x"}).status_code == 403
    )
    assert (
        web.post("/c/demo-x/customer", data={"text": "你好", "csrf_token": token}).status_code
        == 200
    )


def test_incoming_message_api_with_bearer_token(web):
    assert web.post("/v1/conversations/c1/messages", json={"text": "你好"}).status_code == 401
    assert (
        web.post(
            "/v1/conversations/c1/messages",
            json={"text": "你好"},
            headers={"Authorization": "Bearer wrong"},
        ).status_code
        == 401
    )
    r = web.post(
        "/v1/conversations/c1/messages",
        headers=bearer(web, "agent"),
        json={"text": "我怀孕了能吃感冒灵吗", "customer_ref": "会员123"},
    )
    assert r.status_code == 200
    body = r.json()
    assert body["suggestion"]["kind"] == "holding" and body["escalation"]["tier"] == "priority"
    msgs = web.get("/v1/conversations/c1/messages", headers=bearer(web, "agent")).json()
    assert [m["role"] for m in msgs] == ["customer"]
    esc_id = body["escalation"]["id"]
    forbidden = web.post(
        f"/v1/escalations/{esc_id}/answer", json={"text": "可以"}, headers=bearer(web, "agent")
    )
    assert forbidden.status_code == 403
    unclaimed = web.post(
        f"/v1/escalations/{esc_id}/answer", json={"text": "请先不要服用"}, headers=bearer(web, "ph")
    )
    assert unclaimed.status_code == 409 and "认领" in unclaimed.json()["detail"]
    web.post(f"/v1/escalations/{esc_id}/claim", headers=bearer(web, "ph"))
    ok = web.post(
        f"/v1/escalations/{esc_id}/answer",
        json={"text": "请先不要服用，药师建议……"},
        headers=bearer(web, "ph"),
    )
    assert ok.status_code == 200 and ok.json()["status"] == "answered"


@pytest.mark.parametrize(
    ("path", "kwargs", "status"),
    [
        ("/v1/conversations/c1/messages", {"json": {"text": ""}}, 422),
        ("/v1/conversations/c1/messages", {"json": {"text": "药" * 2001}}, 422),
        (
            "/v1/conversations/c1/messages",
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
            422,
        ),
        ("/v1/conversations/c1/messages", {"json": {"text": "hi", "unknown": 1}}, 422),
        ("/v1/suggestions/nope/actions", {"json": {"action": "accept"}}, 404),
        ("/v1/suggestions/nope/actions", {"json": {"action": "delete"}}, 422),
        ("/v1/escalations/999/claim", {}, 404),
        # malformed values (issue 15): each a 4xx naming the field, never a 500
        ("/v1/escalations/9223372036854775808/claim", {}, 422),
        ("/v1/escalations/0/claim", {}, 422),
        (
            "/v1/conversations/c1/messages",
            {
                "content": b'{"text": "hi", "profile": {"age_years": NaN}}',
                "headers": {"content-type": "application/json"},
            },
            422,
        ),
        (
            "/v1/conversations/c1/messages",
            {
                "content": b'{"text": "hi", "profile": {"age_years": 1e309}}',
                "headers": {"content-type": "application/json"},
            },
            422,
        ),
        (
            "/v1/conversations/c1/messages",
            {
                "content": b'{"text": "\\ud800 hi"}',
                "headers": {"content-type": "application/json"},
            },
            422,
        ),
        ("/v1/conversations/" + "x" * 65 + "/messages", {"json": {"text": "hi"}}, 422),
        (
            "/v1/conversations/c1/messages",
            {"json": {"text": "hi", "profile": {"allergies": ["青霉素"] * 51}}},
            422,
        ),
        (
            "/v1/conversations/c1/messages",
            {"json": {"text": "hi", "cart": [{"product": "x" * 101}]}},
            422,
        ),
    ],
)
def test_bad_input_gets_a_clear_4xx(web, path, kwargs, status):
    # a case's actions are a pharmacist's own (an admin gets 403 before the input is read)
    caller = "ph" if path.startswith("/v1/escalations/") else "boss"
    headers = kwargs.pop("headers", {}) | bearer(web, caller)
    r = web.post(path, headers=headers, **kwargs)
    assert r.status_code == status
    assert r.json().get("detail")


def test_unknown_conversation_is_404(web):
    assert (
        web.get("/v1/conversations/nope/messages", headers=bearer(web, "agent")).status_code == 404
    )
    login(web, "agent")
    assert web.get("/c/nope", headers={"accept": "text/html"}).status_code == 404


def test_pages_speak_chinese_only_on_errors(web):
    """An unknown address is the Chinese error page for a browser (JSON for the API), and an
    error's English gloss for API callers (（admins only）) is not shown on a page."""
    login(web, "agent")
    page = web.get("/no-such-page", headers={"accept": "text/html"})
    assert page.status_code == 404 and "找不到该页面" in page.text and '"error"' not in page.text
    api = web.get("/v1/no-such-route", headers={"accept": "text/html"})
    assert api.status_code == 404 and api.json()["error"] == "NotFound"
    users = web.get("/users", headers={"accept": "text/html"})
    assert users.status_code == 403 and "需要管理员权限" in users.text
    assert "admins only" not in users.text


def test_dashboard_and_upload_are_role_checked(web):
    token = login(web, "agent")
    assert web.get("/dashboard", headers={"accept": "text/html"}).status_code == 403
    files = {"file": ("x.txt", "通用名称：测试片\n【用法用量】一次1片。".encode(), "text/plain")}
    up = web.post(
        "/kb/upload", data={"csrf_token": token}, files=files, headers={"accept": "text/html"}
    )
    assert up.status_code == 403


def _wait_for_rebuild(client) -> dict:
    import time

    for _ in range(600):
        status = client.get("/kb/rebuild").json()
        if status["state"] != "running":
            return status
        time.sleep(0.05)
    raise AssertionError("the rebuild did not finish")


def test_admin_upload_rebuilds_in_the_background_and_reports(web):
    token = login(web, "boss")
    good = {
        "file": (
            "my-label.txt",
            "通用名称：测试维生素片\n【成分】维生素B1。\n【用法用量】成人一次1片，一日3次。\n".encode(),
            "text/plain",
        )
    }
    r = web.post("/kb/upload", data={"csrf_token": token}, files=good)
    assert r.status_code == 202
    status = _wait_for_rebuild(web)
    assert status["state"] == "done" and status["report"]["documents"] > 0, status
    assert "已收录" in web.get("/kb").text
    assert web.get("/kb/my-label").status_code == 200
    bad = {"file": ("gbk.txt", "通用名称：坏文件".encode("gbk"), "text/plain")}
    assert web.post("/kb/upload", data={"csrf_token": token}, files=bad).status_code == 202
    status = _wait_for_rebuild(web)
    assert status["state"] == "failed" and "not UTF-8" in status["error"]
    assert "未收录" in web.get("/kb").text
    exe = {"file": ("virus.exe", b"MZ", "application/octet-stream")}
    assert (
        web.post(
            "/kb/upload", data={"csrf_token": token}, files=exe, headers={"accept": "text/html"}
        ).status_code
        == 415
    )
    big = {"file": ("big.txt", b"a" * (11 * 1024 * 1024), "text/plain")}
    assert (
        web.post(
            "/kb/upload", data={"csrf_token": token}, files=big, headers={"accept": "text/html"}
        ).status_code
        == 413
    )


def test_upload_does_not_block_health_and_a_second_upload_gets_409(web, monkeypatch):
    """The rebuild runs in a worker thread: while it is held, /healthz answers and a second
    upload is refused with a clear message."""
    import threading

    updates = web.app.state.kb_updates
    release = threading.Event()
    real_build = updates.build

    def held_build(**kwargs):
        release.wait(30)
        return real_build(**kwargs)

    monkeypatch.setattr(updates, "build", held_build)
    token = login(web, "boss")
    label = "通用名称：测试钙片\n【用法用量】成人一次1片，一日1次。\n".encode()
    first = web.post(
        "/kb/upload", data={"csrf_token": token}, files={"file": ("ca.txt", label, "text/plain")}
    )
    assert first.status_code == 202 and "正在重建索引" in first.text
    assert web.get("/healthz").json()["status"] == "ok"
    second = web.post(
        "/kb/upload",
        data={"csrf_token": token},
        files={"file": ("ca2.txt", label, "text/plain")},
        headers={"accept": "text/html"},
    )
    assert second.status_code == 409 and "正在重建" in second.text
    release.set()
    assert _wait_for_rebuild(web)["state"] == "done"


def test_dashboard_shows_figures(web):
    web.post(
        "/v1/conversations/d1/messages",
        json={"text": "开瑞坦一天吃几片"},
        headers=bearer(web, "agent"),
    )
    web.post(
        "/v1/conversations/d2/messages",
        json={"text": "我怀孕了能吃感冒灵吗"},
        headers=bearer(web, "agent"),
    )
    login(web, "ph")
    page = web.get("/dashboard").text
    assert "转药师：按规则" in page and "<svg" in page and "采纳率" in page


def test_login_refuses_open_redirects_and_throttles_guessing(web):
    from copilot.web.pages.login import safe_next

    for bad in ("//evil.example", "/\\evil.example", "https://evil.example", "evil"):
        assert safe_next(bad) == "/"
    assert safe_next("/escalations?x=1") == "/escalations?x=1"
    for _ in range(5):
        r = web.post(
            "/login", data={"username": "ph", "password": "wrong-password", "csrf_token": csrf(web)}
        )
        assert r.status_code == 401
    r = web.post(
        "/login", data={"username": "ph", "password": "ph-password-1", "csrf_token": csrf(web)}
    )
    assert r.status_code == 429 and "次数过多" in r.text  # even the right password, for now


def test_password_policy():
    from copilot.desk.auth import AuthError, check_password, hash_password

    with pytest.raises(AuthError, match="128"):
        hash_password("密码" * 65)  # refused, not truncated, no crash
    assert check_password("密码安全" * 10, hash_password("密码安全" * 10))  # 120 bytes: argon2
    with pytest.raises(AuthError, match="different"):
        hash_password("aaaaaaaaaaaa")
    assert check_password("x" * 1000, hash_password("a-good-password")) is False


def test_logout_ends_every_session_of_the_user(web):
    token = login(web, "agent")
    stolen = web.cookies.get("copilot_session")
    assert stolen
    assert web.get("/", follow_redirects=False).status_code == 200
    web.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    web.cookies.clear()
    web.cookies.set("copilot_session", stolen)  # the cookie copied before logout
    r = web.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    login(web, "agent")  # a new login works
    assert web.get("/", follow_redirects=False).status_code == 200


def test_adr_report_api_roles_and_page_flow(web):
    """A pharmacist opens, saves and submits an ADR report from a case through the API and the
    pages; an agent sees only its status; bad input on the page is a Chinese message."""
    r = web.post(
        "/v1/conversations/adr-c/messages",
        headers=bearer(web, "agent"),
        json={"text": "吃了阿莫西林第二天身上起了好多红疹子，很痒", "profile": {"sex": "female"}},
    )
    esc = r.json()["escalation"]
    assert esc is not None
    assert (
        web.post(f"/v1/escalations/{esc['id']}/adr", headers=bearer(web, "agent")).status_code
        == 403
    )
    view = web.post(f"/v1/escalations/{esc['id']}/adr", headers=bearer(web, "ph")).json()
    assert view["form"]["sex"] == "女" and view["missing_required"]
    seen = web.get(f"/v1/adr/{view['id']}", headers=bearer(web, "agent")).json()
    assert set(seen) == {"id", "escalation_id", "status", "due_at", "overdue"}
    assert web.get(f"/v1/adr/{view['id']}/export", headers=bearer(web, "agent")).status_code == 403
    put = web.put(
        f"/v1/adr/{view['id']}",
        headers=bearer(web, "agent"),
        json={"form": view["form"], "version": view["version"]},
    )
    assert put.status_code == 403

    token = login(web, "ph")
    page = web.get(f"/escalations/{esc['id']}")
    assert "药品不良反应报告" in page.text and f"/adr/{view['id']}" in page.text
    page = web.get(f"/adr/{view['id']}")
    assert (
        page.status_code == 200
        and "提交前必须填写" in page.text
        and "说明书【不良反应】" in page.text
    )
    form = {
        "csrf_token": token,
        "version": str(view["version"]),
        "drug_count": "1",
        "drug-0-role": "suspected",
        "drug-0-product_id": "amoxicillin-capsule",
        "drug-0-generic_name": "阿莫西林胶囊",
        "drug-0-batch_no": "A20261101",
        "sex": "女",
        "event_name": "药疹",
        "onset_date": "2026-11-29",
        "event_course": "服药第二天全身红色皮疹伴瘙痒，已停药",
        "outcome": "好转",
        "seriousness": "general",
        "is_new": "no",
        "causality": "很可能",
        "age_years": "abc",
    }
    bad = web.post(f"/adr/{view['id']}/save", data=form, follow_redirects=True)
    assert "未保存" in bad.text and "年龄" in bad.text  # what and where, in Chinese
    form["age_years"] = "34"
    saved = web.post(f"/adr/{view['id']}/save", data=form, follow_redirects=True)
    assert "已保存" in saved.text and "A20261101" in saved.text
    assert f"/adr/{view['id']}" in web.get("/escalations").text  # a draft: a to-do in the queue
    now = web.get(f"/v1/adr/{view['id']}", headers=bearer(web, "ph")).json()
    assert now["missing_required"] == [] and now["due_rule"] == "general"
    done = web.post(
        f"/adr/{view['id']}/submit",
        data={"csrf_token": token, "version": str(now["version"])},
        follow_redirects=True,
    )
    assert "已提交" in done.text
    printed = web.get(f"/adr/{view['id']}/print")
    assert "药品不良反应/事件报告表" in printed.text and "A20261101" in printed.text
    csv_text = web.get("/v1/adr/export.csv", headers=bearer(web, "ph")).text
    assert "药疹" in csv_text
    assert "药疹" in web.get("/adr/export.csv").text  # the page's own download link
    assert web.get(f"/adr/{view['id']}/export.json").json()["不良反应名称"] == "药疹"
    assert f"/adr/{view['id']}" not in web.get("/escalations").text  # submitted: no longer a to-do
    listing = web.get("/adr")
    assert f"/adr/{view['id']}" in listing.text and "已提交" in listing.text
    dash = web.get("/dashboard")
    assert "不良反应报告" in dash.text


def test_adr_cluster_alert_reaches_the_queue_and_the_dashboard(web):
    for n in range(3):
        r = web.post(
            f"/v1/conversations/cl-{n}/messages",
            headers=bearer(web, "agent"),
            json={"text": f"用了达克宁霜{n + 2}天，涂的地方又红又肿"},
        )
        esc = r.json()["escalation"]
        assert web.post(f"/v1/escalations/{esc['id']}/adr", headers=bearer(web, "ph")).is_success
    alerts = web.get("/v1/adr/clusters", headers=bearer(web, "ph")).json()
    assert alerts and alerts[0]["product"] == "miconazole-cream" and len(alerts[0]["reports"]) == 3
    assert web.get("/v1/adr/clusters", headers=bearer(web, "agent")).status_code == 403
    login(web, "ph")
    assert "聚集性预警" in web.get("/escalations").text
    assert "聚集性预警" in web.get("/dashboard").text
    assert "聚集性预警" in web.get("/adr").text
    assert web.get("/v1/desk/pulse", headers=bearer(web, "ph")).json()["adr_clusters"] == 1
    assert web.get("/v1/desk/pulse", headers=bearer(web, "agent")).json()["adr_clusters"] == 0


def test_desk_pulse_reports_what_changed(web):
    assert web.get("/v1/desk/pulse").status_code == 401
    empty = web.get("/v1/desk/pulse", headers=bearer(web, "agent")).json()
    assert empty["latest_escalation_id"] is None and empty["escalations_open"] == 0
    r = web.post(
        "/v1/conversations/p1/messages",
        headers=bearer(web, "agent"),
        json={"text": "我怀孕了能吃感冒灵吗"},
    )
    esc = r.json()["escalation"]
    now = web.get("/v1/desk/pulse?conversation=p1", headers=bearer(web, "agent")).json()
    assert now["latest_escalation_id"] == esc["id"] and now["latest_escalation_tier"] == "priority"
    assert now["escalations_open"] == 1 and now["overdue_open"] == 0
    assert now["conversation_last_message_id"] >= 1


def test_queue_shows_customer_question_and_waiting_time(web):
    web.post(
        "/v1/conversations/q-cols/messages",
        headers=bearer(web, "agent"),
        json={"text": "我怀孕了能吃感冒灵吗", "customer_ref": "会员8817"},
    )
    login(web, "ph")
    page = web.get("/escalations").text
    assert "会员8817" in page and "我怀孕了能吃感冒灵吗" in page and "0分钟" in page
    assert "北京时间" in page and " UTC" not in page


def test_a_pharmacist_lands_on_the_queue(web):
    r = web.post(
        "/login",
        data={"username": "ph", "password": "ph-password-1", "csrf_token": csrf(web), "next": "/"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/escalations"


def test_password_change_and_token_rotation(web):
    token = login(web, "agent")
    other = web.cookies.get("copilot_session")  # another browser signed in as the same user
    assert other

    def change(old: str, new: str):
        data = {"csrf_token": token, "old_password": old}
        data |= {"new_password": new, "confirm_password": new}
        return web.post("/account/password", data=data, follow_redirects=True)

    bad = change("wrong-password-1", "a-new-password-9")
    assert "原密码不正确" in bad.text
    weak = change("agent-password-1", "aaaaaaaaaaaa")
    assert "密码过于简单" in weak.text
    ok = change("agent-password-1", "a-new-password-9")
    assert "密码已修改" in ok.text
    assert web.get("/", follow_redirects=False).status_code == 200  # this browser stays in
    mine = web.cookies.get("copilot_session")
    web.cookies.clear()
    web.cookies.set("copilot_session", other)
    assert web.get("/", follow_redirects=False).status_code == 303  # the other session ended
    web.cookies.clear()
    web.cookies.set("copilot_session", mine)

    old_header = bearer(web, "agent")
    assert web.get("/v1/desk/pulse", headers=old_header).status_code == 200
    page = web.post("/account/token", data={"csrf_token": csrf(web, "/account")})
    new = re.search(r'id="new-token">([^<]+)<', page.text).group(1)
    assert web.get("/v1/desk/pulse", headers=old_header).status_code == 401
    assert web.get("/v1/desk/pulse", headers={"Authorization": f"Bearer {new}"}).status_code == 200


def _events(client, query: str, headers=None) -> list[dict]:
    import json

    with client.stream("GET", f"/v1/desk/events?{query}", headers=headers or {}) as r:
        assert r.status_code == 200, r.read()
        assert r.headers["content-type"].startswith("text/event-stream")
        body = "".join(r.iter_text())
    return [
        json.loads(line[5:].strip())
        for block in body.split("\n\n")
        for line in block.splitlines()
        if line.startswith("data:")
    ]


def test_desk_event_stream_pushes_changes(web):
    import threading
    import time

    assert web.get("/v1/desk/events").status_code == 401
    first = _events(web, "max_seconds=0.5", bearer(web, "ph"))
    assert len(first) == 1 and first[0]["escalations_open"] == 0  # the state at once, no repeats

    def later():
        time.sleep(0.8)
        web.post(
            "/v1/conversations/ev1/messages",
            headers=bearer(web, "agent"),
            json={"text": "我怀孕了能吃感冒灵吗"},
        )

    t = threading.Thread(target=later)
    t.start()
    seen = _events(web, "max_seconds=4&conversation=ev1", bearer(web, "ph"))
    t.join()
    assert len(seen) >= 2
    assert seen[0]["conversation_last_message_id"] is None
    assert seen[-1]["escalations_open"] == 1 and seen[-1]["conversation_last_message_id"]
    assert seen[-1]["version"] != seen[0]["version"]
    # the page session needs no CSRF header for this read-only stream
    login(web, "agent")
    assert len(_events(web, "max_seconds=0.2")) == 1


def test_the_chat_system_has_a_service_token_of_its_own(web):
    """A chat account (role chat) is created without a password to change, posts customer
    messages and reads the conversation with its token, and reaches nothing else: no pages
    (it cannot sign in, with any password), no suggest, search, queue or event stream."""
    with web.app.state.db.session() as s:
        user, password, token = add_user(s, username="chatsys", role="chat")
        assert not user.must_change_password
    chat = {"Authorization": f"Bearer {token}"}
    sent = web.post(
        "/v1/conversations/chat-1/messages", json={"text": "布洛芬一天几次"}, headers=chat
    )
    assert sent.status_code == 200, sent.text
    read = web.get("/v1/conversations/chat-1/messages", headers=chat)
    assert read.status_code == 200 and read.json()[0]["text"] == "布洛芬一天几次"
    for method, path, body in (
        ("POST", "/v1/suggest", {"message": "布洛芬一天几次"}),
        ("GET", "/v1/search?q=布洛芬", None),
        ("GET", "/v1/escalations", None),
        ("GET", "/v1/desk/events?max_seconds=0.1", None),
        ("GET", "/v1/desk/pulse", None),
    ):
        r = web.request(method, path, json=body, headers=chat)
        assert r.status_code == 403 and "聊天系统" in r.json()["detail"], (path, r.text)
    login = web.post(
        "/login",
        data={"username": "chatsys", "password": password, "csrf_token": csrf(web)},
        follow_redirects=False,
    )
    assert login.status_code != 303 and "用户名或密码错误" in login.text


def test_a_live_conversation_has_no_demo_controls_and_refuses_them(web):
    """Typing as the customer and editing what came with the message are for demo
    conversations: on a conversation from the chat system the page shows the context read-only
    (products by name) and the server refuses both (a staff member's text is never stored as
    the customer's)."""
    r = web.post(
        "/v1/conversations/live-1/messages",
        headers=bearer(web, "agent"),
        json={"text": "阿莫西林一天吃几次", "cart": [{"product": "amoxicillin-capsule"}]},
    )
    assert r.status_code == 200, r.text
    token = login(web, "agent")
    page = web.get("/c/live-1").text
    assert 'id="customer-form"' not in page and "/c/live-1/profile" not in page
    assert 'id="context-card"' in page and "阿莫西林胶囊" in page
    assert "amoxicillin-capsule" not in page.split('id="context-card"')[1].split("</details>")[0]
    for path, form in (("customer", {"text": "收到了"}), ("profile", {"age": "30"})):
        refused = web.post(f"/c/live-1/{path}", data={"csrf_token": token, **form})
        assert refused.status_code == 403 and "演示对话" in refused.text
    messages = web.get("/v1/conversations/live-1/messages", headers=bearer(web, "agent")).json()
    assert [m["role"] for m in messages].count("customer") == 1
    demo = web.get("/c/demo-abc").text
    assert 'id="customer-form"' in demo


def test_a_pharmacist_on_the_agents_desk_gets_no_agent_buttons(web):
    r = web.post(
        "/v1/conversations/live-2/messages",
        headers=bearer(web, "agent"),
        json={"text": "布洛芬缓释胶囊一次吃几粒"},
    )
    assert r.status_code == 200, r.text
    login(web, "ph")
    page = web.get("/c/live-2").text
    assert 'id="act-form"' not in page and 'id="agent-only"' in page
    login(web, "agent")
    assert 'id="act-form"' in web.get("/c/live-2").text


def test_times_leave_the_api_with_their_zone(web):
    r = web.post(
        "/v1/conversations/tz-1/messages",
        headers=bearer(web, "agent"),
        json={"text": "孕妇能吃布洛芬吗"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["escalation"]["sla_deadline"].endswith(("Z", "+00:00"))
    messages = web.get("/v1/conversations/tz-1/messages", headers=bearer(web, "agent")).json()
    assert all(m["created_at"].endswith(("Z", "+00:00")) for m in messages)
