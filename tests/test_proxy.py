"""Running behind a reverse proxy (security item 15): the client's address and scheme come from
X-Forwarded-For / X-Forwarded-Proto only when the direct peer is one of
`server.trusted_proxies`; the per-address rate limit, the login throttle, the session cookie's
Secure flag, redirects and the access log (a real `copilot serve`, still masked) use them. With
no trusted proxies, or from any other peer, the headers are ignored: a client cannot choose its
address to dodge the limits."""

from __future__ import annotations

import json
import re
import shutil
from ipaddress import ip_network

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from copilot.bench.serverproc import ServerProcess
from copilot.desk.auth import add_user
from copilot.desk.db import Database, database_url
from copilot.settings import Settings
from copilot.web.app import create_app
from copilot.web.proxy import forwarded_client, forwarded_scheme, parse_address

TRUSTED = [ip_network("10.0.0.0/8"), ip_network("fd00::/8"), ip_network("192.0.2.1")]
PROXY = ("10.0.0.2", 40000)  # the reverse proxy, as the service sees it
STRANGER = ("198.51.100.7", 40001)  # anyone else reaching the service directly


@pytest.mark.parametrize(
    ("chain", "client"),
    [
        (["203.0.113.9"], "203.0.113.9"),
        (["1.2.3.4, 203.0.113.9"], "203.0.113.9"),  # what the client wrote is left of it
        (["10.0.0.9, 203.0.113.9"], "203.0.113.9"),  # a forged trusted hop on the left
        (["203.0.113.9, 10.0.0.7"], "203.0.113.9"),  # two trusted proxies in a row
        (["203.0.113.9", "10.0.0.7"], "203.0.113.9"),  # the chain over two header lines
        (["1.2.3.4, 203.0.113.9, 192.0.2.1, 10.0.0.7"], "203.0.113.9"),
        (["10.0.0.7, 10.0.0.8"], "10.0.0.7"),  # all trusted: the left-most
        (["203.0.113.9:5123"], "203.0.113.9"),  # with a port
        (["[2001:db8::5]:443"], "2001:db8::5"),
        (["2001:db8::5, fd00::1"], "2001:db8::5"),
        (["::ffff:203.0.113.9"], "203.0.113.9"),  # IPv4-mapped
        (["1.2.3.4, unknown"], None),  # a malformed last hop: keep the proxy's own address
        (["203.0.113.9, not-an-ip, 10.0.0.7"], None),
        ([" , "], None),
        ([], None),
    ],
    ids=[
        "one",
        "spoofed-left",
        "forged-trusted-hop",
        "two-proxies",
        "two-header-lines",
        "long-chain",
        "all-trusted",
        "port",
        "ipv6-bracketed",
        "ipv6-chain",
        "ipv4-mapped",
        "garbage-last",
        "garbage-middle",
        "blank",
        "none",
    ],
)
def test_the_client_is_the_right_most_untrusted_address(chain, client):
    found = forwarded_client(chain, TRUSTED)
    assert (str(found) if found else None) == client


@pytest.mark.parametrize(
    ("values", "scheme"),
    [
        (["https"], "https"),
        (["HTTP"], "http"),
        (["https, http"], "http"),  # the right-most: what the trusted peer wrote
        (["http", "https"], "https"),
        (["ftp"], None),
        (["javascript"], None),
        ([], None),
    ],
    ids=["https", "case", "chain", "two-lines", "other", "junk", "none"],
)
def test_the_scheme_is_http_or_https_only(values, scheme):
    assert forwarded_scheme(values) == scheme


def test_addresses_are_read_strictly():
    assert str(parse_address(" 203.0.113.9 ")) == "203.0.113.9"
    assert parse_address("testclient") is None and parse_address("203.0.113.9.1") is None


def test_the_setting_takes_addresses_and_networks_only(monkeypatch):
    monkeypatch.setenv("COPILOT_SERVER__TRUSTED_PROXIES", '["10.0.0.5", "10.1.0.0/16", "::1"]')
    got = Settings().server.trusted_proxies
    assert [str(n) for n in got] == ["10.0.0.5/32", "10.1.0.0/16", "::1/128"]
    assert Settings().server.model_copy().trusted_proxies == got
    monkeypatch.delenv("COPILOT_SERVER__TRUSTED_PROXIES")
    assert Settings().server.trusted_proxies == []  # default: trust nobody
    for bad in ("*", "proxy.internal", "10.0.0.1/8"):
        with pytest.raises(ValidationError):
            Settings(server={"trusted_proxies": [bad]})


@pytest.fixture
def service(tmp_path, sample_settings, sample_copilot):
    """An app factory: (trusted proxies) → (app, token) with 3 /v1 requests per address."""
    made = []

    def make(trusted: list[str]):
        home = tmp_path / f"home-{len(made)}"
        shutil.copytree(sample_settings.index_dir, home / "index")
        server = sample_settings.server.model_copy(
            update={
                "trusted_proxies": [ip_network(t) for t in trusted],
                "rate_limit_per_ip": 3,
                "rate_limit_per_token": 0,
            }
        )
        app = create_app(
            sample_settings.model_copy(update={"home": home, "server": server}), sample_copilot
        )
        client = TestClient(app)
        client.__enter__()  # the lifespan: the desk and its database
        made.append(client)
        with app.state.db.session() as s:
            _, _, token = add_user(s, username="agent", role="agent", password="agent-password-1")
        return app, {"Authorization": f"Bearer {token}"}

    yield make
    for client in made:
        client.__exit__(None, None, None)


def _pulse(app, peer, auth, forwarded_for=None, **headers) -> int:
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    return TestClient(app, client=peer).get("/v1/desk/pulse", headers=auth | headers).status_code


