"""Admin and QA views in headless Chromium (Debian's, through Playwright; no browser
download): deleting a customer's personal data from the customer page, and the dashboard's
figures and charts on a constructed day. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from test_browser import ARTIFACTS, CHROMIUM, browser, pytestmark  # noqa: F401  (fixtures)

from copilot.bench.serverproc import ServerProcess
from copilot.desk.auth import add_user
from copilot.desk.db import Database, database_url
from copilot.desk.tables import (
    AgentAction,
    Conversation,
    Escalation,
    Message,
    SuggestionRow,
    User,
)

PASSWORD = "{}-password-1"
LONG_REASON = "草稿没有回答顾客问的儿童剂量问题，引用的是成人用法用量，需要药师重新核对"


@pytest.fixture(scope="module")
def server(tmp_path_factory, sample_settings):
    home = tmp_path_factory.mktemp("admin-browser-home")
    shutil.copytree(sample_settings.index_dir, home / "index")
    settings = sample_settings.model_copy(update={"home": home})
    db = Database(database_url(settings))
    tokens = {}
    with db.session() as s:
        for name, role, display in (
            ("agent", "agent", "客服小王"),
            ("ph", "pharmacist", "药师李"),
            ("boss", "admin", "管理员周"),
        ):
            _, _, tokens[name] = add_user(
                s, username=name, role=role, display_name=display, password=PASSWORD.format(name)
            )
    live = ServerProcess(home).start()
    live.tokens = tokens
    live.db = db
    yield live
    live.stop()


def sign_in(browser, server, name):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.goto(server.url + "/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD.format(name))
    page.click("button[type=submit]")
    page.wait_for_selector("header a[href='/account']")
    return page


def say(server, conversation, text, **extra):
    r = httpx.post(
        f"{server.url}/v1/conversations/{conversation}/messages",
        timeout=30,
        headers={"Authorization": f"Bearer {server.tokens['agent']}"},
        json={"text": text, **extra},
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_an_admin_deletes_a_customers_personal_data_from_the_customer_page(browser, server):  # noqa: F811
    say(server, "del-1", "开瑞坦一天吃几片 我电话13812345678", customer_ref="会员D1")
    say(server, "del-2", "布洛芬一天最多吃几次", customer_ref="会员D1")
    r = httpx.put(
        f"{server.url}/v1/customers/会员D1/record",
        headers={"Authorization": f"Bearer {server.tokens['agent']}"},
        json={"version": 0, "record": {"allergies": ["青霉素"]}},
    )
    assert r.status_code == 200, r.text
    for name in ("agent", "ph"):
        page = sign_in(browser, server, name)
        page.goto(server.url + "/customers/会员D1")
        assert page.locator("#record").is_visible()
        assert page.locator("#erase-link").count() == 0  # no button for them
        page.context.close()
    admin = sign_in(browser, server, "boss")
    admin.goto(server.url + "/customers/会员D1")
    admin.screenshot(path=str(ARTIFACTS / "19-customer-admin.png"), full_page=True)
    admin.click("#erase-link")
    admin.wait_for_selector("#erase-preview")
    will = admin.locator("#erase-will")
    assert will.locator("tr[data-count=conversations] td").nth(1).inner_text() == "2"
    assert will.locator("tr[data-count=messages] td").nth(1).inner_text() == "2"
    assert will.locator("tr[data-count=records] td").nth(1).inner_text() == "1"
    kept = admin.locator("#erase-kept").inner_text()
    assert "审计日志" in kept and "不良反应报告" in kept
    admin.screenshot(path=str(ARTIFACTS / "20-erase-confirm.png"), full_page=True)
    # the wrong id: nothing is deleted and the page says why
    admin.fill("input[name=confirm]", "会员D")
    admin.fill("input[name=reason]", "顾客来电要求删除（工单 2026-118）")
    admin.click("#erase-form button[type=submit]")
    admin.wait_for_selector(".flash")
    assert "未删除" in admin.locator(".flash").inner_text()
    assert will.locator("tr[data-count=messages] td").nth(1).inner_text() == "2"
    admin.fill("input[name=confirm]", "会员D1")
    admin.fill("input[name=reason]", "顾客来电要求删除（工单 2026-118）")
    admin.click("#erase-form button[type=submit]")
    admin.wait_for_selector("#erase-result")
    result = admin.locator("#erase-result").inner_text()
    assert "已删除顾客 会员D1 的个人信息" in result and "管理员周" in result
    assert "工单 2026-118" in result
    done = admin.locator("#erase-done")
    assert done.locator("tr[data-count=messages] td").nth(1).inner_text() == "2"
    admin.screenshot(path=str(ARTIFACTS / "21-erase-done.png"), full_page=True)
    admin.goto(server.url + "/c/del-1")
    assert "13812345678" not in admin.locator("body").inner_text()
    admin.goto(server.url + "/customers/会员D1")
    assert "删除个人信息" in admin.locator("#record-changes").inner_text()
    assert admin.locator("#erase-link").count() == 0  # nothing left to delete


def _construct_day(server) -> None:
    """Relative to now: one case answered on time, one overdue and still open, a customer left
    waiting after a rejected draft (with a long reason), replies on time and late."""
    now = datetime.now(UTC)
    say(server, "dash-1", "对乙酰氨基酚片一天最多吃几片")
    say(server, "dash-2", "我怀孕了能吃感冒灵吗")
    with server.db.session() as s:
        agent = s.scalar(select(User).where(User.username == "agent"))
        s.add(Conversation(id="dash-3", created_at=now - timedelta(hours=3)))
        s.add(Conversation(id="dash-4", created_at=now - timedelta(hours=3)))
        s.flush()
        rows = []
        for conv, minutes_ago, drugs in (
            ("dash-3", 180, ["paracetamol-pseudoephedrine-dextromethorphan-tablet"]),
            ("dash-3", 120, ["contac-pseudoephedrine-chlorphenamine"]),
            ("dash-4", 90, ["paracetamol-pseudoephedrine-dextromethorphan-tablet"]),
        ):
            at = now - timedelta(minutes=minutes_ago)
            msg = Message(conversation_id=conv, role="customer", text="问题", created_at=at)
            s.add(msg)
            s.flush()
            row = SuggestionRow(
                id=f"dash-s{msg.id}",
                conversation_id=conv,
                message_id=msg.id,
                kind="draft",
                text="草稿",
                provider="extractive",
                decision="answer",
                intents=["dose_usage"],
                drugs=drugs,
                payload={},
                created_at=at,
            )
            s.add(row)
            rows.append((row, at))
        s.flush()  # the suggestions before what refers to them
        (first, t1), (_, t2), (third, t3) = rows
        # replied after 10 s (on time) and after 5 min (late)
        for when in (t1 + timedelta(seconds=10), t2 + timedelta(minutes=5)):
            s.add(Message(conversation_id="dash-3", role="agent", text="答复", created_at=when))
        s.add(
            AgentAction(
                suggestion_id=first.id, user_id=agent.id, action="accept", seconds_to_action=10
            )
        )
        # rejected within 4 s and nothing sent: the customer is left waiting
        s.add(
            AgentAction(
                suggestion_id=third.id,
                user_id=agent.id,
                action="reject",
                reason=LONG_REASON,
                seconds_to_action=4,
            )
        )
        # a case answered on time and one overdue and still open
        s.add(
            Escalation(
                conversation_id="dash-3",
                suggestion_id=first.id,
                tier="priority",
                tier_rank=1,
                reasons=[{"id": "pregnancy-lactation", "topic": "孕期、备孕或哺乳期用药"}],
                status="answered",
                sla_deadline=t1 + timedelta(minutes=30),
                created_at=t1,
                answered_at=t1 + timedelta(minutes=12),
            )
        )
        s.add(
            Escalation(
                conversation_id="dash-4",
                suggestion_id=third.id,
                tier="emergency",
                tier_rank=0,
                reasons=[
                    {"id": "duplicate-ingredient-taken", "topic": "可能重复过量服药"},
                    {"id": "analgesics-combined", "topic": "两种退热止痛药合用或交替使用"},
                ],
                status="open",
                sla_deadline=t3 + timedelta(minutes=15),
                created_at=t3,
            )
        )


# Every chart label and value inside its svg, every svg inside its card (in CSS pixels).
_CLIPPED = """() => {
  const out = [];
  for (const svg of document.querySelectorAll('svg.chart')) {
    const box = svg.viewBox.baseVal;
    for (const t of svg.querySelectorAll('text')) {
      const b = t.getBBox();
      const inside = b.x >= -0.5 && b.x + b.width <= box.width + 0.5
        && b.y >= -0.5 && b.y + b.height <= box.height + 0.5;
      if (!inside)
        out.push(t.textContent + ' @ ' + [b.x, b.width, box.width].map(Math.round).join('/'));
    }
    const s = svg.getBoundingClientRect(), c = svg.closest('.card').getBoundingClientRect();
    if (s.left < c.left || s.right > c.right) out.push('svg wider than its card');
  }
  return out;
}"""


def test_dashboard_figures_and_charts_on_a_constructed_day(browser, server):  # noqa: F811
    _construct_day(server)
    ph = sign_in(browser, server, "ph")
    ph.goto(server.url + "/dashboard")
    sla = ph.locator("#kpi-sla").inner_text()
    assert "超时未处理 1" in sla and "100.0%" not in sla, sla
    assert re.search(r"药师SLA达标\s*\d+\.\d%", sla), sla
    first = ph.locator("#kpi-first-response").inner_text()
    waiting = int(re.search(r"等待未回复 (\d+)", first).group(1))
    assert waiting >= 1 and "100.0%" not in first, first
    assert "超时回复 1" in first, first
    assert ph.locator("#kpi-sla.bad").count() == 1  # red while a case is overdue
    resolved = ph.locator("#kpi-resolution").inner_text()  # per case, not per agent action
    assert re.search(r"到期个案 \d+（药师工单 \d+ · 客服问答 \d+）· 未解决 [1-9]", resolved), (
        resolved
    )
    rules = ph.locator(".card", has_text="转药师：按规则").inner_text()
    assert "两种退热止痛药合用或交替使用" in rules and not re.search(r"[a-z]{4,}", rules), rules
    assert ph.locator("svg.chart").count() >= 4
    reasons = ph.locator(".card", has_text="拒绝原因").locator("svg.chart")
    assert LONG_REASON[:10] in reasons.text_content()
    assert ph.evaluate(_CLIPPED) == []
    ph.screenshot(path=str(ARTIFACTS / "22-dashboard-day.png"), full_page=True)
    # the same page at a narrower window: the charts shrink with their cards
    ph.set_viewport_size({"width": 1024, "height": 800})
    assert ph.evaluate(_CLIPPED) == []
