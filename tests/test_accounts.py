"""Accounts (issue 15 item 4, issue 14 item 6): argon2 hashes and the bcrypt migration, the
password policy, one-time passwords changed before anything else works, the 用户管理 page and
`copilot users …` with their guards and audit rows, security headers, rate limits."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import bcrypt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from test_browser import ARTIFACTS, CHROMIUM, browser  # noqa: F401  (the fixture)
from test_web import bearer, csrf, login, web  # noqa: F401  (the fixture `site` wraps)
from typer.testing import CliRunner

from copilot.desk import accounts
from copilot.desk.auth import AuthError, hash_password
from copilot.desk.passwords import check_policy, verify_password
from copilot.desk.tables import AuditEntry, User
from copilot.web.app import create_app
from copilot.web.ratelimit import RateLimiter

TEMPLATES = Path(__file__).parent.parent / "copilot" / "web" / "templates"


@pytest.fixture
def site(web):  # noqa: F811  (test_web's fixture, imported above)
    """test_web's app with the users agent, ph and boss (admin) besides the first `admin`."""
    return web


def _post_login(client, username, password):
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf(client), "next": "/"},
        follow_redirects=False,
    )


def _set_password(client, old, new, path="/account/password"):
    data = {"csrf_token": csrf(client, path), "old_password": old}
    data |= {"new_password": new, "confirm_password": new}
    return client.post("/account/password", data=data, follow_redirects=False)


def _user(client, username) -> User:
    with client.app.state.db.session() as s:
        return s.scalar(select(User).where(User.username == username))


def _audit(client, action) -> list[AuditEntry]:
    with client.app.state.db.session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.mark.parametrize(
    ("password", "username", "problem"),
    [
        ("short-9", None, "至少需要10个字符"),
        ("x" * 129, None, "最多128个字符"),
        ("abababababab", None, "4个不同的字符"),
        ("Pharmacist01", "pharmacist01", "不能与用户名相同"),
        ("qwertyuiop", None, "常见密码"),
        ("Password123", None, "常见密码"),
        ("woaini1314", None, "常见密码"),
    ],
    ids=["short", "long", "few-characters", "username", "keyboard", "password123", "woaini"],
)
def test_password_policy_refuses(password, username, problem):
    with pytest.raises(AuthError, match=problem):
        check_policy(password, username=username)


def test_argon2_hashes_and_bcrypt_hashes_are_replaced_at_login(site):
    hashed = hash_password("a-good-password-7")
    assert hashed.startswith("$argon2id$")
    assert verify_password("a-good-password-7", hashed) == (True, None)
    assert verify_password("wrong-password-7", hashed) == (False, None)
    legacy = bcrypt.hashpw(b"old-bcrypt-pass-1", bcrypt.gensalt(rounds=4)).decode()
    with site.app.state.db.session() as s:
        s.get(User, _user(site, "agent").id).password_hash = legacy
    assert _post_login(site, "agent", "wrong-password-99").status_code == 401
    assert _user(site, "agent").password_hash == legacy  # a wrong password changes nothing
    assert _post_login(site, "agent", "old-bcrypt-pass-1").status_code == 303
    upgraded = _user(site, "agent").password_hash
    assert upgraded.startswith("$argon2id$")
    site.cookies.clear()
    assert _post_login(site, "agent", "old-bcrypt-pass-1").status_code == 303  # still works
    assert verify_password("x" * 100, legacy) == (False, None)  # bcrypt's 72 bytes: no crash


def test_first_admin_password_on_the_console_only_and_changed_first(
    tmp_path, sample_settings, sample_copilot, capsys, caplog
):
    home = tmp_path / "home"
    shutil.copytree(sample_settings.index_dir, home / "index")
    app = create_app(sample_settings.model_copy(update={"home": home}), sample_copilot)
    caplog.set_level(logging.DEBUG)
    with TestClient(app) as client:
        printed = capsys.readouterr().out
        password = re.search(r"one-time password (\S+)", printed).group(1)
        assert all(password not in r.getMessage() for r in caplog.records)
        r = _post_login(client, "admin", password)
        assert r.headers["location"] == "/account/password"
        for page in ("/", "/escalations", "/users", "/account"):
            r = client.get(page, follow_redirects=False)
            assert (r.status_code, r.headers["location"]) == (303, "/account/password")
        page = client.get("/account/password")
        assert "请设置您自己的密码" in page.text and 'href="/users"' not in page.text
        token = csrf(client, "/account/password")
        api = client.get("/v1/desk/pulse", headers={"X-CSRF-Token": token})
        assert api.status_code == 403 and "请先修改初始密码" in api.json()["detail"]
        assert _set_password(client, password, "admin").status_code == 303  # the username
        assert _user(client, "admin").must_change_password
        assert _set_password(client, password, "my-own-admin-pw-1").headers["location"] == "/"
        assert not _user(client, "admin").must_change_password
        assert client.get("/users").status_code == 200
        token = csrf(client, "/")
        assert client.get("/v1/desk/pulse", headers={"X-CSRF-Token": token}).status_code == 200
        assert client.get("/account/password", follow_redirects=False).status_code == 303


