"""Deleting a customer's personal data on request (PIPL Art. 47) from the pages and the API:
admins only, the customer id typed again and a reason, the counts shown beforehand are the counts
deleted, the audit log records who, when, why and how many (never the data), the audit log and
ADR reports stay, and the same rules hold for the JSON API (CSRF for sessions, one error shape,
404 for an unknown customer)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from test_web import bearer, csrf, login, web  # noqa: F401  (the fixture)

from copilot.desk.auth import add_user
from copilot.desk.common import DeskError
from copilot.desk.db import Database
from copilot.desk.privacy import (
    REDACTED,
    erase_on_request,
    preview_customer,
    purge_customer,
)
from copilot.desk.records import HealthRecord
from copilot.desk.service import Desk
from copilot.desk.tables import (
    AdrReport,
    AuditEntry,
    Base,
    CaseStep,
    Conversation,
    CustomerRecord,
    Message,
)

PHONE = "13812345678"


@pytest.fixture
def desk(db_url, sample_copilot):
    return Desk(db=Database(db_url), copilot=sample_copilot)


@pytest.fixture
def people(desk):
    with desk.db.session() as s:
        return {
            role: add_user(s, username=f"u-{role}", role=role, password=f"{role}-password-1")[0]
            for role in ("agent", "pharmacist", "admin")
        }


def _customer(desk, people, conv: str, ref: str, *, record: bool = True) -> int:
    """A day of one customer: a draft edited and sent, a rejected draft, a case answered with
    a follow-up note, a health record and an ADR report on the case. Returns the case id."""
    agent, ph = people["agent"], people["pharmacist"]
    row, _ = desk.receive(conv, f"开瑞坦一天吃几片？我电话{PHONE}", user=agent, customer_ref=ref)
    desk.act(row.id, agent, "edit", final_text=row.text + "（张三您好）", confirm_warnings=True)
    row, _ = desk.receive(conv, "那维生素C呢", user=agent)
    desk.act(row.id, agent, "reject", reason=f"顾客留了电话{PHONE}，先电话联系")
    _, esc = desk.receive(conv, "我怀孕了还能吃开瑞坦吗", user=agent)
    desk.claim(esc.id, ph)
    desk.answer(esc.id, ph, "孕期请先不要服用，我们会电话联系您。")
    desk.follow_up(esc.id, ph, "电话回访：顾客已停药，无不适")
    if record:
        desk.save_record(ref, ph, HealthRecord(allergies=["青霉素"]), version=0)
    with desk.db.session() as s:
        now = datetime.now(UTC)
        s.add(
            AdrReport(
                escalation_id=esc.id,
                conversation_id=conv,
                form={"patient_name": "张三"},
                learned_at=now,
                due_at=now + timedelta(days=15),
                due_rule="general",
                created_by=ph.id,
            )
        )
    return esc.id


def _rows(db) -> dict:
    """Every row of every table, as text: what a look at the database would see."""
    with db.session() as s:
        return {
            t.name: sorted(map(str, s.execute(select(t)).all()))
            for t in Base.metadata.sorted_tables
        }


def test_the_preview_counts_what_the_purge_removes_and_changes_nothing(desk, people):
    _customer(desk, people, "e1", "会员001")
    _customer(desk, people, "e2", "会员001", record=False)  # the same customer again
    _customer(desk, people, "other", "会员002")
    before = _rows(desk.db)
    with desk.db.session() as s:
        preview = preview_customer(s, "会员001")
    assert _rows(desk.db) == before  # looking changes nothing
    counts = preview.would_remove.counts()
    assert counts == {
        "conversations": 2,
        "messages": 2 * 5,  # 3 from the customer, the edited reply, the pharmacist's answer
        "suggestions": 2 * 3,
        "actions": 2 * 2,  # the edited text, the reject reason
        "answers": 2,
        "notes": 2 * 3,  # the case's steps: receive, register, the follow-up note
        "records": 1,
        "adr_reports_kept": 2,
    }
    assert preview.audit_entries >= 2 * 8  # conversation, suggestions, case, record, …
    report = erase_on_request(
        desk.db,
        "会员001",
        user=people["admin"],
        confirm="会员001",
        reason=f"顾客来电要求删除（回拨 {PHONE}）",
        via="page",
    )
    assert report.counts() == counts  # what the page showed is what went
    with desk.db.session() as s:
        assert preview_customer(s, "会员001") is None  # nothing left to delete
        texts = s.scalars(select(Message.text).where(Message.conversation_id.in_(["e1", "e2"])))
        assert set(texts) == {REDACTED}
        notes = select(func.count()).select_from(CaseStep).where(CaseStep.note.is_not(None))
        assert s.scalar(notes) == 3  # the other customer's
        assert s.get(CustomerRecord, "会员001") is None
        assert s.get(CustomerRecord, "会员002") is not None
        assert s.scalar(select(func.count()).select_from(AdrReport)) == 3  # kept by law
        entry = s.get(AuditEntry, report.audit_id)
        assert entry.action == "privacy.purged" and entry.user_id == people["admin"].id
        assert entry.entity == "customer" and entry.entity_id == "会员001"
        assert entry.detail["via"] == "page" and entry.detail["messages"] == 10
        assert entry.detail["reason"].startswith("顾客来电要求删除")
        assert PHONE not in str(entry.detail) and "青霉素" not in str(entry.detail)
        # the audit log lost nothing: every entry written before is still there
        after = {str(r) for r in s.execute(select(AuditEntry.__table__)).all()}
    assert set(before["audit_log"]) <= after
    # the other customer's conversation is untouched
    with desk.db.session() as s:
        assert (
            f"开瑞坦一天吃几片？我电话{PHONE}"
            in s.scalars(select(Message.text).where(Message.conversation_id == "other")).all()
        )


def test_only_admins_erase_and_only_with_the_id_typed_again_and_a_reason(desk, people):
    _customer(desk, people, "r1", "会员7")
    before = _rows(desk.db)
    cases = [
        (people["agent"], "会员7", "会员7", "顾客要求", 403, None),
        (people["pharmacist"], "会员7", "会员7", "顾客要求", 403, None),
        (people["agent"], "无此人", "无此人", "顾客要求", 403, None),  # 403 before 404
        (people["admin"], "无此人", "无此人", "顾客要求", 404, None),
        (people["admin"], "会员7", "会员1", "顾客要求", 422, "confirm"),
        (people["admin"], "会员7", "", "顾客要求", 422, "confirm"),
        (people["admin"], "会员7", "会员7", "   ", 422, "reason"),
        (people["admin"], "会员7", "会员7", "因" * 201, 422, "reason"),
    ]
    for user, ref, confirm, reason, status, field in cases:
        with pytest.raises(DeskError) as exc:
            erase_on_request(desk.db, ref, user=user, confirm=confirm, reason=reason, via="api")
        assert (exc.value.status, exc.value.field) == (status, field), (user.role, ref, confirm)
    assert _rows(desk.db) == before  # nothing deleted, nothing audited


def test_the_command_line_purge_is_the_same_function_and_says_so_in_the_audit(desk, people):
    _customer(desk, people, "cli1", "会员8")
    report = purge_customer(desk.db, "会员8")
    with desk.db.session() as s:
        entry = s.get(AuditEntry, report.audit_id)
    assert entry.user_id is None and entry.detail["via"] == "cli"
    assert entry.detail["reason"] == "customer request" and entry.detail["notes"] == 3


# --- through the web service ------------------------------------------------------------------


def _seed(client, ref: str, conv: str) -> None:
    agent = bearer(client, "agent")
    r = client.post(
        f"/v1/conversations/{conv}/messages",
        headers=agent,
        json={"text": f"开瑞坦一天吃几片 电话{PHONE}", "customer_ref": ref},
    )
    assert r.status_code == 200, r.text
    r = client.put(
        f"/v1/customers/{ref}/record",
        headers=agent,
        json={"version": 0, "record": {"allergies": ["青霉素"]}},
    )
    assert r.status_code == 200, r.text


def test_the_api_erases_for_admins_only_with_csrf_for_sessions_and_one_error_shape(web):  # noqa: F811
    _seed(web, "会员A", "wa")
    _seed(web, "会员B", "wb")
    body = {"confirm": "会员A", "reason": "顾客要求删除（工单 88）"}
    url = "/v1/customers/会员A/purge"
    for who in ("agent", "ph"):
        r = web.post(url, headers=bearer(web, who), json=body)
        assert r.status_code == 403 and set(r.json()) == {"error", "detail", "fields"}
    wrong = web.post(url, headers=bearer(web, "boss"), json=body | {"confirm": "会员B"})
    assert wrong.status_code == 422
    assert [f["field"] for f in wrong.json()["fields"]] == ["confirm"]
    unknown = web.post(
        "/v1/customers/无此人/purge", headers=bearer(web, "boss"), json=body | {"confirm": "无此人"}
    )
    assert unknown.status_code == 404 and set(unknown.json()) == {"error", "detail", "fields"}
    done = web.post(url, headers=bearer(web, "boss"), json=body)
    assert done.status_code == 200, done.text
    out = done.json()
    assert out["removed"]["conversations"] == 1 and out["removed"]["messages"] == 1
    assert out["removed"]["records"] == 1 and out["kept"] == {"adr_reports": 0}
    again = web.post(url, headers=bearer(web, "boss"), json=body)
    assert again.status_code == 404  # nothing stored any more
    # a page session needs the CSRF header
    token = login(web, "boss")
    body_b = {"confirm": "会员B", "reason": "顾客要求删除"}
    assert web.post("/v1/customers/会员B/purge", json=body_b).status_code == 403
    r = web.post("/v1/customers/会员B/purge", json=body_b, headers={"X-CSRF-Token": token})
    assert r.status_code == 200, r.text
    with web.app.state.db.session() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.purged")).all()
    assert [(e.entity_id, e.detail["via"]) for e in entries] == [("会员A", "api"), ("会员B", "api")]


def _erase_button(page: str) -> bool:
    return "删除该顾客个人信息" in page and "/customers/会员C/delete" in page


def test_the_customer_page_offers_deletion_to_admins_with_a_confirmation_step(web):  # noqa: F811
    _seed(web, "会员C", "wc")
    html = {"accept": "text/html"}
    for who in ("agent", "ph"):
        login(web, who)
        assert not _erase_button(web.get("/customers/会员C").text)
        assert web.get("/customers/会员C/delete", headers=html).status_code == 403
        token = csrf(web, "/customers/会员C")
        r = web.post(
            "/customers/会员C/delete",
            data={"csrf_token": token, "confirm": "会员C", "reason": "x"},
            headers=html,
        )
        assert r.status_code == 403
    login(web, "boss")
    assert _erase_button(web.get("/customers/会员C").text)
    assert not _erase_button(web.get("/customers/无此人").text)  # nothing to delete
    assert web.get("/customers/无此人/delete", headers=html).status_code == 404
    page = web.get("/customers/会员C/delete")
    assert page.status_code == 200
    will = _counts(page.text, "erase-will")
    assert will["conversations"] == "1" and will["messages"] == "1" and will["records"] == "1"
    assert "审计日志" in page.text and "不良反应报告" in page.text and "依法保留" in page.text
    token = csrf(web, "/customers/会员C/delete")
    r = web.post(
        "/customers/会员C/delete",
        data={"csrf_token": "forged", "confirm": "会员C", "reason": "顾客要求"},
    )
    assert r.status_code == 403
    wrong = web.post(
        "/customers/会员C/delete",
        data={"csrf_token": token, "confirm": "会员", "reason": "顾客要求"},
        follow_redirects=False,
    )
    assert wrong.status_code == 303 and wrong.headers["location"].endswith("/delete")
    shown = web.get("/customers/会员C/delete")
    assert "未删除：确认编号与顾客编号不一致" in shown.text
    assert _counts(shown.text, "erase-will") == will  # nothing went
    r = web.post(
        "/customers/会员C/delete",
        data={"csrf_token": token, "confirm": "会员C", "reason": f"顾客来电要求删除 {PHONE}"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "?done=" in r.headers["location"]
    result = web.get(r.headers["location"])
    assert result.status_code == 200 and "已删除顾客 会员C 的个人信息" in result.text
    assert _counts(result.text, "erase-done") == will
    assert PHONE not in result.text and "顾客来电要求删除" in result.text
    assert "执行人：boss" in result.text
    record_page = web.get("/customers/会员C").text
    assert "删除个人信息" in record_page and not _erase_button(record_page)
    assert web.get("/customers/会员C/delete", headers=html).status_code == 404
    with web.app.state.db.session() as s:
        assert s.get(Conversation, "wc").customer_ref == ""


def _counts(html: str, table: str) -> dict[str, str]:
    section = re.search(rf'<table class="counts" id="{table}">(.*?)</table>', html, re.S).group(1)
    return dict(re.findall(r'data-count="(\w+)"><td>[^<]*</td><td>(\d+)</td>', section))


def test_after_deletion_nothing_of_the_customer_can_be_sent_or_worked(desk, people):
    """A draft waiting for an agent is withdrawn and an open case leaves the queue."""
    agent, pharmacist = people["agent"], people["pharmacist"]
    row, esc = desk.receive("e-open", "哺乳期能吃布洛芬吗", user=agent, customer_ref="C-ERASE")
    assert esc is not None and row.kind == "holding"
    purge_customer(desk.db, "C-ERASE")
    with pytest.raises(DeskError):
        desk.act(row.id, agent, "accept")
    with pytest.raises(DeskError):
        desk.claim(esc.id, pharmacist)
