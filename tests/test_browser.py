"""The flows people use, in headless Chromium from Debian's packages driven by Playwright
(executable path set; no browser download). Screenshots go to test-artifacts/."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import httpx
import pytest

from copilot.bench.serverproc import ServerProcess
from copilot.desk.auth import add_user
from copilot.desk.db import Database, database_url

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent.parent / "test-artifacts"
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("COPILOT_REQUIRE_BROWSER"),
    reason="Debian chromium is not installed (make test installs it)",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory, sample_settings):
    home = tmp_path_factory.mktemp("browser-home")
    shutil.copytree(sample_settings.index_dir, home / "index")
    settings = sample_settings.model_copy(update={"home": home})
    tokens = {}
    with Database(database_url(settings)).session() as s:
        for name, role, display in (("agent", "agent", "客服小王"), ("ph", "pharmacist", "药师李")):
            _, _, tokens[name] = add_user(
                s, username=name, role=role, display_name=display, password=f"{name}-password-1"
            )
    live = ServerProcess(home).start()
    live.tokens = tokens
    yield live
    live.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


def new_page(browser, server, name):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.goto(server.url + "/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", f"{name}-password-1")
    page.click("button[type=submit]")
    page.wait_for_url(server.url + ("/escalations" if name == "ph" else "/"))
    return page


def wait_until(check, timeout: float) -> None:
    """Poll `check` (a page.evaluate, say) until true; page.wait_for_function would eval()."""
    import time

    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def customer_says(server, conversation, text):
    r = httpx.post(
        f"{server.url}/v1/conversations/{conversation}/messages",
        timeout=30,
        headers={"Authorization": f"Bearer {server.tokens['agent']}"},
        json={"text": text},
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_agent_sees_cited_draft_opens_citation_edits_and_sends(browser, server):
    page = new_page(browser, server, "agent")
    page.screenshot(path=str(ARTIFACTS / "01-console-empty.png"))
    customer_says(server, "b1", "芬必得一天最多吃几次")
    page.goto(server.url + "/c/b1")
    panel = page.locator("#suggestion-panel")
    assert "建议回复" in panel.inner_text()
    draft = page.locator("textarea[name=final_text]")
    assert "[1]" in draft.input_value()
    cite = page.locator("#cite-1")
    cite.locator("summary").click()
    assert cite.locator(".text").is_visible()
    assert "用法用量" in cite.inner_text()
    page.screenshot(path=str(ARTIFACTS / "02-console-draft.png"))
    draft.fill(draft.input_value() + "\n祝您早日康复！")
    page.click("button[value=edit]")
    page.wait_for_selector(".flash")
    assert "已修改并发送" in page.locator(".flash").inner_text()
    assert "祝您早日康复" in page.locator("#messages").inner_text()
    page.screenshot(path=str(ARTIFACTS / "03-console-sent.png"))


def test_a_shared_or_unknown_name_makes_the_agent_ask_which_product(browser, server):
    page = new_page(browser, server, "agent")
    customer_says(server, "b6", "布洛芬一天最多吃几次")
    page.goto(server.url + "/c/b6")
    why = page.locator("#clarification")
    assert "布洛芬缓释胶囊" in why.inner_text() and "布洛芬混悬液" in why.inner_text()
    reply = page.locator("textarea[name=final_text]").input_value()
    assert "哪一种" in reply and "[1]" not in reply
    page.screenshot(path=str(ARTIFACTS / "10-console-ambiguous-name.png"))
    customer_says(server, "b7", "西乐葆一天吃几粒")
    page.goto(server.url + "/c/b7")
    assert "未能对应到本平台的任何说明书" in page.locator("#clarification").inner_text()
    assert "药盒" in page.locator("textarea[name=final_text]").input_value()
    page.screenshot(path=str(ARTIFACTS / "11-console-unknown-name.png"))


def test_unsafe_edit_is_stopped_before_sending(browser, server):
    page = new_page(browser, server, "agent")
    customer_says(server, "b2", "开瑞坦一天吃几片")
    page.goto(server.url + "/c/b2")
    draft = page.locator("textarea[name=final_text]")
    draft.fill("您好，开瑞坦一次吃3片，保证治好[1]。")
    page.click("button[value=edit]")
    warning = page.locator("#verify-warning")
    warning.wait_for(state="visible")
    assert "不能发送" in warning.inner_text()
    assert "保证治好" not in page.locator("#messages").inner_text()


def test_pregnancy_question_goes_to_pharmacist_who_answers(browser, server):
    customer_says(server, "b3", "我怀孕了能吃感冒灵吗")
    agent = new_page(browser, server, "agent")
    agent.goto(server.url + "/c/b3")
    panel = agent.locator("#suggestion-panel")
    assert "转执业药师" in panel.inner_text()
    assert "药师会在30分钟内回复您" in agent.locator("textarea[name=final_text]").input_value()
    agent.locator("textarea[name=final_text]").focus()
    agent.keyboard.press("Control+Enter")  # accept: the holding reply goes to the customer
    agent.wait_for_selector(".flash")
    assert "已发送" in agent.locator(".flash").inner_text()
    agent.goto(server.url + "/escalations")
    assert agent.locator("#queue tr[data-tier=priority]").count() >= 1
    agent.screenshot(path=str(ARTIFACTS / "04-queue.png"))

    ph = new_page(browser, server, "ph")
    ph.goto(server.url + "/escalations")
    ph.locator("#queue a").first.click()
    body = ph.locator("body").inner_text()
    assert "孕期、备孕或哺乳期用药" in body  # the rule by its Chinese topic
    for code in ("pregnancy-lactation", "consultation", "special_population", "年龄未知岁"):
        assert code not in body, code  # no internal codes on a Chinese page
    ph.click('button:has-text("认领")')
    ph.wait_for_selector(".flash")
    ph.fill(
        "textarea[name=text]",
        "您好，孕期感冒请先不要自行服用感冒灵，建议多休息、多饮水，如发热请及时就医。",
    )
    ph.screenshot(path=str(ARTIFACTS / "05-escalation.png"))
    ph.click('button:has-text("发送答复")')
    ph.wait_for_selector(".flash")
    agent.goto(server.url + "/c/b3")
    assert "孕期感冒请先不要自行服用感冒灵" in agent.locator("#messages").inner_text()
    agent.screenshot(path=str(ARTIFACTS / "06-conversation-answered.png"))


def test_agent_cannot_answer_an_escalation(browser, server):
    data = customer_says(server, "b4", "哺乳期能吃开瑞坦吗")
    esc_id = data["escalation"]["id"]
    agent = new_page(browser, server, "agent")
    agent.goto(f"{server.url}/escalations/{esc_id}")
    csrf = agent.locator("input[name=csrf_token]").first.get_attribute("value")
    response = agent.request.post(
        f"{server.url}/escalations/{esc_id}/answer",
        form={"csrf_token": csrf, "text": "可以吃"},
        headers={"accept": "text/html"},
    )
    assert response.status == 403


def test_knowledge_and_dashboard_pages(browser, server):
    ph = new_page(browser, server, "ph")
    ph.goto(server.url + "/kb?q=孕妇能吃布洛芬吗")
    assert "孕妇及哺乳期妇女用药" in ph.locator("body").inner_text()
    ph.screenshot(path=str(ARTIFACTS / "07-kb.png"))
    ph.goto(server.url + "/kb/ibuprofen-sr-capsule#用法用量")
    assert ph.locator("section#用法用量").is_visible()
    ph.goto(server.url + "/kb/ibuprofen-suspension#用法用量")
    table = ph.locator("section#用法用量 table.label-table")
    assert table.is_visible() and "年龄（岁）" in table.locator("th").first.inner_text()
    assert "|---" not in ph.locator("body").inner_text()
    table.scroll_into_view_if_needed()
    ph.screenshot(path=str(ARTIFACTS / "24-kb-label-table.png"))
    ph.goto(server.url + "/dashboard")
    assert ph.locator("svg.chart").count() >= 1
    ph.screenshot(path=str(ARTIFACTS / "08-dashboard.png"), full_page=True)


def test_after_the_pharmacist_answers_the_holding_reply_is_retired(browser, server):
    data = customer_says(server, "r6", "哺乳期可以吃氯雷他定吗")
    esc_id = data["escalation"]["id"]
    ph = {"Authorization": f"Bearer {server.tokens['ph']}"}
    assert httpx.post(f"{server.url}/v1/escalations/{esc_id}/claim", headers=ph).status_code == 200
    answered = httpx.post(
        f"{server.url}/v1/escalations/{esc_id}/answer",
        headers=ph,
        json={"text": "哺乳期请先不要服用氯雷他定，建议咨询医生后再决定。"},
        timeout=30,
    )
    assert answered.status_code == 200, answered.text
    agent = new_page(browser, server, "agent")
    agent.goto(server.url + "/c/r6")
    notice = agent.locator("#pharmacist-answered")
    assert "药师已答复顾客" in notice.inner_text() and "哺乳期请先不要服用" in notice.inner_text()
    assert agent.locator("textarea[name=final_text]").count() == 0  # nothing left to send
    agent.keyboard.press("Control+Enter")
    assert agent.locator(".flash").count() == 0
    agent.screenshot(path=str(ARTIFACTS / "12-holding-retired.png"))
    notice.locator('button:has-text("标记为已处理")').click()
    agent.locator(".flash", has_text="不计入采纳或拒绝").wait_for()
    assert "已标记为已处理" in agent.locator("#suggestion-done").inner_text()


def test_ctrl_enter_sends_only_from_the_draft_box(browser, server):
    customer_says(server, "r7", "氯雷他定一天吃几片")
    agent = new_page(browser, server, "agent")
    agent.goto(server.url + "/c/r7")
    agent.locator("input[name=reason]").focus()
    agent.keyboard.press("Control+Enter")  # from the reject-reason box: nothing is sent
    agent.keyboard.press("Enter")  # nor with a bare Enter while the reason is empty
    agent.wait_for_timeout(500)
    assert agent.locator(".flash").count() == 0
    assert agent.locator("textarea[name=final_text]").count() == 1
    agent.locator("textarea[name=final_text]").focus()
    agent.keyboard.press("Control+Enter")
    agent.wait_for_selector(".flash")
    assert "已发送" in agent.locator(".flash").inner_text()


def test_enter_in_the_reject_reason_box_rejects_and_never_sends(browser, server):
    """The browser's implicit submission would press the form's first button (采纳发送) and
    send the draft the agent was rejecting."""
    customer_says(server, "r7b", "氯雷他定一天吃几片")
    agent = new_page(browser, server, "agent")
    agent.goto(server.url + "/c/r7b")
    agent.locator("input[name=reason]").fill("答非所问")
    agent.keyboard.press("Enter")
    agent.wait_for_selector(".flash")
    assert "已发送" not in agent.locator(".flash").inner_text()
    assert agent.locator("#reply-form").count() == 1  # rejected: the agent's own reply next
    messages = httpx.get(
        f"{server.url}/v1/conversations/r7b/messages",
        timeout=30,
        headers={"Authorization": f"Bearer {server.tokens['agent']}"},
    ).json()
    assert [m["role"] for m in messages] == ["customer"], messages  # nothing was sent
    agent.screenshot(path=str(ARTIFACTS / "13b-enter-rejects.png"))


def test_pharmacist_files_an_adverse_reaction_report_from_the_case(browser, server):
    body = customer_says(server, "b-adr", "用了达克宁霜两天，涂的地方又红又肿还起了小水泡，好痒")
    esc_id = body["escalation"]["id"]
    ph = new_page(browser, server, "ph")
    ph.goto(f"{server.url}/escalations/{esc_id}")
    assert "疑似不良反应" in ph.locator("#adr-card").inner_text()
    ph.click('#adr-card button:has-text("填写不良反应报告")')
    ph.wait_for_selector("#adr-form")
    assert "硝酸咪康唑乳膏" in ph.locator("input[name='drug-0-generic_name']").input_value()
    assert ph.locator("input[name='drug-0-route']").input_value() == "外用"
    assert "提交前必须填写" in ph.locator("#missing-required").inner_text()
    ph.screenshot(path=str(ARTIFACTS / "13-adr-prefilled.png"), full_page=True)
    ph.select_option("select[name=sex]", "女")
    ph.fill("input[name=event_name]", "接触性皮炎")
    ph.fill("input[name=onset_date]", "2026-11-28")
    ph.select_option("select[name=outcome]", "好转")
    ph.select_option("select[name=seriousness]", "general")
    ph.select_option("select[name=is_new]", "no")
    ph.select_option("select[name=causality]", "很可能")
    ph.fill("input[name='drug-0-batch_no']", "M20261001")
    ph.click('button:has-text("保存草稿")')
    ph.wait_for_selector(".flash")
    assert "已保存" in ph.locator(".flash").inner_text()
    assert ph.locator("#missing-required").count() == 0
    ph.click('button:has-text("提交报告")')
    ph.wait_for_selector(".flash")
    assert "已提交" in ph.locator(".flash").inner_text()
    ph.goto(server.url + "/adr")
    row = ph.locator("#adr-reports tr[data-status=submitted]")
    assert row.count() == 1 and "接触性皮炎" in row.inner_text()
    ph.screenshot(path=str(ARTIFACTS / "14-adr-list.png"), full_page=True)
    ph.goto(server.url + "/dashboard")
    assert "不良反应报告" in ph.locator("#adr-kpi").inner_text()


def test_new_escalations_and_customer_messages_show_up_live(browser, server):
    """The server pushes changes (server-sent events): the queue gains the new case, an
    untouched conversation shows the new message and its suggestion, a draft being edited is
    kept (a banner offers the refresh), and a new emergency notifies the pharmacist."""
    customer_says(server, "b-live", "布洛芬一天最多吃几次")
    ph = new_page(browser, server, "ph")
    ph.context.grant_permissions(["notifications"])
    # record desktop notifications (the browser's own API, wrapped to count them)
    ph.add_init_script(
        "window.__notes = []; const N = window.Notification;"
        "window.Notification = function (t, o) { window.__notes.push(o.body); return new N(t, o); };"
        "window.Notification.permission = 'granted';"
        "window.Notification.requestPermission = () => Promise.resolve('granted');"
    )
    ph.goto(server.url + "/escalations")
    # locators and plain evaluate only: wait_for_function evaluates its string with eval(),
    # which the pages' CSP refuses (script-src 'self')
    ph.locator("body[data-live=events]").wait_for()
    ph.click("#alerts-on")
    editing = new_page(browser, server, "agent")
    editing.goto(server.url + "/c/b-live")
    editing.fill("textarea[name=final_text]", "正在编辑的草稿")
    watching = new_page(browser, server, "agent")
    watching.goto(server.url + "/c/b-live")
    before = watching.locator("#messages .msg").count()
    ph.wait_for_timeout(1500)  # the streams have sent their first state
    body = customer_says(server, "b-live2", "我爸刚才吃了一整板降压药 现在叫不醒")
    esc_id = body["escalation"]["id"]
    assert body["escalation"]["tier"] == "emergency"
    ph.wait_for_selector(f"#queue a[href='/escalations/{esc_id}']", timeout=15000)
    text = ph.locator("#live").inner_text()
    assert f"新的转药师工单 #{esc_id}（紧急）" in text
    assert "【" in ph.title()
    wait_until(lambda: ph.evaluate("window.__notes.length") > 0, timeout=5)
    assert f"#{esc_id}" in ph.evaluate("window.__notes[0]")
    ph.screenshot(path=str(ARTIFACTS / "15-live-new-escalation.png"))
    # the conversation list of an agent page gains the new conversation without a reload
    watching.wait_for_selector("#conv-list a[href^='/c/b-live2']", timeout=15000)
    customer_says(server, "b-live", "那饭前吃还是饭后吃")
    watching.locator("#messages .msg").nth(before).wait_for(timeout=15000)
    assert "那饭前吃还是饭后吃" in watching.locator("#messages").inner_text()
    watching.wait_for_selector("#act-form textarea", timeout=15000)
    watching.screenshot(path=str(ARTIFACTS / "16-live-conversation.png"))
    # (the banner may already show the new case: wait for the message's own line)
    editing.locator("#live", has_text="顾客有新消息").wait_for(timeout=15000)
    editing.locator("#messages", has_text="那饭前吃还是饭后吃").wait_for(timeout=15000)
    assert editing.locator("textarea[name=final_text]").input_value() == "正在编辑的草稿"
    # agents see how many customer messages wait for a reply, in the banner and the tab title
    editing.locator("#live", has_text="条顾客消息待回复").wait_for(timeout=15000)
    assert re.search(r"【\d+条待回复】", editing.title()), editing.title()


def test_after_rejecting_the_agent_sends_their_own_reply_with_ctrl_enter(browser, server):
    customer_says(server, "r8", "氯雷他定一天吃几片")
    agent = new_page(browser, server, "agent")
    agent.goto(server.url + "/c/r8")
    assert agent.locator("#reply-form").count() == 0  # only once the draft is rejected
    agent.fill("input[name=reason]", "草稿没有回答顾客的问题")
    agent.click("button[value=reject]")
    agent.wait_for_selector(".flash")
    box = agent.locator("#reply-form textarea[name=text]")
    assert box.is_visible()
    agent.screenshot(path=str(ARTIFACTS / "17-own-reply-box.png"))
    box.fill("您好，开瑞坦保证治好过敏。")
    box.press("Control+Enter")  # from the reply box: checked first, and this one is refused
    agent.locator("#reply-warning").wait_for(state="visible")
    assert "不能发送" in agent.locator("#reply-warning").inner_text()
    agent.screenshot(path=str(ARTIFACTS / "18-own-reply-refused.png"))
    box.fill("您好，请问是成人服用还是儿童服用？")
    box.press("Control+Enter")
    agent.locator(".flash", has_text="已发送您的回复").wait_for()
    assert "请问是成人服用还是儿童服用" in agent.locator("#messages").inner_text()
    assert agent.locator("#reply-form").count() == 0
    assert "已自行回复" in agent.locator("#suggestion-done").inner_text()
    agent.screenshot(path=str(ARTIFACTS / "19-own-reply-sent.png"))


def test_an_earlier_pending_suggestion_is_opened_from_the_list_and_sent(browser, server):
    first = customer_says(server, "p8", "开瑞坦一天吃几片")["suggestion"]["id"]
    customer_says(server, "p8", "氯雷他定饭前吃还是饭后吃")
    agent = new_page(browser, server, "agent")
    agent.goto(server.url + "/c/p8")
    listed = agent.locator("#pending-list")
    assert "待处理建议" in listed.inner_text() and "开瑞坦一天吃几片" in listed.inner_text()
    agent.screenshot(path=str(ARTIFACTS / "20-pending-list.png"))
    listed.locator(f"a[data-suggestion='{first}']").click()
    agent.locator(f"#suggestion-panel[data-suggestion='{first}']").wait_for()
    assert "开瑞坦一天吃几片" in agent.locator("#earlier-suggestion").inner_text()
    agent.screenshot(path=str(ARTIFACTS / "21-earlier-suggestion-open.png"))
    agent.locator("textarea[name=final_text]").press("Control+Enter")
    agent.locator(".flash", has_text="已发送").wait_for()
    assert agent.locator("#pending-list").count() == 0  # the newest is in the panel again
    assert agent.locator("#earlier-suggestion").count() == 0


def test_pharmacist_corrects_a_sent_answer_and_the_agent_sees_it(browser, server):
    esc_id = customer_says(server, "x9", "哺乳期可以吃氯雷他定吗")["escalation"]["id"]
    ph_auth = {"Authorization": f"Bearer {server.tokens['ph']}"}
    httpx.post(f"{server.url}/v1/escalations/{esc_id}/claim", headers=ph_auth)
    answered = httpx.post(
        f"{server.url}/v1/escalations/{esc_id}/answer",
        headers=ph_auth,
        json={"text": "哺乳期可以放心服用氯雷他定。"},
        timeout=30,
    )
    assert answered.status_code == 200, answered.text
    ph = new_page(browser, server, "ph")
    ph.goto(f"{server.url}/escalations/{esc_id}")
    ph.click("#correct-card summary")
    ph.fill("#correct-text", "哺乳期请先不要服用氯雷他定，建议咨询医生后再决定。")
    ph.screenshot(path=str(ARTIFACTS / "22-correct-answer.png"))
    ph.click('#correct-form button:has-text("发送更正")')
    ph.locator(".flash", has_text="更正已发送到对话").wait_for()
    assert "第2版" in ph.locator("body").inner_text()
    assert "第1版原文：哺乳期可以放心服用氯雷他定" in ph.locator("#case-steps").inner_text()
    agent = new_page(browser, server, "agent")
    agent.goto(server.url + "/c/x9")
    fixed = agent.locator("#messages .msg.correction")
    assert (
        "【更正】哺乳期请先不要服用氯雷他定" in fixed.inner_text() and "更正" in fixed.inner_text()
    )
    agent.screenshot(path=str(ARTIFACTS / "23-agent-sees-correction.png"))


def test_pages_load_without_missing_files(browser, server):
    missing = []
    page = browser.new_context().new_page()
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    page.goto(server.url + "/login")
    assert page.locator("link[rel=icon]").get_attribute("href") == "/favicon.ico"
    icon = page.request.get(server.url + "/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/vnd.microsoft.icon"
    page.wait_for_timeout(500)
    assert missing == []


def test_pharmacist_starts_the_answer_from_the_reference_draft(browser, server):
    esc_id = customer_says(server, "b-draft", "孕妇布洛芬混悬液用法用量")["escalation"]["id"]
    ph = new_page(browser, server, "ph")
    ph.goto(f"{server.url}/escalations/{esc_id}")
    ph.click('button:has-text("认领")')
    ph.locator(".flash", has_text="已认领").wait_for()
    box = ph.locator("#answer-text")
    assert box.input_value() == ""
    assert "[1]" in ph.locator("#reference-draft-text").inner_text()
    assert "[1] 布洛芬混悬液" in ph.locator("#reference-sources").inner_text()
    ph.click('button:has-text("使用参考草稿")')
    filled = box.input_value()
    assert (
        "用前充分摇匀" in filled and "\n" in filled and "[1]" not in filled and "[2]" not in filled
    )
    ph.locator("#reference-sources a").first.click()  # the number opens its source below
    assert ph.locator("#cite-1 .text").is_visible()
    assert "年龄（岁）" in ph.locator("#cite-1 table.label-table th").first.inner_text()
    assert "|---" not in ph.locator("#cite-1").inner_text()
    box.scroll_into_view_if_needed()
    ph.screenshot(path=str(ARTIFACTS / "25-case-reference-draft.png"), full_page=True)
    box.fill(filled + "\n孕期请勿自行服用，请先咨询医生。")
    ph.click('button:has-text("发送答复")')
    ph.locator(".flash", has_text="答复已发送到对话").wait_for()
    assert "孕期请勿自行服用" in ph.locator("#current-answer").inner_text()
    assert "[1]" not in ph.locator("#current-answer").inner_text()


def test_a_case_that_needs_no_answer_is_closed_with_a_note(browser, server):
    esc_id = customer_says(server, "b-thanks", "我怀孕了 能吃开瑞坦吗")["escalation"]["id"]
    ph = new_page(browser, server, "ph")
    ph.goto(f"{server.url}/escalations/{esc_id}")
    ph.click('button:has-text("认领")')
    ph.locator(".flash", has_text="已认领").wait_for()
    ph.click("#close-note-card summary")
    ph.fill('#close-note-card input[name="text"]', "顾客已在医院咨询，回来仅致谢，无需答复")
    ph.screenshot(path=str(ARTIFACTS / "26-case-close-with-note.png"), full_page=True)
    ph.click('#close-note-card button:has-text("关闭工单")')
    ph.locator(".flash", has_text="已关闭（未答复，原因已记录）").wait_for()
    assert "未答复即关闭：顾客已在医院咨询" in ph.content()


def test_a_blocked_pharmacist_answer_keeps_what_was_typed(browser, server):
    """The check blocks the answer (a promise of cure) and the page reloads: the text is back in
    the box, so the pharmacist fixes it or overrides with a reason instead of retyping it."""
    esc_id = customer_says(server, "b-keep", "孕妇能吃开瑞坦吗")["escalation"]["id"]
    ph = new_page(browser, server, "ph")
    ph.goto(f"{server.url}/escalations/{esc_id}")
    ph.click('button:has-text("认领")')
    ph.locator(".flash", has_text="已认领").wait_for()
    typed = "您好，孕期请先咨询产科医生，开瑞坦保证治好过敏。"
    ph.locator("#answer-text").fill(typed)
    ph.click('button:has-text("发送答复")')
    ph.locator(".flash", has_text="核查未通过").wait_for()
    assert ph.locator("#answer-text").input_value() == typed
    assert "甲类非处方药" in ph.locator("body").inner_text()  # the category, not its code
    assert "OTC-" not in ph.locator("body").inner_text()
    ph.screenshot(path=str(ARTIFACTS / "26-blocked-answer-kept.png"))
    ph.locator("#answer-text").fill("您好，孕期请先咨询产科医生，再决定是否使用开瑞坦。")
    ph.click('button:has-text("发送答复")')
    ph.locator(".flash", has_text="答复已发送到对话").wait_for()
    assert "产科医生" in ph.locator("#current-answer").inner_text()


def test_the_queue_waiting_time_ticks_with_the_countdown(browser, server):
    """已等待 follows the same clock as 剩余 (it was fixed at page load while the countdown ran)."""
    customer_says(server, "q-wait", "哺乳期能吃布洛芬吗")
    ph = new_page(browser, server, "ph")
    ph.goto(server.url + "/escalations")
    waited = ph.locator("[data-since]").first
    assert waited.inner_text().endswith("分钟")
    # the case opened 75 minutes ago, as far as the page's clock is concerned
    ph.evaluate(
        "el => { el.dataset.since = new Date(Date.now() - 75 * 60000).toISOString(); }",
        waited.element_handle(),
    )
    ph.wait_for_timeout(1200)
    assert waited.inner_text() == "1小时15分"


def test_a_record_saved_by_someone_else_in_between_keeps_what_this_user_typed(browser, server):
    """Two people edit one customer's record from the same version: the second save is refused
    (409), and the reloaded form shows the newer record with the second editor's changes put
    back on top, marked; a field both changed shows what the other saved. Saving again keeps
    both edits."""
    ref = "会员R409"
    agent = new_page(browser, server, "agent")
    ph = new_page(browser, server, "ph")
    for page in (agent, ph):
        page.goto(server.url + f"/customers/{ref}")
    agent.fill("#record-form input[name=allergies]", "青霉素")
    agent.fill("#record-form input[name=conditions]", "高血压")
    agent.click('#record-form button:has-text("保存档案")')
    agent.locator(".flash", has_text="用药档案已保存").wait_for()

    # the pharmacist's form still holds the empty record: they add a medicine and a condition
    ph.fill("#record-form input[name=current_medicines]", "华法林钠片")
    ph.fill("#record-form input[name=conditions]", "房颤")
    ph.click('#record-form button:has-text("保存档案")')
    flash = ph.locator(".flash").inner_text()
    assert "档案未保存" in flash and "客服小王" in flash and "标黄" in flash
    form = ph.locator("#record-form")
    assert form.locator("input[name=allergies]").input_value() == "青霉素"  # the other's edit
    assert form.locator("input[name=current_medicines]").input_value() == "华法林钠片"  # mine
    assert form.locator("input[name=conditions]").input_value() == "房颤"  # mine, over theirs
    assert "kept" in (form.locator("input[name=current_medicines]").get_attribute("class") or "")
    assert "同事保存的是：高血压" in form.inner_text()  # both changed it: theirs is shown
    assert "kept" not in (form.locator("input[name=allergies]").get_attribute("class") or "")
    ph.screenshot(path=str(ARTIFACTS / "record-conflict.png"), full_page=True)

    # the pharmacist merges by eye and saves: both edits are in the record
    form.locator("input[name=conditions]").fill("房颤，高血压")
    ph.click('#record-form button:has-text("保存档案")')
    ph.locator(".flash", has_text="用药档案已保存").wait_for()
    record = httpx.get(
        f"{server.url}/v1/customers/{ref}/record",
        headers={"Authorization": f"Bearer {server.tokens['ph']}"},
    ).json()
    assert record["allergies"] == ["青霉素"] and record["current_medicines"] == ["华法林钠片"]
    assert record["conditions"] == ["房颤", "高血压"]
    # a saved form comes back without marks
    assert ph.locator("#record-form .kept").count() == 0


def test_an_adr_report_saved_by_someone_else_in_between_keeps_what_this_user_typed(browser, server):
    """Two pharmacist tabs on one report: the second save is refused (409) and the reloaded
    report shows the newer version with this tab's changes put back and marked."""
    data = customer_says(server, "adr-two", "吃了布洛芬缓释胶囊以后身上起了好多红疹子 很痒")
    esc_id = data["escalation"]["id"]
    ph = {"Authorization": f"Bearer {server.tokens['ph']}"}
    httpx.post(f"{server.url}/v1/escalations/{esc_id}/claim", headers=ph)
    report = httpx.post(f"{server.url}/v1/escalations/{esc_id}/adr", headers=ph).json()
    first, second = new_page(browser, server, "ph"), new_page(browser, server, "ph")
    for page in (first, second):
        page.goto(f"{server.url}/adr/{report['id']}")
    first.fill("#adr-form input[name=weight_kg]", "55")
    first.click('#adr-form button:has-text("保存草稿")')
    first.locator(".flash", has_text="已保存").wait_for()
    second.fill("#adr-form input[name=disease]", "荨麻疹")
    second.click('#adr-form button:has-text("保存草稿")')
    flash = second.locator(".flash").inner_text()
    assert "已被他人修改" in flash and "标黄" in flash
    form = second.locator("#adr-form")
    assert form.locator("input[name=weight_kg]").input_value() == "55"  # the other tab's
    assert form.locator("input[name=disease]").input_value() == "荨麻疹"  # this tab's, kept
    assert "kept" in (form.locator("input[name=disease]").get_attribute("class") or "")
    second.screenshot(path=str(ARTIFACTS / "adr-conflict.png"), full_page=True)
    second.click('#adr-form button:has-text("保存草稿")')
    second.locator(".flash", has_text="已保存").wait_for()