def test_admin_manages_users_on_the_page_with_guards_and_audit(site):
    agent = TestClient(site.app)  # a second browser: the agent's
    login(agent, "agent")
    assert agent.get("/users").status_code == 403
    login(site, "boss")
    page = site.get("/users").text
    assert all(f'data-username="{n}"' in page for n in ("agent", "ph", "boss"))

    added = site.post(
        "/users",
        data={"csrf_token": csrf(site, "/users"), "username": "xiaoli", "display_name": "小李"}
        | {"role": "pharmacist"},
    )
    password = re.search(r'id="issued-password">([^<]+)<', added.text).group(1)
    token = re.search(r'id="issued-token">([^<]+)<', added.text).group(1)
    assert "待改初始密码" in added.text
    auth = {"Authorization": f"Bearer {token}"}
    r = site.get("/v1/desk/pulse", headers=auth)
    assert r.status_code == 403 and "请先修改初始密码" in r.json()["detail"]
    newcomer = TestClient(site.app)
    assert _post_login(newcomer, "xiaoli", password).headers["location"] == "/account/password"
    assert _set_password(newcomer, password, "xiaoli-own-pw-2").status_code == 303
    assert site.get("/v1/desk/pulse", headers=auth).status_code == 200

    agent_id = _user(site, "agent").id
    reset = site.post(
        f"/users/{agent_id}/reset-password", data={"csrf_token": csrf(site, "/users")}
    )
    one_time = re.search(r'id="issued-password">([^<]+)<', reset.text).group(1)
    assert agent.get("/", follow_redirects=False).status_code == 303  # their session ended
    agent.cookies.clear()
    assert _post_login(agent, "agent", "agent-password-1").status_code == 401
    assert _post_login(agent, "agent", one_time).headers["location"] == "/account/password"
    assert _set_password(agent, one_time, "agent-new-pw-3").status_code == 303
    assert agent.get("/", follow_redirects=False).status_code == 200

    rotated = site.post(f"/users/{agent_id}/token", data={"csrf_token": csrf(site, "/users")})
    new_token = re.search(r'id="issued-token">([^<]+)<', rotated.text).group(1)
    assert site.get("/v1/desk/pulse", headers=bearer(site, "agent")).status_code == 401
    new_auth = {"Authorization": f"Bearer {new_token}"}
    assert site.get("/v1/desk/pulse", headers=new_auth).status_code == 200

    boss_id = _user(site, "boss").id
    me = site.post(
        f"/users/{boss_id}/deactivate",
        data={"csrf_token": csrf(site, "/users")},
        follow_redirects=True,
    )
    assert "不能停用自己的账户" in me.text and _user(site, "boss").active
    off = site.post(
        f"/users/{agent_id}/deactivate",
        data={"csrf_token": csrf(site, "/users")},
        follow_redirects=True,
    )
    assert "已停用" in off.text and not _user(site, "agent").active
    assert agent.get("/", follow_redirects=False).status_code == 303  # session ended
    assert site.get("/v1/desk/pulse", headers=new_auth).status_code == 401  # token ended
    agent.cookies.clear()
    assert _post_login(agent, "agent", "agent-new-pw-3").status_code == 401
    on = site.post(
        f"/users/{agent_id}/activate",
        data={"csrf_token": csrf(site, "/users")},
        follow_redirects=True,
    )
    assert "已重新启用" in on.text
    assert site.get("/v1/desk/pulse", headers=new_auth).status_code == 401  # needs a new token
    assert _post_login(agent, "agent", "agent-new-pw-3").status_code == 303

    boss = _user(site, "boss")
    for action in (
        "user.created",
        "user.password_reset",
        "user.token_rotated",
        "user.deactivated",
        "user.activated",
    ):
        rows = _audit(site, action)
        assert rows and rows[-1].user_id == boss.id and rows[-1].detail["via"] == "page", action
    assert _audit(site, "user.password_changed")  # the owners' own changes
    listing = site.get("/users").text
    assert "重新启用" in listing  # the last change shown in the list


