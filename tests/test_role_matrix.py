"""Every route × caller (anonymous, agent, pharmacist, admin, the chat system's token) × credentials (session cookie
with its CSRF token, the cookie without it, a bearer token), generated from the app's route
table and checked against one declaration of who may call what (tests/routetable.py). A route
the declaration lacks fails; a call let through that the declaration denies is a bypass."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from routetable import ROUTES, app_routes, make_world

# chat: the chat system's service token; it cannot sign in, so its cookie modes are anonymous
CALLERS = ("anonymous", "agent", "pharmacist", "admin", "chat")
MODES = ("cookie+csrf", "cookie", "bearer")


@pytest.fixture
def world(tmp_path, sample_settings, sample_copilot):
    yield from make_world(tmp_path, sample_settings, sample_copilot)


def test_every_route_is_declared(world):
    served = app_routes(world.app)
    assert sorted(served - set(ROUTES)) == [], "declare the new routes in tests/routetable.py"
    assert sorted(set(ROUTES) - served) == [], "routes declared but no longer served"


def expected(route, method: str, caller: str, mode: str) -> bool:
    if route.kind == "public":
        return True
    if route.kind == "public-form":
        return mode == "cookie+csrf"
    if caller not in route.roles:
        return False
    if caller == "chat":
        return mode == "bearer"  # a service has no session
    if route.kind == "api":
        return mode in ("bearer", "cookie+csrf")
    if route.kind == "stream":
        return True  # GET only: bearer, or the session with or without the CSRF header
    return mode != "bearer" and (method == "GET" or mode == "cookie+csrf")  # page


def denied(route, response) -> bool:
    if response.status_code in (401, 403):
        return True
    to_login = response.status_code in (302, 303, 307) and response.headers.get(
        "location", ""
    ).startswith("/login")
    return to_login and route.kind != "public-form"  # logout's own redirect is its success


def call(world, clients, bearer_client, method, path, route, caller, mode):
    url = world.url(method, path, route)
    headers: dict[str, str] = {}
    if mode == "bearer":
        client = bearer_client
        token = world.tokens.get(caller, "not-a-token")
        headers["Authorization"] = f"Bearer {token}"
        csrf = ""
    elif path == "/login":
        client, csrf = world.session_client(None)  # logging in replaces the session
    else:
        client, csrf = clients[caller]
        if route.kind == "api" and mode == "cookie+csrf":
            headers["X-CSRF-Token"] = csrf
    kwargs: dict = {"headers": headers, "follow_redirects": False}
    if route.json is not None:
        kwargs["json"] = route.json
    if route.form is not None:
        data = dict(route.form)
        if path == "/login":
            data |= {"username": "u-visitor", "password": "visitor-password-1", "next": "/"}
        if mode == "cookie+csrf":
            data["csrf_token"] = csrf
        kwargs["data"] = data
    if route.files is not None:
        kwargs["files"] = route.files
    return client.request(method, url, **kwargs)


def test_role_matrix(world):
    clients = {c: world.session_client(None if c in ("anonymous", "chat") else c) for c in CALLERS}
    bearer_client = TestClient(world.app, raise_server_exceptions=False)
    order = sorted(ROUTES, key=lambda k: (ROUTES[k].last, k[1] == "/logout"))
    bypasses, wrongly_denied, errors, tried = [], [], [], 0
    for method, path in order:
        route = ROUTES[(method, path)]
        modes = ("bearer", "cookie", "cookie+csrf") if route.last else MODES
        for caller in CALLERS:
            for mode in modes:
                r = call(world, clients, bearer_client, method, path, route, caller, mode)
                tried += 1
                case = f"{method} {path} as {caller} with {mode}: {r.status_code} {r.text[:120]}"
                if r.status_code >= 500:
                    errors.append(case)
                elif expected(route, method, caller, mode) and denied(route, r):
                    wrongly_denied.append(case)
                elif not expected(route, method, caller, mode) and not denied(route, r):
                    bypasses.append(case)
    assert tried == len(ROUTES) * len(CALLERS) * len(MODES)
    assert not errors, "\n".join(errors)
    assert not bypasses, "bypasses:\n" + "\n".join(bypasses)
    assert not wrongly_denied, "denied, declared allowed:\n" + "\n".join(wrongly_denied)
