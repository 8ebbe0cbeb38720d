"""Admin and QA views in headless Chromium (Debian's, through Playwright; no browser
download): deleting a customer's personal data from the customer page. Screenshots go to
test-artifacts/."""

from __future__ import annotations

import shutil

import httpx
import pytest
from test_browser import ARTIFACTS, CHROMIUM, browser, pytestmark  # noqa: F401  (fixtures)

from copilot.bench.serverproc import ServerProcess
from copilot.desk.auth import add_user
from copilot.desk.db import Database, database_url

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