def test_the_last_active_admin_stays(site):
    with site.app.state.db.session() as s:
        accounts.set_active(s, actor=None, ref="admin", active=False)  # the first admin
        with pytest.raises(AuthError, match="最后一个启用的管理员") as info:
            accounts.set_active(s, actor=None, ref="boss", active=False)
        assert info.value.status == 409
        accounts.create_account(s, actor=None, username="boss2", role="admin")
        accounts.set_active(s, actor=None, ref="boss", active=False)  # another admin is left
        with pytest.raises(AuthError, match="最后一个启用的管理员"):
            accounts.set_active(s, actor=None, ref="boss2", active=False)
        agent = s.scalar(select(User).where(User.username == "agent"))
        with pytest.raises(AuthError) as refused:
            accounts.reset_password(s, actor=agent, ref="ph")
        assert refused.value.status == 403


def test_cli_users_commands(monkeypatch):
    from copilot.cli import app

    runner = CliRunner()

    def run(*args) -> str:
        result = runner.invoke(app, ["users", *args])
        assert result.exit_code == 0, result.output
        return result.output

    run("add", "root", "--role", "admin", "--password", "root-password-1")
    out = run("add", "wang", "--role", "agent", "--name", "小王")
    assert "one-time password" in out and "API token" in out
    assert "must change password" in run("list")
    out = run("reset-password", "wang")
    assert re.search(r"shown once\): \S{16}", out)
    assert "cpt_" in run("rotate-token", "wang")
    run("deactivate", "wang")
    assert re.search(r"wang\s+agent\s+deactivated", run("list"))
    run("activate", "wang")
    refused = runner.invoke(app, ["users", "deactivate", "root"])
    assert refused.exit_code == 2 and "最后一个启用的管理员" in refused.output
    unknown = runner.invoke(app, ["users", "reset-password", "nobody"])
    assert unknown.exit_code == 2 and "没有用户" in unknown.output


def test_security_headers_and_cookie_flags(site, tmp_path, sample_settings, sample_copilot):
    for path in ("/login", "/static/app.css", "/v1/desk/pulse", "/healthz", "/nope"):
        headers = site.get(path).headers
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert "unsafe-inline" not in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
    site.cookies.clear()
    cookie = site.get("/login").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    home = tmp_path / "secure-home"
    shutil.copytree(sample_settings.index_dir, home / "index")
    secure = sample_settings.model_copy(
        update={
            "home": home,
            "server": sample_settings.server.model_copy(update={"secure_cookies": True}),
        }
    )
    with TestClient(create_app(secure, sample_copilot)) as client:
        assert "; secure" in client.get("/login").headers["set-cookie"].lower()


def test_pages_carry_no_inline_script_style_or_handler():
    """The CSP allows none: each would silently stop working in the browser."""
    found = []
    for path in sorted(TEMPLATES.glob("*.html")):
        text = path.read_text(encoding="utf-8")
        for pattern in (
            r"\sstyle=",
            r"<style",
            r"<script(?![^>]*\ssrc=)",
            r"\son[a-z]+=",
            "javascript:",
        ):
            found += [f"{path.name}: {m.group(0).strip()}" for m in re.finditer(pattern, text)]
    assert not found, (
        f"inline code or styles the CSP blocks (use static files and classes): {found}"
    )


def test_rate_limits_per_token_and_per_address(tmp_path, sample_settings, sample_copilot):
    home = tmp_path / "home"
    shutil.copytree(sample_settings.index_dir, home / "index")
    server = sample_settings.server.model_copy(
        update={"rate_limit_per_token": 3, "rate_limit_per_ip": 5}
    )
    app = create_app(
        sample_settings.model_copy(update={"home": home, "server": server}), sample_copilot
    )
    with TestClient(app) as client:
        with app.state.db.session() as s:
            _, _, one = accounts.create_account(
                s, actor=None, username="a1", role="agent", password="agent-one-pw-1"
            )
            _, _, two = accounts.create_account(
                s, actor=None, username="a2", role="agent", password="agent-two-pw-2"
            )
        first = {"Authorization": f"Bearer {one}"}
        assert [client.get("/v1/desk/pulse", headers=first).status_code for _ in range(3)] == [
            200
        ] * 3
        limited = client.get("/v1/desk/pulse", headers=first)
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert (
            "请求过于频繁" in limited.json()["detail"]
            and "too many requests" in limited.json()["detail"]
        )
        assert limited.headers["x-content-type-options"] == "nosniff"
        second = {"Authorization": f"Bearer {two}"}
        assert client.get("/v1/desk/pulse", headers=second).status_code == 200  # 5th from here
        assert client.get("/v1/desk/pulse", headers=second).status_code == 429  # the address
        assert client.get("/login").status_code == 200  # pages are not counted


