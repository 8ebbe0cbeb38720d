"""The pharmacist's case page (/escalations/{id}): the draft prepared behind the holding reply
is offered as 使用参考草稿 (without [n] markers, its numbered sources listed), or the page says
plainly there is none; the answer sent from it is still checked."""

from __future__ import annotations

import re
from html import unescape

from test_web import bearer, login, web  # noqa: F401  (the fixture)

from copilot.desk.auth import add_user
from copilot.desk.tables import Escalation, SuggestionRow
from copilot.pipeline import customer_text
from copilot.schemas import VerifierResult
from copilot.web.pages.escalations import _reference_draft

WITH_DRAFT = "孕妇布洛芬混悬液用法用量"  # escalated (pregnancy); the label answers the dose
WITHOUT_DRAFT = "我爸刚才吃了一整板降压药 现在叫不醒"  # an emergency: nothing to draft from


def _case(client, conv, text) -> int:
    r = client.post(
        f"/v1/conversations/{conv}/messages", headers=bearer(client, "agent"), json={"text": text}
    )
    assert r.status_code == 200, r.text
    assert r.json()["escalation"] is not None, r.json()
    return r.json()["escalation"]["id"]


def _data_draft(html: str) -> str:
    return unescape(re.search(r'id="use-reference-draft" data-draft="([^"]*)"', html).group(1))


def test_the_reference_draft_fills_the_answer_without_markers_and_lists_its_sources(web):  # noqa: F811
    esc_id = _case(web, "rd1", WITH_DRAFT)
    token = login(web, "ph")
    web.post(f"/escalations/{esc_id}/claim", data={"csrf_token": token})  # the box comes with it
    page = web.get(f"/escalations/{esc_id}")
    assert page.status_code == 200
    suggestion, draft = page.context["suggestion"], page.context["reference_draft"]
    assert suggestion.kind == "holding" and "[1]" in suggestion.draft
    assert draft == customer_text(suggestion.draft)
    assert not re.search(r"\[\d+\]", draft) and "用前充分摇匀" in draft
    assert "\n" in draft  # the lines of the draft are kept
    assert _data_draft(page.text) == draft  # what the button puts in the box
    assert "使用参考草稿</button>" in page.text and 'id="no-reference-draft"' not in page.text
    assert page.text.count('id="close-note-card"') == 1  # claimed, not an emergency
    sources = re.search(r'<ul[^>]*id="reference-sources".*?</ul>', page.text, re.S).group(0)
    for c in suggestion.citations:
        assert f'href="#cite-{c.n}"' in sources and f"[{c.n}] {c.title} · {c.section}" in sources
        assert f'id="cite-{c.n}"' in page.text  # each number opens its source below
    # the box starts empty: the pharmacist chooses to start from the draft
    assert re.search(r'<textarea[^>]*id="answer-text"[^>]*></textarea>', page.text)

    # the answer is checked on send as any answer is: the draft plus a promise is refused
    refused = web.post(
        f"/escalations/{esc_id}/answer", data={"csrf_token": token, "text": draft + "\n保证治好"}
    )
    assert "答复核查未通过" in refused.text
    sent = web.post(f"/escalations/{esc_id}/answer", data={"csrf_token": token, "text": draft})
    assert "答复已发送到对话" in sent.text
    messages = web.get("/v1/conversations/rd1/messages", headers=bearer(web, "ph")).json()
    assert messages[-1]["role"] == "pharmacist" and messages[-1]["text"] == draft
    # answered: no answer box, no draft to use, no closing without an answer
    answered = web.get(f"/escalations/{esc_id}").text
    assert 'id="use-reference-draft"' not in answered and 'id="close-note-card"' not in answered


