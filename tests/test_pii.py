"""Personal data never leaves unmasked (issue 15): a real server (copilot serve, its log
configuration) drafts with a fake OpenAI-compatible LLM that records every prompt; a
conversation carrying phone numbers (ASCII, full-width, spaced, dashed), an ID number and an
e-mail address goes through the API, in messages, history, profile, cart, URLs and bad
requests. The prompts, the server's log (access lines included) and every error body are
scanned for the numbers in any writing."""

from __future__ import annotations

import re
import shutil
from urllib.parse import quote

import httpx
from fakes import FakeOpenAI

from copilot.bench.serverproc import ServerProcess
from copilot.desk.auth import add_user
from copilot.desk.db import Database, database_url

PHONE, PHONE2, PHONE3 = "13812345678", "13987654321", "15011112222"
ID_NUMBER, EMAIL = "110101199003071234", "zhang.san@example.com"
SECRETS = (PHONE, PHONE2, PHONE3, ID_NUMBER, "zhang.san", "zhangsan")
_FULL = {cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF5B)} | {0x3000: 32, 0xFF0D: 45, 0xFF20: 64}


def leaks(text: str) -> list[str]:
    """The secrets found in `text` written any way: full-width, percent-encoded, spaced."""
    from urllib.parse import unquote_plus

    plain = unquote_plus(text).translate(_FULL)
    squeezed = re.sub(r"[\s\-.·]", "", plain)
    return [s for s in SECRETS if s in plain or s.replace(".", "") in squeezed]


def test_no_personal_number_leaves_unmasked(tmp_path, sample_settings):
    home = tmp_path / "home"
    shutil.copytree(sample_settings.index_dir, home / "index")
    settings = sample_settings.model_copy(update={"home": home})
    with Database(database_url(settings)).session() as s:
        _, _, token = add_user(s, username="agent", role="agent", password="agent-password-1")
    auth = {"Authorization": f"Bearer {token}"}
    with FakeOpenAI() as llm:
        llm.content = '{"reply": "您好，芬必得成人一次1粒，一日2次[1]。", "citations": [1]}'
        server = ServerProcess(
            home,
            env={"COPILOT_LLM__PROVIDER": "openai", "COPILOT_LLM__BASE_URL": llm.base_url},
        ).start()
        bodies: list[str] = []
        try:
            with httpx.Client(base_url=server.url, headers=auth, timeout=60) as c:
                conv = "pii-1"
                profile = {"current_medicines": [f"联系人：李四 {PHONE3}"], "allergies": ["青霉素"]}
                cart = [{"product": f"收货人王五 {PHONE3}"}]
                for text in (
                    f"芬必得一天吃几次？我手机{PHONE}",
                    "芬必得一天最多几粒？备用电话１３９８７６５４３２１",  # (a question the label answers: drafted)
                    "芬必得一次吃几粒？电话 139 8765 4321 或 139-8765-4321",
                    f"布洛芬缓释胶囊怎么吃？邮箱{EMAIL}，邮箱ｚｈａｎｇｓａｎ＠ｑｑ．ｃｏｍ",
                    f"芬必得能连着吃几天？身份证{ID_NUMBER}，也可写作110101 19900307 1234",
                ):
                    r = c.post(
                        f"/v1/conversations/{conv}/messages",
                        json={"text": text, "profile": profile, "cart": cart},
                    )
                    assert r.status_code == 200, r.text
                r = c.post(
                    "/v1/suggest",
                    json={
                        "message": f"芬必得一天吃几次？电话{PHONE}",
                        "history": [{"role": "customer", "text": f"我的邮箱是{EMAIL}"}],
                        "cart": cart,
                    },
                )
                assert r.status_code == 200, r.text
                # numbers in URLs (access log) and in requests that fail (error bodies)
                for url in (
                    f"/v1/search?q={quote('１３８１２３４５６７８')}",
                    f"/v1/search?q={PHONE}+{quote(EMAIL)}",
                    f"/v1/conversations/{PHONE}/messages",
                    f"/v1/customers/{ID_NUMBER}/record",
                    f"/c/{quote('138 1234 5678')}",
                ):
                    r = c.get(url)
                    if r.status_code >= 400:  # a search answers its caller with the query
                        bodies.append(r.text)
                for bad in (
                    {"text": f"电话{PHONE}", "profile": {"age_years": f"{PHONE}"}},
                    {"text": f"身份证{ID_NUMBER}", "unknown": EMAIL},
                    {"text": "", "customer_ref": PHONE},
                ):
                    r = c.post(f"/v1/conversations/{PHONE}/messages", json=bad)
                    assert 400 <= r.status_code < 500
                    bodies.append(r.text)
                r = c.post(f"/v1/escalations/{2**40}/answer", json={"text": f"回电{PHONE}"})
                bodies.append(r.text)
            assert len(bodies) >= 6
        finally:
            server.stop()
        prompts = [str(req.get("messages")) for req in llm.requests]
    log = server.log.read_text(encoding="utf-8", errors="replace")
    assert len(prompts) >= 3, "the fake LLM should have drafted several replies"
    assert '"GET /v1/search?q=' in log and "/v1/conversations/" in log  # the access lines
    found = {
        "prompts": sorted({s for p in prompts for s in leaks(p)}),
        "log": leaks(log),
        "error bodies": sorted({s for b in bodies for s in leaks(b)}),
    }
    assert found == {"prompts": [], "log": [], "error bodies": []}
    assert "[手机号]" in " ".join(prompts) and "[身份证号]" in " ".join(prompts)