def test_rate_limiter_window_resets():
    now = [0.0]
    limiter = RateLimiter(per_ip=0, per_token=2, window=60, clock=lambda: now[0])
    assert limiter.hit("1.2.3.4", "token:a") is None
    assert limiter.hit("1.2.3.4", "token:a") is None
    assert limiter.hit("1.2.3.4", "token:a") == pytest.approx(60)
    assert limiter.hit("1.2.3.4", "token:b") is None  # another caller; the address unlimited
    now[0] = 45.0
    assert limiter.hit("1.2.3.4", "token:a") == pytest.approx(15)
    now[0] = 60.0
    assert limiter.hit("1.2.3.4", "token:a") is None


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory, sample_settings):
    from copilot.bench.serverproc import ServerProcess
    from copilot.desk.auth import add_user
    from copilot.desk.db import Database, database_url

    home = tmp_path_factory.mktemp("accounts-browser-home")
    shutil.copytree(sample_settings.index_dir, home / "index")
    with Database(database_url(sample_settings.model_copy(update={"home": home}))).session() as s:
        for name, role in (("boss", "admin"), ("agent", "agent")):
            add_user(s, username=name, role=role, password=f"{name}-password-1")
    live = ServerProcess(home).start()
    yield live
    live.stop()


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")
def test_user_page_in_the_browser(browser, admin_server, tmp_path):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    blocked = []  # what the CSP refused: any entry means a page lost a script or a style
    page.on("console", lambda m: "Content Security Policy" in m.text and blocked.append(m.text))
    page.goto(admin_server.url + "/login")
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", "boss-password-1")
    page.click("button[type=submit]")
    page.wait_for_url(admin_server.url + "/")
    page.click("header a[href='/users']")
    page.fill("#add-user input[name=username]", "xiaozhang")
    page.fill("#add-user input[name=display_name]", "药师小张")
    page.select_option("#add-user select[name=role]", "pharmacist")
    page.click("#add-user button[type=submit]")
    assert len(page.locator("#issued-password").inner_text()) == 16
    assert page.locator("#issued-token").inner_text().startswith("cpt_")
    page.screenshot(path=str(tmp_path / "users-added.png"), full_page=True)
    row = page.locator("tr[data-username=xiaozhang]")
    assert "执业药师" in row.inner_text() and "待改初始密码" in row.inner_text()
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.locator("tr[data-username=agent] button.danger").click()
    assert asked and "停用" in asked[0]  # asked first; dismissed, nothing happens
    assert (
        page.locator(".flash").count() == 0 or "已停用" not in page.locator(".flash").inner_text()
    )
    page.once("dialog", lambda d: d.accept())
    page.locator("tr[data-username=agent] button.danger").click()
    assert "已停用" in page.locator(".flash").inner_text()
    assert "已停用" in page.locator("tr[data-username=agent]").inner_text()
    assert page.locator("tr[data-username=boss] button.danger").count() == 0  # not oneself
    page.screenshot(path=str(tmp_path / "users.png"), full_page=True)
    shutil.copy(tmp_path / "users-added.png", ARTIFACTS / "20-users-added.png")
    shutil.copy(tmp_path / "users.png", ARTIFACTS / "21-users-deactivated.png")
    for path in ("/", "/escalations", "/kb", "/dashboard", "/account", "/adr"):
        page.goto(admin_server.url + path)
        assert page.locator("header").is_visible()
    # the API docs from local assets: Swagger UI renders the schema under the same CSP
    page.goto(admin_server.url + "/docs")
    page.locator(".swagger-ui .info .title").wait_for(timeout=15000)
    assert "药房客服助手" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock").count() > 20
    page.screenshot(path=str(ARTIFACTS / "22-api-docs.png"))
    assert blocked == []
    context.close()
