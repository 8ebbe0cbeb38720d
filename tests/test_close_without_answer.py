"""A case that needs no answer (the customer only thanked) is closed by the pharmacist who
claimed it, with a note: recorded as the archive step with the note, audited; never for an
emergency, never unclaimed or someone else's, and a second close or an answer after it gets 409."""

from __future__ import annotations

from sqlalchemy import select
from test_web import bearer, login, web  # noqa: F401  (the fixture)

from copilot.desk.tables import AuditEntry, CaseStep


def _case(client, conv, text):
    r = client.post(
        f"/v1/conversations/{conv}/messages", headers=bearer(client, "agent"), json={"text": text}
    )
    assert r.status_code == 200, r.text
    return r.json()["escalation"]


def _close(client, esc, note, who="ph"):
    return client.post(
        f"/v1/escalations/{esc}/close-without-answer",
        headers=bearer(client, who),
        json={"note": note},
    )


def test_a_claimed_case_is_closed_with_its_note(web):  # noqa: F811
    esc = _case(web, "n1", "我怀孕了能吃感冒灵吗")
    assert esc["tier"] == "priority"
    unclaimed = _close(web, esc["id"], "顾客仅致谢，无需答复")
    assert unclaimed.status_code == 409 and "认领" in unclaimed.json()["detail"]
    web.post(f"/v1/escalations/{esc['id']}/claim", headers=bearer(web, "ph"))
    assert _close(web, esc["id"], " ").status_code == 422  # a note is required
    done = _close(web, esc["id"], "顾客已去医院就诊，仅致谢，无需答复")
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "closed"
    again = _close(web, esc["id"], "再关一次")
    assert again.status_code == 409
    answer = web.post(
        f"/v1/escalations/{esc['id']}/answer", headers=bearer(web, "ph"), json={"text": "请咨询"}
    )
    assert answer.status_code == 409
    with web.app.state.db.session() as s:
        notes = [
            (st.step, st.note)
            for st in s.scalars(select(CaseStep).where(CaseStep.escalation_id == esc["id"]))
        ]
        assert ("archive", "未答复即关闭：顾客已去医院就诊，仅致谢，无需答复") in notes
        entry = s.scalar(
            select(AuditEntry).where(AuditEntry.action == "escalation.closed_without_answer")
        )
        assert entry is not None and entry.detail["note"].startswith("顾客已去医院")


def test_an_emergency_is_always_answered_and_agents_cannot_close(web):  # noqa: F811
    esc = _case(web, "n2", "孩子把一整瓶布洛芬都吃了")
    assert esc["tier"] == "emergency"
    web.post(f"/v1/escalations/{esc['id']}/claim", headers=bearer(web, "ph"))
    refused = _close(web, esc["id"], "顾客仅致谢")
    assert refused.status_code == 409 and "紧急" in refused.json()["detail"]
    other = _case(web, "n3", "我怀孕了能吃感冒灵吗")
    assert _close(web, other["id"], "顾客仅致谢", who="agent").status_code == 403