def test_without_trusted_proxies_a_client_cannot_choose_its_address(service):
    app, auth = service([])
    spoofs = ["203.0.113.1", "203.0.113.2", "10.0.0.9", "203.0.113.4, 203.0.113.5"]
    assert [_pulse(app, STRANGER, auth, ip) for ip in spoofs] == [200, 200, 200, 429]
    # not even a peer that would be a proxy elsewhere: nobody is trusted
    assert [_pulse(app, PROXY, auth, ip) for ip in spoofs] == [200, 200, 200, 429]
    assert _pulse(app, ("198.51.100.8", 1), auth) == 200  # another address: its own count
    cookie = _login_page(app, STRANGER, {"X-Forwarded-Proto": "https"}).headers["set-cookie"]
    assert "secure" not in cookie.lower()


def test_behind_a_trusted_proxy_each_client_counts_alone(service):
    app, auth = service(["10.0.0.0/8"])
    a, b = "203.0.113.9", "203.0.113.10"
    assert [_pulse(app, PROXY, auth, a) for _ in range(3)] == [200] * 3
    assert _pulse(app, PROXY, auth, a) == 429
    # a writing other addresses in front of its own: the proxy appends the real one
    for forged in (f"{b}, {a}", f"10.0.0.9, {a}", f"{b}, 10.0.0.3, {a}"):
        assert _pulse(app, PROXY, auth, forged) == 429, forged
    assert _pulse(app, PROXY, auth, b) == 200  # b, through the same proxy, has its own count
    assert _pulse(app, PROXY, auth, f"{b}, 10.0.0.7") == 200  # two proxies deep: still b
    # a client reaching the service directly is not a proxy: its header is ignored
    direct = ("192.0.2.50", 5)
    assert [_pulse(app, direct, auth, f"203.0.113.{n}") for n in range(20, 24)] == [
        200,
        200,
        200,
        429,
    ]
    assert _pulse(app, PROXY, auth) == 200  # no header: the proxy's own address counts


def _login_page(app, peer, headers):
    return TestClient(app, client=peer).get("/login", headers=headers)


def test_the_scheme_from_a_trusted_proxy_sets_secure_cookies_and_redirects(service):
    app, _ = service(["10.0.0.2"])
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    assert "; secure" in _login_page(app, PROXY, https).headers["set-cookie"].lower()
    plain = _login_page(app, PROXY, {"X-Forwarded-Proto": "http"}).headers["set-cookie"]
    assert "secure" not in plain.lower()
    forged = _login_page(app, STRANGER, https).headers["set-cookie"]
    assert "secure" not in forged.lower()  # from anyone else the header means nothing
    slash = TestClient(app, client=PROXY).get("/login/", headers=https, follow_redirects=False)
    assert slash.headers["location"].startswith("https://")
    slash = TestClient(app, client=STRANGER).get("/login/", headers=https, follow_redirects=False)
    assert slash.headers["location"].startswith("http://")


def test_the_login_throttle_counts_the_client_behind_the_proxy(service):
    app, _ = service(["10.0.0.0/8"])

    def fail(forwarded_for: str, n: int) -> int:
        client = TestClient(app, client=PROXY)
        page = client.get("/login", headers={"X-Forwarded-For": forwarded_for}).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        data = {"username": f"who{n}", "password": "wrong-password-1", "csrf_token": token}
        return client.post(
            "/login", data=data, headers={"X-Forwarded-For": forwarded_for}
        ).status_code

    # five failures of one client (each with another name): the address is blocked …
    assert [fail("203.0.113.9", n) for n in range(5)] == [401] * 5
    assert fail("203.0.113.9", 5) == 429
    assert fail("1.2.3.4, 203.0.113.9", 6) == 429  # … whatever it writes in front
    # … and the office next door, through the same proxy, is not
    assert fail("203.0.113.10", 7) == 401


def test_the_access_log_shows_the_forwarded_client_masked(tmp_path, sample_settings):
    """A real `copilot serve`: uvicorn's own forwarded-header handling (which trusts 127.0.0.1
    by default) is off, so only the setting decides what the access log shows."""
    phone = "13812345678"
    logs = {}
    for name, trusted in (("trusting", ["127.0.0.1"]), ("default", None)):
        home = tmp_path / name
        shutil.copytree(sample_settings.index_dir, home / "index")
        with Database(
            database_url(sample_settings.model_copy(update={"home": home}))
        ).session() as s:
            _, _, token = add_user(s, username="agent", role="agent", password="agent-password-1")
        env = {"COPILOT_SERVER__TRUSTED_PROXIES": json.dumps(trusted)} if trusted else {}
        server = ServerProcess(home, env=env).start()
        try:
            r = httpx.get(
                f"{server.url}/v1/search?q={phone}",
                headers={
                    "Authorization": f"Bearer {token}",
                    "X-Forwarded-For": "1.2.3.4, 203.0.113.9",
                    "X-Forwarded-Proto": "https",
                },
                timeout=60,
            )
            assert r.status_code == 200, r.text
        finally:
            server.stop()
        logs[name] = [
            line
            for line in server.log.read_text(errors="replace").splitlines()
            if "GET /v1/search" in line
        ]
    assert len(logs["trusting"]) == 1 and "203.0.113.9:0 - " in logs["trusting"][0]
    assert len(logs["default"]) == 1 and "127.0.0.1:" in logs["default"][0]
    for line in logs["trusting"] + logs["default"]:
        assert phone not in line and "1.2.3.4" not in line, line  # masked; the forgery unused
    assert "203.0.113.9" not in logs["default"][0]