def test_rejecting_an_edited_draft_carries_the_edit_into_the_own_reply(browser, server):
    customer_says(server, "r9", "氯雷他定一次吃几片")
    agent = new_page(browser, server, "agent")
    agent.goto(server.url + "/c/r9")
    agent.fill("textarea[name=final_text]", "您好，请问是给成人还是孩子用？我按说明书帮您查。")
    agent.fill("input[name=reason]", "先问清楚是谁用")
    agent.click("button[value=reject]")
    agent.wait_for_selector(".flash")
    box = agent.locator("#reply-form textarea[name=text]")
    assert box.input_value() == "您好，请问是给成人还是孩子用？我按说明书帮您查。"
    # an untouched draft rejected: the own-reply box starts empty
    customer_says(server, "r10", "氯雷他定一次吃几片")
    agent.goto(server.url + "/c/r10")
    agent.fill("input[name=reason]", "答非所问")
    agent.click("button[value=reject]")
    agent.wait_for_selector(".flash")
    assert agent.locator("#reply-form textarea[name=text]").input_value() == ""


def test_a_case_page_follows_a_claim_made_elsewhere_without_reload(browser, server):
    data = customer_says(server, "live-case", "哺乳期能用达克宁吗")
    esc_id = data["escalation"]["id"]
    ph = new_page(browser, server, "ph")
    ph.goto(f"{server.url}/escalations/{esc_id}")
    assert "待认领" in ph.locator("#case-head").inner_text()
    assert ph.locator("#case-actions button:has-text('认领')").count() == 1
    # claimed from another tab (the API): the page shows it without a reload
    auth = {"Authorization": f"Bearer {server.tokens['ph']}"}
    assert (
        httpx.post(f"{server.url}/v1/escalations/{esc_id}/claim", headers=auth).status_code == 200
    )
    ph.locator("#case-head", has_text="已认领").wait_for(timeout=15000)
    ph.locator("#case-actions #answer-text").wait_for(timeout=15000)
    assert ph.locator("#case-actions button:has-text('认领')").count() == 0
    ph.screenshot(path=str(ARTIFACTS / "case-live-claim.png"))


