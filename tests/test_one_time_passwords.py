"""One-time passwords expire (security item 15): an unchanged one-time password issued more than
`server.one_time_password_hours` ago no longer logs in, changes the password or calls the API;
the login page says so only to someone who typed the right password (no username oracle);
`copilot users reset-password` and the 用户管理 page issue a fresh one; the first admin's
console password follows the same rule; the migration dates the one-time passwords waiting."""

from __future__ import annotations

import re
import shutil
import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select
from test_web import csrf, login, web  # noqa: F401  (the fixture)
from typer.testing import CliRunner

from copilot.desk import accounts
from copilot.desk.auth import authenticate, one_time_password_expired
from copilot.desk.db import Database
from copilot.desk.tables import AuditEntry, User
from copilot.errors import AuthError, OneTimePasswordExpired
from copilot.web.app import create_app

EXPIRED = "临时密码已过期，请联系管理员重置密码"
WRONG = "用户名或密码错误"


def _post_login(client, username, password):
    data = {"username": username, "password": password, "csrf_token": csrf(client), "next": "/"}
    return client.post("/login", data=data, follow_redirects=False)


def _refusal(response) -> tuple[int, str]:
    """The login page's status and its error line."""
    found = re.search(r'<p class="warn">([^<]*)</p>', response.text)
    return response.status_code, found.group(1) if found else ""


def _add(client, username, *, role="agent") -> tuple[str, str]:
    """A user with a generated one-time password: (password, API token)."""
    with client.app.state.db.session() as s:
        _, password, token = accounts.create_account(s, actor=None, username=username, role=role)
    return password, token


def _age(client, username, hours: float) -> None:
    """Date the user's one-time password `hours` back (what the clock would do)."""
    with client.app.state.db.session() as s:
        user = s.scalar(select(User).where(User.username == username))
        user.one_time_password_at = datetime.now(UTC) - timedelta(hours=hours)


def _user(client, username) -> User:
    with client.app.state.db.session() as s:
        return s.scalar(select(User).where(User.username == username))


@pytest.mark.parametrize(
    ("age_hours", "limit_hours", "expired"),
    [(0, 72, False), (71.99, 72, False), (72, 72, False), (72.01, 72, True), (2, 1, True)],
    ids=["new", "just-before", "at-the-limit", "just-after", "shorter-setting"],
)
def test_expiry_is_counted_from_issue(age_hours, limit_hours, expired):
    issued = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    user = User(must_change_password=True, one_time_password_at=issued.replace(tzinfo=None))
    at = issued + timedelta(hours=age_hours)
    assert one_time_password_expired(user, hours=limit_hours, at=at) is expired  # naive = UTC
    own = User(must_change_password=False, one_time_password_at=None)
    assert not one_time_password_expired(own, hours=limit_hours, at=at + timedelta(days=999))


