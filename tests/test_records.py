"""The customer's health record: checked on every suggestion of any conversation of that
customer, dated states that lapse, conditional edits (409 naming who saved first), audit of the
field names only, and the record page."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from test_web import bearer, csrf, login, web  # noqa: F401  (the fixture)

from copilot.desk.records import HealthRecord, as_profile, merged
from copilot.desk.tables import AuditEntry
from copilot.schemas import Profile


def _put(client, ref, record: dict, version: int, who="agent"):
    return client.put(
        f"/v1/customers/{ref}/record",
        headers=bearer(client, who),
        json={"version": version, "record": record},
    )


def _alerts(body) -> set[tuple[str, str]]:
    return {(a["kind"], a["severity"]) for a in body["suggestion"]["alerts"]}


def test_the_record_is_checked_in_every_conversation_of_the_customer(web):  # noqa: F811
    assert _put(web, "m-1", {"allergies": ["青霉素"]}, 0).status_code == 200
    for conv in ("first", "second"):
        r = web.post(
            f"/v1/conversations/{conv}/messages",
            headers=bearer(web, "agent"),
            json={"text": "买两盒阿莫西林胶囊", "customer_ref": "m-1"},
        )
        assert r.status_code == 200, r.text
        assert any(kind == "allergy" for kind, _ in _alerts(r.json())), conv
    # another customer, the same words: no allergy
    r = web.post(
        "/v1/conversations/other/messages",
        headers=bearer(web, "agent"),
        json={"text": "买两盒阿莫西林胶囊", "customer_ref": "m-2"},
    )
    assert not any(kind == "allergy" for kind, _ in _alerts(r.json()))
    # a conversation whose customer is named only by a later message reads the record too
    web.post("/v1/conversations/late/messages", headers=bearer(web, "agent"), json={"text": "你好"})
    r = web.post(
        "/v1/conversations/late/messages",
        headers=bearer(web, "agent"),
        json={"text": "再来一盒阿莫西林", "customer_ref": "m-1"},
    )
    assert any(kind == "allergy" for kind, _ in _alerts(r.json()))


def test_a_pregnancy_in_the_record_escalates_until_it_lapses(web):  # noqa: F811
    noted = (datetime.now(UTC).date() - timedelta(days=20)).isoformat()
    _put(web, "p-1", {"pregnant_noted_on": noted}, 0)
    r = web.post(
        "/v1/conversations/p/messages",
        headers=bearer(web, "agent"),
        json={"text": "头疼能吃布洛芬吗", "customer_ref": "p-1"},
    )
    assert r.json()["escalation"] is not None
    # a pregnancy noted over 300 days ago no longer counts, and the record says to ask again
    old = date.today() - timedelta(days=400)
    view = HealthRecord(pregnant_noted_on=old)
    assert as_profile(view).pregnant is False
    stale = _put(web, "p-2", {"pregnant_noted_on": old.isoformat()}, 0).json()["stale"]
    assert stale and "核实" in stale[0]


def test_age_from_birth_year_and_merging_with_what_the_message_brings():
    on = date(2026, 11, 30)
    assert as_profile(HealthRecord(birth_year=1950), on).age_years == 75.5
    record = as_profile(HealthRecord(birth_year=1950, allergies=["青霉素"]), on)
    given = Profile(age_years=6, allergies=["头孢"], breastfeeding=False)
    both = merged(given, record)
    assert both.age_years == 6  # a parent asking from the child's own account
    assert both.allergies == ["头孢", "青霉素"]
    assert merged(given, None) == given


def test_edits_are_conditional_and_audited_without_values(web):  # noqa: F811
    first = _put(web, "c-1", {"allergies": ["磺胺"], "birth_year": 1960}, 0)
    assert first.status_code == 200 and first.json()["version"] == 1
    ok = _put(web, "c-1", {"allergies": ["磺胺", "青霉素"], "birth_year": 1960}, 1, who="ph")
    assert ok.status_code == 200 and ok.json()["updated_by"] == "ph"
    late = _put(web, "c-1", {"allergies": []}, 1)
    assert late.status_code == 409 and "ph" in late.json()["detail"]
    new_again = _put(web, "c-1", {}, 0)
    assert new_again.status_code == 409
    with web.app.state.db.session() as s:
        rows = list(
            s.scalars(
                select(AuditEntry).where(AuditEntry.entity == "customer").order_by(AuditEntry.id)
            )
        )
    assert [r.action for r in rows] == ["record.created", "record.updated"]
    assert rows[1].detail["fields"] == ["allergies"]
    assert "青霉素" not in str([r.detail for r in rows])


def test_two_simultaneous_edits_of_one_version_one_wins(web):  # noqa: F811
    _put(web, "race", {"conditions": ["高血压"]}, 0)
    codes = []

    def edit(who):
        codes.append(_put(web, "race", {"conditions": [who]}, 1, who=who).status_code)

    threads = [threading.Thread(target=edit, args=(w,)) for w in ("agent", "ph")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200, 409]
    assert web.get("/v1/customers/race/record", headers=bearer(web, "ph")).json()["version"] == 2


def test_record_api_needs_a_caller_and_valid_fields(web):  # noqa: F811
    assert web.get("/v1/customers/x/record").status_code == 401
    assert web.get("/v1/customers/none/record", headers=bearer(web, "agent")).status_code == 404
    bad = _put(web, "x", {"birth_year": 2999}, 0)
    assert bad.status_code == 422 and "birth_year" in bad.text
    assert _put(web, "x", {"sex": "robot"}, 0).status_code == 422
    assert _put(web, "x", {"allergies": ["a"] * 51}, 0).status_code == 422


def test_record_page_shows_and_saves(web):  # noqa: F811
    token = login(web, "agent")
    page = web.get("/customers/m-9")
    assert page.status_code == 200 and "还没有用药档案" in page.text
    saved = web.post(
        "/customers/m-9",
        data={
            "csrf_token": token,
            "version": "0",
            "birth_year": "1958",
            "allergies": "青霉素，磺胺",
            "medication_history": "华法林钠片 2025-03-01 房颤\n阿托伐他汀",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    page = web.get("/customers/m-9")
    assert (
        "已保存" in page.text and "1958" in page.text and "华法林钠片 2025-03-01 房颤" in page.text
    )
    assert "过敏史" in page.text  # the change history names the fields
    bad = web.post(
        "/customers/m-9",
        data={"csrf_token": token, "version": "1", "birth_year": "19五八"},
        follow_redirects=True,
    )
    assert "档案未保存" in bad.text and "出生年份" in bad.text
    stale = web.post(
        "/customers/m-9",
        data={"csrf_token": token, "version": "0", "allergies": "头孢"},
        follow_redirects=True,
    )
    assert "档案未保存" in stale.text and "标黄" in stale.text
    assert csrf(web, "/customers/m-9")
