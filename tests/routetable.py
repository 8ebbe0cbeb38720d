"""The declared table of every route of the web service: who may call it and how, and a valid
request for it. The role matrix and the malformed-input corpus are generated from the app's
own route table and this declaration; a route the app has and the table lacks fails both
(declare a new route here)."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field

from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select

from copilot.desk.auth import add_user
from copilot.desk.tables import User
from copilot.web.app import create_app

ALL = frozenset({"agent", "pharmacist", "admin"})  # people
WITH_CHAT = ALL | {"chat"}  # and the chat system's token (customer messages in and out)
PH = frozenset({"pharmacist", "admin"})
LICENSED = frozenset({"pharmacist"})
AGENT = frozenset({"agent", "admin"})
ADMIN = frozenset({"admin"})
NOBODY_NEEDED = frozenset({"anonymous", "agent", "pharmacist", "admin", "chat"})


@dataclass(frozen=True)
class Route:
    """`kind`: `api` (bearer token, or the session with the X-CSRF-Token header), `stream` (a
    read-only event stream: bearer token or the session, no CSRF header since EventSource
    cannot send one), `page` (the
    session; a POST also needs the form's csrf_token), `public` (no caller), `public-form` (no
    caller, but the form's csrf_token: login, logout). `roles`: who may."""

    kind: str
    roles: frozenset = ALL
    json: dict | None = None
    form: dict | None = None
    files: dict | None = None
    query: str = ""
    last: bool = False  # changes the caller's own credentials: run after the others
    path_values: dict = field(default_factory=dict)


ROUTES: dict[tuple[str, str], Route] = {
    # public
    ("GET", "/healthz"): Route("public", NOBODY_NEEDED),
    ("GET", "/favicon.ico"): Route("public", NOBODY_NEEDED),
    ("GET", "/openapi.json"): Route("public", NOBODY_NEEDED),
    ("GET", "/docs"): Route("public", NOBODY_NEEDED),
    ("GET", "/docs/assets"): Route("public", NOBODY_NEEDED),
    ("GET", "/static"): Route("public", NOBODY_NEEDED),
    ("GET", "/login"): Route("public", NOBODY_NEEDED),
    ("POST", "/login"): Route("public-form", NOBODY_NEEDED, form={}, last=True),
    ("POST", "/logout"): Route("public-form", NOBODY_NEEDED, form={}, last=True),
    # JSON API
    ("POST", "/v1/conversations/{conversation_id}/messages"): Route(
        "api", WITH_CHAT, json={"text": "你好"}
    ),
    ("GET", "/v1/conversations/{conversation_id}/messages"): Route("api", WITH_CHAT),
    ("POST", "/v1/suggestions/{suggestion_id}/verify"): Route("api", json={"text": "您好"}),
    ("POST", "/v1/suggestions/{suggestion_id}/actions"): Route(
        "api", AGENT, json={"action": "reject", "reason": "测试"}
    ),
    ("POST", "/v1/suggestions/{suggestion_id}/reply"): Route("api", AGENT, json={"text": "您好"}),
    ("POST", "/v1/suggestions/{suggestion_id}/refer"): Route(
        "api", AGENT, json={"tier": "priority", "note": "测试"}
    ),
    # a licensed pharmacist's acts, shown to the customer as 执业药师: not an admin's
    ("POST", "/v1/escalations/{escalation_id}/claim"): Route("api", LICENSED),
    ("POST", "/v1/escalations/{escalation_id}/answer"): Route(
        "api", LICENSED, json={"text": "请咨询"}
    ),
    ("POST", "/v1/escalations/{escalation_id}/correct"): Route(
        "api", LICENSED, json={"text": "请咨询医生", "version": 1}
    ),
    ("POST", "/v1/escalations/{escalation_id}/close"): Route("api", PH),
    ("POST", "/v1/escalations/{escalation_id}/close-without-answer"): Route(
        "api", LICENSED, json={"note": "顾客仅致谢"}
    ),
    ("GET", "/v1/escalations"): Route("api"),
    ("GET", "/v1/desk/pulse"): Route("api"),
    ("GET", "/v1/desk/events"): Route("stream", query="?max_seconds=0.1"),
    ("GET", "/v1/customers/{customer_ref}/record"): Route("api"),
    ("PUT", "/v1/customers/{customer_ref}/record"): Route(
        "api", json={"version": 0, "record": {"allergies": ["青霉素"]}}
    ),
    ("POST", "/v1/customers/{customer_ref}/purge"): Route(
        "api", ADMIN, json={"confirm": "会员1", "reason": "顾客要求删除（工单 T1）"}
    ),
    ("POST", "/v1/escalations/{escalation_id}/adr"): Route("api", PH),
    ("GET", "/v1/adr"): Route("api"),
    ("GET", "/v1/adr/clusters"): Route("api", PH),
    ("GET", "/v1/adr/export.csv"): Route("api", PH),
    ("GET", "/v1/adr/{report_id}"): Route("api"),
    ("GET", "/v1/adr/{report_id}/export"): Route("api", PH),
    ("PUT", "/v1/adr/{report_id}"): Route("api", PH, json={"form": {}, "version": 1}),
    ("POST", "/v1/adr/{report_id}/submit"): Route("api", PH, json={"version": 99}),
    ("GET", "/v1/search"): Route("api", query="?q=布洛芬"),
    ("POST", "/v1/suggest"): Route("api", json={"message": "布洛芬一天吃几次"}),
    ("POST", "/v1/suggest/stream"): Route("api", json={"message": "布洛芬一天吃几次"}),
    # pages
    ("GET", "/account"): Route("page"),
    ("GET", "/account/password"): Route("page"),
    ("GET", "/users"): Route("page", ADMIN),
    ("POST", "/users"): Route("page", ADMIN, form={"username": "u-new", "role": "agent"}),
    ("POST", "/users/{user_id}/deactivate"): Route("page", ADMIN, form={}),
    ("POST", "/users/{user_id}/activate"): Route("page", ADMIN, form={}),
    ("POST", "/users/{user_id}/reset-password"): Route("page", ADMIN, form={}),
    ("POST", "/users/{user_id}/token"): Route("page", ADMIN, form={}),
    ("POST", "/account/password"): Route(
        "page",
        form={"old_password": "wrong-password-9", "new_password": "x", "confirm_password": "y"},
    ),
    ("POST", "/account/token"): Route("page", form={}, last=True),
    ("GET", "/"): Route("page"),
    ("POST", "/conversations/new"): Route("page", form={}),
    ("GET", "/c/{conversation_id}"): Route("page"),
    # typing as the customer and editing the message context: demo conversations only
    ("POST", "/c/{conversation_id}/customer"): Route(
        "page", form={"text": "你好"}, path_values={"conversation_id": "demo-matrix"}
    ),
    ("POST", "/c/{conversation_id}/profile"): Route(
        "page", form={"age": "30"}, path_values={"conversation_id": "demo-matrix"}
    ),
    ("POST", "/s/{suggestion_id}/act"): Route(
        "page", AGENT, form={"action": "reject", "reason": "测试"}
    ),
    ("POST", "/s/{suggestion_id}/reply"): Route("page", AGENT, form={"text": "您好"}),
    ("POST", "/s/{suggestion_id}/refer"): Route(
        "page", AGENT, form={"tier": "priority", "note": "测试"}
    ),
    ("GET", "/customers/{customer_ref}"): Route("page"),
    ("POST", "/customers/{customer_ref}"): Route(
        "page", form={"version": "0", "allergies": "青霉素"}
    ),
    ("GET", "/customers/{customer_ref}/delete"): Route("page", ADMIN),
    ("POST", "/customers/{customer_ref}/delete"): Route(
        "page", ADMIN, form={"confirm": "会员1", "reason": "顾客要求删除（工单 T2）"}
    ),
    ("GET", "/adr"): Route("page"),
    ("GET", "/adr/export.csv"): Route("page", PH),
    ("GET", "/adr/{report_id}/export.json"): Route("page", PH),
    ("POST", "/escalations/{escalation_id}/adr"): Route("page", PH, form={}),
    ("GET", "/adr/{report_id}"): Route("page", PH),
    ("POST", "/adr/{report_id}/{step}"): Route(
        "page", PH, form={"version": "99"}, path_values={"step": "submit"}
    ),
    ("GET", "/adr/{report_id}/print"): Route("page", PH),
    ("GET", "/escalations"): Route("page"),
    ("GET", "/escalations/{escalation_id}"): Route("page"),
    ("POST", "/escalations/{escalation_id}/{step}"): Route(
        "page", PH, form={}, path_values={"step": "close"}
    ),
    ("GET", "/kb"): Route("page"),
    ("GET", "/kb/rebuild"): Route("page"),
    ("GET", "/kb/{doc_id}"): Route("page"),
    ("POST", "/kb/upload"): Route(
        "page", ADMIN, form={}, files={"file": ("x.exe", b"MZ", "application/octet-stream")}
    ),
    ("GET", "/dashboard"): Route("page", PH),
}


def app_routes(app) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, from its own route table."""
    found = set()
    for rc in iter_route_contexts(app.routes):
        methods = rc.methods or {"GET"}  # a mount (static files)
        for method in methods - {"HEAD"}:
            found.add((method, rc.path))
    return found


@dataclass
class World:
    """A running app with one user per role and one of each thing a route may name."""

    client: TestClient
    app: object
    tokens: dict
    values: dict

    def url(self, method: str, path: str, route: Route) -> str:
        values = self.values | route.path_values
        if path == "/static":
            return "/static/app.css"
        if path == "/docs/assets":
            return "/docs/assets/swagger-ui.css"
        return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path) + route.query

    def session_client(self, role: str | None) -> tuple[TestClient, str]:
        """A client with its own cookie jar: logged in as `role` (None: anonymous), and the
        session's CSRF token."""
        client = TestClient(self.app, raise_server_exceptions=False)
        token = csrf_of(client.get("/login").text)
        if role is not None:
            r = client.post(
                "/login",
                data={
                    "username": f"u-{role}",
                    "password": f"{role}-password-1",
                    "csrf_token": token,
                },
                follow_redirects=False,
            )
            assert r.status_code == 303, r.text
            token = csrf_of(client.get("/account").text)
        return client, token


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def make_world(tmp_path, sample_settings, sample_copilot):
    """Yields a World: an app over a copy of the sample index, users agent / pharmacist /
    admin (named by role), a conversation with a pending suggestion, an open case, an ADR
    report and a customer record."""
    home = tmp_path / "home"
    shutil.copytree(sample_settings.index_dir, home / "index")
    app = create_app(sample_settings.model_copy(update={"home": home}), sample_copilot)
    with TestClient(app, raise_server_exceptions=False) as client:
        tokens = {}
        with app.state.db.session() as s:
            for role in ("agent", "pharmacist", "admin", "chat", "visitor", "spare"):
                _, _, tokens[role] = add_user(
                    s,
                    username=f"u-{role}",
                    role="agent" if role in ("visitor", "spare") else role,
                    password=f"{role}-password-1",
                )
        agent = {"Authorization": f"Bearer {tokens['agent']}"}
        ph = {"Authorization": f"Bearer {tokens['pharmacist']}"}
        draft = client.post(
            "/v1/conversations/c1/messages", headers=agent, json={"text": "开瑞坦一天吃几片"}
        ).json()
        case = client.post(
            "/v1/conversations/c2/messages",
            headers=agent,
            json={"text": "吃了布洛芬后全身起红疹子很痒", "customer_ref": "会员1"},
        ).json()
        esc = case["escalation"]["id"]
        client.post(f"/v1/escalations/{esc}/claim", headers=ph)
        adr = client.post(f"/v1/escalations/{esc}/adr", headers=ph).json()
        client.put(
            "/v1/customers/会员1/record",
            headers=agent,
            json={"version": 0, "record": {"allergies": ["青霉素"]}},
        )
        with app.state.db.session() as s:
            spare_id = s.scalar(select(User.id).where(User.username == "u-spare"))
        values = {
            "conversation_id": "c1",
            "suggestion_id": draft["suggestion"]["id"],
            "escalation_id": esc,
            "report_id": adr["id"],
            "customer_ref": "会员1",
            "user_id": spare_id,
            "doc_id": client.get("/v1/search?q=布洛芬", headers=agent).json()["results"][0][
                "chunk"
            ]["doc_id"],
        }
        yield World(client=client, app=app, tokens=tokens, values=values)