def test_fresh_one_time_password_logs_in_and_an_expired_one_is_refused(web):  # noqa: F811
    password, token = _add(web, "xiaoli")
    _age(web, "xiaoli", 71)
    assert _post_login(web, "xiaoli", password).headers["location"] == "/account/password"
    web.cookies.clear()
    _age(web, "xiaoli", 73)
    refused = _post_login(web, "xiaoli", password)
    assert _refusal(refused)[0] == 401 and EXPIRED in _refusal(refused)[1]
    assert web.get("/", follow_redirects=False).headers["location"] == "/login?next=/"
    rows = [e for e in _audits(web, "user.one_time_password_expired") if e.entity_id == _id(web)]
    assert len(rows) == 1
    # the API: the one JSON error shape with its own code
    for path in ("/v1/desk/pulse", "/v1/escalations", "/v1/desk/events?max_seconds=0.1"):
        r = web.get(path, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 403, path
        body = r.json()
        assert body["error"] == "OneTimePasswordExpired" and body["fields"] == [], path
        assert EXPIRED in body["detail"]
    # a one-time password not yet expired: the usual "change it first"
    fresh_password, fresh_token = _add(web, "xiaowang")
    r = web.get("/v1/desk/pulse", headers={"Authorization": f"Bearer {fresh_token}"})
    assert r.status_code == 403 and r.json()["error"] == "Forbidden"
    assert "请先修改初始密码" in r.json()["detail"]
    assert fresh_password


def _audits(client, action) -> list[AuditEntry]:
    with client.app.state.db.session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _id(client, username="xiaoli") -> str:
    return str(_user(client, username).id)


def test_a_session_opened_before_expiry_cannot_change_the_password_after(web):  # noqa: F811
    password, _ = _add(web, "xiaoli")
    assert _post_login(web, "xiaoli", password).headers["location"] == "/account/password"
    _age(web, "xiaoli", 73)
    page = web.get("/account/password")
    assert 'id="password-expired"' in page.text and 'id="password-form"' not in page.text
    assert "请联系管理员重置密码" in page.text
    assert web.get("/", follow_redirects=False).headers["location"] == "/account/password"
    data = {"csrf_token": csrf(web, "/account/password"), "old_password": password}
    data |= {"new_password": "xiaoli-own-pw-9", "confirm_password": "xiaoli-own-pw-9"}
    done = web.post("/account/password", data=data)
    assert EXPIRED in done.text
    assert _user(web, "xiaoli").must_change_password
    api = web.get("/v1/desk/pulse", headers={"X-CSRF-Token": csrf(web, "/account/password")})
    assert api.status_code == 403 and api.json()["error"] == "OneTimePasswordExpired"


def test_a_reset_on_the_page_issues_a_fresh_one(web):  # noqa: F811
    password, _ = _add(web, "xiaoli")
    _age(web, "xiaoli", 100)
    login(web, "boss")
    listing = web.get("/users").text
    row = re.search(r'<tr data-username="xiaoli".*?</tr>', listing, re.S).group(0)
    assert "初始密码已过期" in row
    before = _user(web, "xiaoli").one_time_password_at
    reset = web.post(f"/users/{_id(web)}/reset-password", data={"csrf_token": csrf(web, "/users")})
    fresh = re.search(r'id="issued-password">([^<]+)<', reset.text).group(1)
    assert "72小时内" in reset.text
    after = _user(web, "xiaoli").one_time_password_at
    assert after.replace(tzinfo=UTC) - before.replace(tzinfo=UTC) > timedelta(hours=99)
    row = re.search(r'<tr data-username="xiaoli".*?</tr>', reset.text, re.S).group(0)
    assert "待改初始密码" in row and "已过期" not in row
    newcomer = TestClient(web.app)
    assert _refusal(_post_login(newcomer, "xiaoli", password)) == (401, WRONG)  # the old one
    assert _post_login(newcomer, "xiaoli", fresh).headers["location"] == "/account/password"
    data = {"csrf_token": csrf(newcomer, "/account/password"), "old_password": fresh}
    data |= {"new_password": "xiaoli-own-pw-9", "confirm_password": "xiaoli-own-pw-9"}
    assert newcomer.post("/account/password", data=data, follow_redirects=False).status_code == 303
    me = _user(web, "xiaoli")
    assert not me.must_change_password and me.one_time_password_at is None
    _age(web, "xiaoli", 1000)  # one's own password never expires (the column is not read)
    newcomer.cookies.clear()
    assert _post_login(newcomer, "xiaoli", "xiaoli-own-pw-9").headers["location"] == "/"


@pytest.mark.parametrize(
    ("who", "password"),
    [
        ("nobody", "whatever-password-1"),
        ("gone", "gone-password-12"),
        ("stale", "wrong-password-12"),
        ("fresh", "wrong-password-12"),
        ("agent", "wrong-password-12"),
    ],
    ids=["unknown", "deactivated", "expired-wrong", "fresh-wrong", "own-wrong"],
)
def test_no_username_oracle(web, who, password):  # noqa: F811
    """Without the right password every refusal reads the same: no hint that a name exists or
    holds an expired one-time password."""
    _add(web, "stale")
    _age(web, "stale", 500)
    _add(web, "fresh")
    with web.app.state.db.session() as s:
        accounts.create_account(
            s, actor=None, username="gone", role="agent", password="gone-password-12"
        )
        accounts.set_active(s, actor=None, ref="gone", active=False)
    assert _refusal(_post_login(web, who, password)) == (401, WRONG)


def test_every_refusal_costs_a_hash_check(web):  # noqa: F811
    """An unknown name, a wrong password and an expired one-time password take the time of the
    hash check (an answer without it would tell the names apart by timing)."""
    stale, _ = _add(web, "stale")
    _age(web, "stale", 500)

    def fastest(username, password) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            with pytest.raises(AuthError), web.app.state.db.session() as s:
                authenticate(s, username, password)
            times.append(time.perf_counter() - started)
        return min(times)

    wrong = fastest("agent", "wrong-password-12")
    for username, password in (("nobody", "x-password-12"), ("stale", "y-password-12")):
        assert fastest(username, password) > 0.3 * wrong, username
    assert fastest("stale", stale) > 0.3 * wrong
    with pytest.raises(OneTimePasswordExpired), web.app.state.db.session() as s:
        authenticate(s, "stale", stale)


def test_the_setting_decides(tmp_path, sample_settings, sample_copilot):
    home = tmp_path / "short-home"
    shutil.copytree(sample_settings.index_dir, home / "index")
    server = sample_settings.server.model_copy(update={"one_time_password_hours": 1})
    app = create_app(
        sample_settings.model_copy(update={"home": home, "server": server}), sample_copilot
    )
    with TestClient(app) as client:
        password, _ = _add(client, "xiaoli")
        _age(client, "xiaoli", 0.5)
        assert _post_login(client, "xiaoli", password).headers["location"] == "/account/password"
        client.cookies.clear()
        _age(client, "xiaoli", 2)  # fine under the default 72, not under 1
        assert EXPIRED in _refusal(_post_login(client, "xiaoli", password))[1]


def test_first_admin_console_password_expires_and_the_cli_renews_it(
    tmp_path, monkeypatch, sample_settings, sample_copilot, capsys
):
    from copilot.cli import app as cli

    home = tmp_path / "first-home"
    shutil.copytree(sample_settings.index_dir, home / "index")
    monkeypatch.setenv("COPILOT_HOME", str(home))  # the CLI acts on the same database
    app = create_app(sample_settings.model_copy(update={"home": home}), sample_copilot)
    runner = CliRunner()
    with TestClient(app) as client:
        printed = capsys.readouterr().out
        password = re.search(r"one-time password (\S+)", printed).group(1)
        assert "within 72 h" in printed and "copilot users reset-password admin" in printed
        _age(client, "admin", 73)
        assert EXPIRED in _refusal(_post_login(client, "admin", password))[1]
        listed = runner.invoke(cli, ["users", "list"])
        assert re.search(r"admin\s+admin\s+active, one-time password expired", listed.output)
        reset = runner.invoke(cli, ["users", "reset-password", "admin"])
        assert reset.exit_code == 0 and "within 72 h" in reset.output
        fresh = re.search(r"shown once\): (\S+)", reset.output).group(1)
        assert _post_login(client, "admin", password).status_code == 401
        assert _post_login(client, "admin", fresh).headers["location"] == "/account/password"
        assert "must change password" in runner.invoke(cli, ["users", "list"]).output
        audit = _audits(client, "user.password_reset")
        assert audit and audit[-1].detail["via"] == "cli"


def test_the_migration_dates_the_one_time_passwords_waiting(db_url):
    from alembic import command
    from alembic.config import Config

    from copilot.desk.db import MIGRATIONS, upgrade

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db_url.replace("%", "%%"))
    command.upgrade(cfg, "0004b")  # the schema before this change
    created = datetime(2026, 1, 1, tzinfo=UTC)
    reset_at = datetime(2026, 3, 1, tzinfo=UTC)
    engine = create_engine(db_url)
    with engine.begin() as conn:
        for uid, name, one_time in (
            (1, "waiting", True),
            (2, "was-reset", True),
            (3, "own", False),
        ):
            conn.execute(
                User.__table__.insert().values(
                    id=uid,
                    username=name,
                    display_name=name,
                    role="agent",
                    password_hash="x",
                    must_change_password=one_time,
                    created_at=created,
                )
            )
        for action, entity_id, at in (
            ("user.password_reset", "2", reset_at - timedelta(days=9)),
            ("user.password_reset", "2", reset_at),
            ("user.token_rotated", "1", reset_at),  # not a password: ignored
            ("user.password_reset", "3", reset_at),  # then changed by its owner
        ):
            conn.execute(
                AuditEntry.__table__.insert().values(
                    action=action, entity="user", entity_id=entity_id, at=at, detail={}
                )
            )
    engine.dispose()
    upgrade(db_url)
    with Database(db_url, migrate=False).session() as s:
        dated = {u.username: u.one_time_password_at for u in s.scalars(select(User))}

        def utc(dt):
            return dt if dt is None or dt.tzinfo else dt.replace(tzinfo=UTC)

        assert {name: utc(at) for name, at in dated.items()} == {
            "waiting": created,
            "was-reset": reset_at,
            "own": None,
        }
        waiting = s.scalar(select(User).where(User.username == "waiting"))
        assert one_time_password_expired(waiting)  # months old: refused at the next login