def test_an_emergency_gets_the_emergency_script_not_a_label_passage(web):  # noqa: F811
    esc_id = _case(web, "rd2", WITHOUT_DRAFT)
    token = login(web, "ph")
    web.post(f"/escalations/{esc_id}/claim", data={"csrf_token": token})
    page = web.get(f"/escalations/{esc_id}")
    draft = page.context["reference_draft"]
    assert page.context["emergency_script"] is True
    assert "120" in draft and "急诊" in draft and "药盒" in draft
    assert not re.search(r"一次\s*\d|\[\d+\]", draft)  # no dose, no source marker
    assert "紧急情况答复模板" in page.text and _data_draft(page.text) == draft
    assert 'id="reference-sources"' not in page.text
    # the script is checked on send like any answer, and goes through
    sent = web.post(f"/escalations/{esc_id}/answer", data={"csrf_token": token, "text": draft})
    assert "答复已发送到对话" in sent.text


def test_a_case_without_a_draft_says_so(web):  # noqa: F811
    esc_id = _case(web, "rd4", WITHOUT_DRAFT)
    token = login(web, "ph")
    web.post(f"/escalations/{esc_id}/claim", data={"csrf_token": token})
    page = web.get(f"/escalations/{esc_id}")
    suggestion = page.context["suggestion"]
    # the same case were it not an emergency: no draft, and the page says why
    verdict = suggestion.verdict
    calmer = suggestion.model_copy(
        update={
            "verdict": verdict.model_copy(
                update={"escalation": verdict.escalation.model_copy(update={"tier": "priority"})}
            )
        }
    )
    assert calmer.draft is None
    assert _reference_draft(calmer) == {
        "reference_draft": None,
        "no_draft_reason": "说明书中没有找到能直接回答这个问题的内容",
    }
    # a draft the verifier stopped is not offered either, and the page says why
    suggestion = calmer
    stopped = suggestion.model_copy(
        update={"verification": VerifierResult(outcome="block", findings=[], cleaned_text="")}
    )
    assert _reference_draft(stopped) == {
        "reference_draft": None,
        "no_draft_reason": "预拟的草稿未通过安全核查，已不采用",
    }


def test_sources_show_label_tables_as_tables_with_every_cell_escaped(web):  # noqa: F811
    esc_id = _case(web, "rd3", WITH_DRAFT)
    token = login(web, "ph")
    web.post(f"/escalations/{esc_id}/claim", data={"csrf_token": token})
    page = web.get(f"/escalations/{esc_id}")
    dose = next(c for c in page.context["suggestion"].citations if c.section == "用法用量")
    assert "|---|" in dose.text  # the label's Markdown table …
    source = re.search(rf'<details class="cite" id="cite-{dose.n}">.*?</details>', page.text, re.S)
    html = source.group(0)
    assert '<table class="label-table">' in html  # … is a table on the page
    assert "<th>年龄（岁）</th>" in html and "<td>1～3</td>" in html
    assert "|---" not in html and "| 1～3 |" not in html

    # what a label or a draft says is text, never markup: in a cell, in the draft, in its button
    with web.app.state.db.session() as s:
        esc = s.get(Escalation, esc_id)
        row = s.get(SuggestionRow, esc.suggestion_id)
        payload = dict(row.payload)
        payload["draft"] = 'x"><script>alert(1)</script> [1]'
        payload["citations"] = [
            c | {"text": "| <script>x</script> | b |\n|---|---|\n| 1 | <b>2</b> |"}
            for c in payload["citations"]
        ]
        row.payload = payload
    page = web.get(f"/escalations/{esc_id}").text
    assert "<script>" not in page.split("</main>")[0]
    assert "&lt;script&gt;x&lt;/script&gt;</th>" in page and "<td>&lt;b&gt;2&lt;/b&gt;</td>" in page
    assert _data_draft(page) == 'x"><script>alert(1)</script>'


def _actions(html: str) -> str:
    """The 处理 card of a case page: what this user may do with the case."""
    return re.search(
        r"<h2>处理</h2>.*?(?=<div class=\"card\" id=\"case-steps\">)", html, re.S
    ).group(0)