def test_the_agent_refers_a_case_and_raises_it_after_sending(browser, server):
    agent = new_page(browser, server, "agent")
    customer_says(server, "b-refer", "开瑞坦一天吃几片")
    agent.goto(server.url + "/c/b-refer")
    agent.locator("#refer summary").click()
    agent.select_option("#refer-form select[name=tier]", "priority")
    agent.fill("#refer-form input[name=note]", "顾客说正在化疗")
    agent.screenshot(path=str(ARTIFACTS / "30-refer-form.png"))
    agent.click("#refer-form button[type=submit]")
    agent.wait_for_selector(".flash")
    assert "已转药师" in agent.locator(".flash").inner_text()
    assert "暂缓回复" in agent.locator("#suggestion-panel").inner_text()
    agent.click("button[value=accept]")
    agent.wait_for_selector(".flash")
    # after sending, the case can still be raised; what was sent stays
    agent.locator("#refer summary").click()
    agent.select_option("#refer-form select[name=tier]", "emergency")
    agent.fill("#refer-form input[name=note]", "顾客又说发烧38.5")
    agent.click("#refer-form button[type=submit]")
    agent.wait_for_selector(".flash")
    flash = agent.locator(".flash").inner_text()
    assert "紧急" in flash and "120" in flash
    agent.screenshot(path=str(ARTIFACTS / "31-refer-raised.png"), full_page=True)
    customer_says(server, "b-refer", "刚又量了一下 38度7")
    ph = new_page(browser, server, "ph")
    ph.goto(server.url + "/escalations")
    queue = ph.locator("#queue").inner_text()
    assert "顾客说正在化疗" in queue and "顾客又来信" in queue and "38度7" in queue
    ph.screenshot(path=str(ARTIFACTS / "32-queue-referral-reason.png"))
