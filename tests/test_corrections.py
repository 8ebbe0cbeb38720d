"""A pharmacist corrects (更正) an answer already sent: checked as an answer is, delivered as a
new pharmacist message the agent sees, the previous text kept in the case's steps, audited,
and conditional on the version read (the second of two gets 409 naming the first)."""

from __future__ import annotations

from sqlalchemy import select
from test_web import bearer, login, web  # noqa: F401  (the fixture)

from copilot.desk.tables import AuditEntry, CaseStep, Message


def _answered_case(client, conv):
    r = client.post(
        f"/v1/conversations/{conv}/messages",
        headers=bearer(client, "agent"),
        json={"text": "我怀孕了能吃感冒灵吗"},
    )
    esc = r.json()["escalation"]["id"]
    ph = bearer(client, "ph")
    client.post(f"/v1/escalations/{esc}/claim", headers=ph)
    answered = client.post(
        f"/v1/escalations/{esc}/answer", headers=ph, json={"text": "孕期可以少量服用感冒灵。"}
    )
    assert answered.status_code == 200 and answered.json()["answer_version"] == 1
    return esc


def _correct(client, esc, text, version, who="ph", **extra):
    return client.post(
        f"/v1/escalations/{esc}/correct",
        headers=bearer(client, who),
        json={"text": text, "version": version, **extra},
    )


FIXED = "更正：孕期请不要自行服用感冒灵颗粒，请先咨询产科医生。"


def test_a_correction_is_sent_kept_and_audited_once_per_version(web):  # noqa: F811
    esc = _answered_case(web, "x1")
    done = _correct(web, esc, FIXED, 1)
    assert done.status_code == 200, done.text
    assert done.json()["answer_version"] == 2 and done.json()["status"] == "answered"
    late = _correct(web, esc, "另一个更正：请咨询医生。", 1)
    assert late.status_code == 409 and "答复已被药师" in late.json()["detail"]
    assert "北京时间" in late.json()["detail"]
    with web.app.state.db.session() as s:
        msgs = list(s.scalars(select(Message).where(Message.conversation_id == "x1")))
        assert [m.role for m in msgs] == ["customer", "pharmacist", "pharmacist"]
        assert msgs[1].text == "孕期可以少量服用感冒灵。"  # the first answer stays as sent
        assert msgs[2].text == "【更正】" + FIXED and msgs[2].author_id is not None
        entry = s.scalar(
            select(AuditEntry).where(AuditEntry.action == "escalation.answer_corrected")
        )
        assert entry.detail == {"version": 2, "previous_version": 1, "length": len(FIXED)}
        notes = [st.note for st in s.scalars(select(CaseStep).where(CaseStep.escalation_id == esc))]
        assert "更正答复（第1版原文：孕期可以少量服用感冒灵。）" in notes
    # a further correction is made from the current version
    assert _correct(web, esc, "再次更正：请先咨询产科医生。", 2).status_code == 200


def test_a_correction_is_checked_like_an_answer_and_only_pharmacists_send_it(web):  # noqa: F811
    esc = _answered_case(web, "x2")
    promise = "更正：感冒灵保证治好，放心吃。"
    blocked = _correct(web, esc, promise, 1)
    assert blocked.status_code == 409 and "核查未通过" in blocked.json()["detail"]
    forced = _correct(web, esc, promise, 1, override_reason="顾客原话引用，确认无误")
    assert forced.status_code == 200
    with web.app.state.db.session() as s:
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "escalation.answer_override"))
    assert _correct(web, esc, FIXED, 2, who="agent").status_code == 403
    same = _correct(web, esc, promise, 2, override_reason="同上")
    assert same.status_code == 422 and "相同" in same.json()["detail"]


def test_only_an_answered_or_closed_case_is_corrected(web):  # noqa: F811
    r = web.post(
        "/v1/conversations/x3/messages",
        headers=bearer(web, "agent"),
        json={"text": "哺乳期能吃开瑞坦吗"},
    )
    esc = r.json()["escalation"]["id"]
    early = _correct(web, esc, FIXED, 1)
    assert early.status_code == 409 and "尚未答复" in early.json()["detail"]
    answered = _answered_case(web, "x4")
    assert (
        web.post(f"/v1/escalations/{answered}/close", headers=bearer(web, "ph")).status_code == 200
    )
    closed = _correct(web, answered, FIXED, 1)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"


def test_the_case_page_corrects_and_the_agent_sees_the_correction(web):  # noqa: F811
    esc = _answered_case(web, "x5")
    token = login(web, "ph")
    page = web.get(f"/escalations/{esc}")
    assert 'id="correct-form"' in page.text and 'name="version" value="1"' in page.text
    sent = web.post(
        f"/escalations/{esc}/correct",
        data={"csrf_token": token, "text": FIXED, "version": "1"},
        follow_redirects=True,
    )
    assert "更正已发送到对话" in sent.text and "第2版" in sent.text
    stale = web.post(
        f"/escalations/{esc}/correct",
        data={"csrf_token": token, "text": "再改一次：请咨询医生。", "version": "1"},
        follow_redirects=True,
    )
    assert "请刷新后在最新答复上更正" in stale.text
    login(web, "agent")
    console = web.get("/c/x5").text
    assert "【更正】" + FIXED in console and 'class="msg pharmacist correction"' in console
    assert 'id="correct-form"' not in web.get(f"/escalations/{esc}").text
