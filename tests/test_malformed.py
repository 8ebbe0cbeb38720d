"""Malformed input (issue 15): a corpus generated from the app's route table (tests/routetable.py)
— NaN / ±Infinity / 1e309 in JSON, lone surrogates, ids ≥ 2^63, huge strings and lists, wrong
types, missing fields, bad content types, broken JSON, huge histories — sent by an admin, who
passes every role check. Each must be a 4xx in the one JSON error shape naming the field (a
page form may instead send the browser back with its message), the server keeps serving, and
no row is written by a refused request."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest
from routetable import ROUTES, app_routes, make_world
from sqlalchemy import func, select

from copilot.desk.tables import Base

HUGE = "药" * 100_001
INT_PARAMS = {"escalation_id", "report_id"}
BAD_INTS = ["abc", "-1", "0", "9223372036854775808", "1e309", "NaN", "1.5"]
BAD_STRINGS = ["x" * 300, "%ED%A0%80", "%00"]


@dataclass
class Case:
    id: str
    method: str
    path: str  # the route's declared path (for the report)
    url: str
    field: str  # what the 422 must name ("" for another 4xx)
    kwargs: dict


def _json_cases(method, path, url, body: dict) -> list[Case]:
    raw = {"content-type": "application/json"}
    out = [
        Case("broken json", method, path, url, "body", {"content": b'{"text": ', "headers": raw}),
        Case("empty body", method, path, url, "body", {"content": b"", "headers": raw}),
        Case("array body", method, path, url, "body", {"json": []}),
        Case("string body", method, path, url, "body", {"json": "hello"}),
        Case(
            "text/plain",
            method,
            path,
            url,
            "",
            {"content": json.dumps(body).encode(), "headers": {"content-type": "text/plain"}},
        ),
        Case("extra field", method, path, url, "body.bogus", {"json": body | {"bogus": 1}}),
        Case(
            "deep nesting",
            method,
            path,
            url,
            "body",
            {"content": ("[" * 5000 + "]" * 5000).encode(), "headers": raw},
        ),
    ]
    if body:
        out.append(Case("missing fields", method, path, url, "body", {"json": {}}))
    for name, value in body.items():
        for label, literal in (
            ("NaN", "NaN"),
            ("Infinity", "Infinity"),
            ("-Infinity", "-Infinity"),
            ("1e309", "1e309"),
            ("2^63", "9223372036854775808"),
            ("surrogate", '"\\ud800 x"'),
            ("NUL", '"a\\u0000b"'),
            ("list", "[1, 2]"),
            ("object", '{"a": 1}'),
            ("bool", "true"),
            ("null", "null"),
        ):
            text = json.dumps(body | {name: "__X__"}).replace('"__X__"', literal)
            if label in ("null",) and value is None:
                continue
            out.append(
                Case(
                    f"{name}={label}",
                    method,
                    path,
                    url,
                    f"body.{name}",
                    {"content": text.encode(), "headers": raw},
                )
            )
        if isinstance(value, str):
            out.append(
                Case(
                    f"{name} huge", method, path, url, f"body.{name}", {"json": body | {name: HUGE}}
                )
            )
        out.append(
            Case(
                f"{name} huge list",
                method,
                path,
                url,
                f"body.{name}",
                {"json": body | {name: ["x"] * 10_000}},
            )
        )
    return out


def corpus(world) -> list[Case]:
    cases: list[Case] = []
    for (method, path), route in sorted(ROUTES.items()):
        if route.kind.startswith("public") or route.last:
            continue
        url = world.url(method, path, route)
        params = re.findall(r"\{(\w+)\}", path)
        for param in params:
            if param in route.path_values:
                continue
            bad = BAD_INTS if param in INT_PARAMS else BAD_STRINGS
            for value in bad:
                values = world.values | route.path_values | {param: value}
                bad_url = re.sub(r"\{(\w+)\}", lambda m, v=values: str(v[m.group(1)]), path)
                kwargs = _body_kwargs(route)
                cases.append(Case(f"{param}={value[:12]}", method, path, bad_url, param, kwargs))
        if route.json is not None:
            cases += _json_cases(method, path, url, route.json)
        if route.form is not None and route.kind == "page":
            cases += _form_cases(method, path, url, route)
    cases += _query_cases(world)
    cases += _suggest_cases()
    return cases


def _body_kwargs(route) -> dict:
    if route.json is not None:
        return {"json": route.json}
    if route.form is not None:
        return {"data": dict(route.form), "form": True}
    return {}


def _form_cases(method, path, url, route) -> list[Case]:
    out = [
        Case(
            "json to a form",
            method,
            path,
            url,
            "",
            {"json": route.form or {"a": 1}, "form": True, "csrf_in_header": True},
        )
    ]
    for name in route.form:
        out.append(
            Case(
                f"{name} huge",
                method,
                path,
                url,
                name,
                {"data": route.form | {name: HUGE}, "form": True},
            )
        )
        out.append(
            Case(
                f"{name} surrogate",
                method,
                path,
                url,
                name,
                {
                    "content": f"{name}=%ED%A0%80".encode(),
                    "headers": {"content-type": "application/x-www-form-urlencoded"},
                    "form": True,
                },
            )
        )
    return out


def _query_cases(world) -> list[Case]:
    out = []
    for query, field in (
        ("q=" + "布" * 501, "q"),
        ("q=%ED%A0%80", "q"),
        ("q=%00", "q"),
        ("q=", "q"),
        ("q=%20", "q"),
        ("q=布洛芬&k=NaN", "k"),
        ("q=布洛芬&k=1e309", "k"),
        ("q=布洛芬&k=-1", "k"),
        ("q=布洛芬&k=9223372036854775808", "k"),
        ("q=布洛芬&kind=bogus", "kind"),
        ("", "q"),
    ):
        out.append(
            Case(f"search {query[:20]}", "GET", "/v1/search", f"/v1/search?{query}", field, {})
        )
    for query, field in (
        ("conversation=" + "x" * 65, "conversation"),
        ("conversation=%ED%A0%80", "conversation"),
    ):
        out.append(
            Case(f"pulse {field}", "GET", "/v1/desk/pulse", f"/v1/desk/pulse?{query}", field, {})
        )
    for url, field in (
        ("/escalations?all=NaN", "all"),
        ("/adr/export.csv?all=1e309", "all"),
        ("/kb?q=" + "布" * 600, "q"),
    ):
        out.append(Case(f"page query {url[:24]}", "GET", url.split("?")[0], url, field, {}))
    return out


def _suggest_cases() -> list[Case]:
    out = []
    turn = {"role": "customer", "text": "我头疼"}
    for label, history, field in (
        ("history 51 turns", [turn] * 51, "body.history"),
        ("history 1 MB", [{"role": "customer", "text": "药" * 1_000_000}], "body.history.0.text"),
        ("history 10k turns", [turn] * 10_000, "body.history"),
        ("history bad role", [{"role": "robot", "text": "x"}], "body.history.0.role"),
        ("history not a list", {"a": 1}, "body.history"),
        ("history turn string", ["我头疼"], "body.history.0"),
    ):
        for path in ("/v1/suggest", "/v1/suggest/stream"):
            out.append(
                Case(
                    label,
                    "POST",
                    path,
                    path,
                    field,
                    {"json": {"message": "布洛芬", "history": history}},
                )
            )
    for label, extra, field in (
        ("profile age NaN", b'"profile": {"age_years": NaN}', "body.profile.age_years"),
        ("profile age -1", b'"profile": {"age_years": -1}', "body.profile.age_years"),
        ("cart 101", json.dumps({"cart": [{"product": "x"}] * 101})[1:-1].encode(), "body.cart"),
        ("provider bogus", b'"provider": "bogus"', "body.provider"),
    ):
        out.append(
            Case(
                label,
                "POST",
                "/v1/suggest",
                "/v1/suggest",
                field,
                {
                    "content": b'{"message": "\\u5e03", ' + extra + b"}",
                    "headers": {"content-type": "application/json"},
                },
            )
        )
    return out


@pytest.fixture
def world(tmp_path, sample_settings, sample_copilot):
    yield from make_world(tmp_path, sample_settings, sample_copilot)


def _rows(world) -> dict[str, int]:
    with world.app.state.db.session() as s:
        return {
            t.name: int(s.scalar(select(func.count()).select_from(t)) or 0)
            for t in Base.metadata.sorted_tables
        }


def test_malformed_requests_get_a_4xx_naming_the_field(world):
    assert {(c.method, c.path) for c in corpus(world)} <= app_routes(world.app)
    cases = corpus(world)
    assert len(cases) >= 200
    session, csrf = world.session_client("admin")
    bearer = {"Authorization": f"Bearer {world.tokens['admin']}"}
    before = _rows(world)
    failures, routes = [], set()
    for case in cases:
        kwargs = dict(case.kwargs)
        form = kwargs.pop("form", False)
        headers = dict(kwargs.pop("headers", {}))
        if form:  # a page: the admin's session, the form's CSRF token
            client = session
            if kwargs.pop("csrf_in_header", False) or "content" in kwargs:
                headers["X-CSRF-Token"] = csrf
                if "content" in kwargs:
                    kwargs["content"] += f"&csrf_token={csrf}".encode()
            else:
                kwargs["data"] = dict(kwargs.get("data", {})) | {"csrf_token": csrf}
        elif case.path.startswith("/v1"):
            client, headers = world.client, headers | bearer
        else:
            client = session
        r = client.request(case.method, case.url, headers=headers, follow_redirects=False, **kwargs)
        routes.add((case.method, case.path))
        where = f"{case.method} {case.url[:60]} [{case.id}]: {r.status_code} {r.text[:160]}"
        if form and r.status_code == 303:
            # a page form's error path: back to the page with the message shown there
            if "flash" not in str(session.cookies) and not r.headers.get("location"):
                failures.append(where)
        elif not 400 <= r.status_code < 500:
            failures.append(where)
        else:
            try:
                body = r.json()
            except ValueError:
                failures.append(where + " (not JSON)")
                continue
            if set(body) != {"error", "detail", "fields"} or not body["detail"]:
                failures.append(where + " (shape)")
            elif r.status_code == 422 and case.field:
                named = " ".join(f["field"] for f in body["fields"])
                if case.field.split(".")[-1] not in named and case.field.split(".")[0] not in named:
                    failures.append(where + f" (does not name {case.field})")
        if world.client.get("/healthz").status_code != 200:
            failures.append(where + " (server stopped serving)")
        after = _rows(world)
        if after != before:  # nothing half-written, nothing written at all
            changed = {k: after[k] - before[k] for k in after if after[k] != before[k]}
            failures.append(where + f" (wrote rows: {changed})")
            before = after
    assert not failures, f"{len(failures)} of {len(cases)}:\n" + "\n".join(failures)
    print(f"malformed corpus: {len(cases)} requests over {len(routes)} routes")