def test_the_case_page_offers_each_user_only_what_they_may_do(web):  # noqa: F811
    esc_id = _case(web, "rd4", WITH_DRAFT)
    with web.app.state.db.session() as s:
        add_user(s, username="ph2", role="pharmacist", password="ph2-password-1")

    # an agent reads the case: no claim, answer, close or follow-up controls (each would be a 403)
    login(web, "agent")
    card = _actions(web.get(f"/escalations/{esc_id}").text)
    assert 'id="pharmacist-only"' in card and "等待认领" in card
    for action in ("claim", "answer", "close", "follow_up"):
        assert f"/escalations/{esc_id}/{action}" not in card

    # a pharmacist on an open case: claim first, then the answer box
    token = login(web, "ph")
    card = _actions(web.get(f"/escalations/{esc_id}").text)
    assert f"/escalations/{esc_id}/claim" in card and 'id="claim-first"' in card
    assert f"/escalations/{esc_id}/answer" not in card
    web.post(f"/escalations/{esc_id}/claim", data={"csrf_token": token})
    card = _actions(web.get(f"/escalations/{esc_id}").text)
    assert f"/escalations/{esc_id}/answer" in card and f"/escalations/{esc_id}/claim" not in card

    # another pharmacist sees who holds it, and no box to answer in (it would be a 409)
    login(web, "ph2")
    card = _actions(web.get(f"/escalations/{esc_id}").text)
    assert 'id="claimed-by-other"' in card and "ph" in card
    assert (
        f"/escalations/{esc_id}/answer" not in card and f"/escalations/{esc_id}/claim" not in card
    )

    # the agent, once it is claimed, is told who is on it
    login(web, "agent")
    assert "处理中" in _actions(web.get(f"/escalations/{esc_id}").text)


def test_answering_and_correcting_are_a_licensed_pharmacists_own(web):  # noqa: F811
    """What reaches the customer as 执业药师 is sent by a pharmacist: an admin may close a case
    but not claim, answer or correct it (server and page)."""
    esc_id = _case(web, "rd5", WITH_DRAFT)
    boss = bearer(web, "boss")
    for action, body in (("claim", None), ("answer", {"text": "请咨询医生"})):
        r = web.post(f"/v1/escalations/{esc_id}/{action}", headers=boss, json=body)
        assert r.status_code == 403 and "执业药师" in r.json()["detail"], action
    ph = bearer(web, "ph")
    web.post(f"/v1/escalations/{esc_id}/claim", headers=ph)
    web.post(f"/v1/escalations/{esc_id}/answer", headers=ph, json={"text": "请咨询产科医生。"})
    corrected = web.post(
        f"/v1/escalations/{esc_id}/correct", headers=boss, json={"text": "改为…", "version": 1}
    )
    assert corrected.status_code == 403
    login(web, "boss")
    page = web.get(f"/escalations/{esc_id}").text
    assert 'id="correct-card"' not in page and f"/escalations/{esc_id}/close" in page


def test_a_pharmacists_answer_reaches_the_customer_without_source_markers(web):  # noqa: F811
    esc_id = _case(web, "rd6", WITH_DRAFT)
    ph = bearer(web, "ph")
    web.post(f"/v1/escalations/{esc_id}/claim", headers=ph)
    r = web.post(
        f"/v1/escalations/{esc_id}/answer",
        headers=ph,
        json={"text": "孕期请先咨询产科医生[1]，用前充分摇匀[2]。"},
    )
    assert r.status_code == 200, r.text
    sent = web.get("/v1/conversations/rd6/messages", headers=ph).json()[-1]
    assert sent["role"] == "pharmacist" and sent["text"] == "孕期请先咨询产科医生，用前充分摇匀。"


def test_the_case_page_shows_pregnancy_and_the_cart_from_the_message(web):  # noqa: F811
    r = web.post(
        "/v1/conversations/rd7/messages",
        headers=bearer(web, "agent"),
        json={
            "text": "这个我能吃吗",
            "profile": {"pregnant": True, "age_years": 29},
            "cart": [{"product": "amoxicillin-capsule", "quantity": 2}],
        },
    )
    esc_id = r.json()["escalation"]["id"]
    login(web, "ph")
    context = re.search(
        r'id="case-context">(.*?)</p>', web.get(f"/escalations/{esc_id}").text, re.S
    )
    assert "孕期" in context.group(1) and "29岁" in context.group(1)
    assert "阿莫西林胶囊" in context.group(1) and "×2" in context.group(1)
