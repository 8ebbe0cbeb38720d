"""Personal data (issue 15, PIPL): one masking function for everything that leaves the process
(prompts, log lines, error bodies), owner-only state, deletion on request and by retention."""

from __future__ import annotations

import logging
import stat
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from copilot.desk.auth import add_user
from copilot.desk.db import Database, database_url
from copilot.desk.privacy import REDACTED, purge_customer, purge_expired
from copilot.desk.service import Desk
from copilot.desk.tables import (
    AgentAction,
    AuditEntry,
    Conversation,
    CustomerRecord,
    Escalation,
    Message,
    SuggestionRow,
)
from copilot.safety.masking import mask_pii, mask_url, mask_value
from copilot.settings import Settings
from copilot.web.logs import MaskingFilter


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("我的电话13812345678", "13812345678"),
        ("电话１３９８７６５４３２１", "９８７６５"),
        ("电话 138 1234 5678", "1234 5678"),
        ("电话138-1234-5678", "1234-5678"),
        ("+86 138 1234 5678", "1234 5678"),
        ("手机１３８－１２３４－５６７８", "１２３４"),
        ("138.1234.5678", "1234.5678"),
        ("身份证110101199003071234", "19900307"),
        ("身份证 110101 19900307 123X", "19900307"),
        ("身份证110101-1990-0307-123x", "0307-123"),
        ("身份证１１０１０１１９９００３０７１２３４", "１９９００３０７"),
        ("邮箱 zhang.san@example.com", "zhang.san"),
        ("邮箱ｚｈａｎｇｓａｎ＠ｑｑ．ｃｏｍ", "ｚｈａｎｇｓａｎ"),
        ("邮箱zhangsan@qq.com", "zhangsan"),
        ("卡号 6222 0212 3456 7890 123", "3456 7890"),
        ("座机010-12345678", "12345678"),
    ],
)
def test_personal_numbers_are_masked(text, secret):
    masked = mask_pii(text)
    assert secret not in masked and secret.translate(_ascii) not in masked, masked
    assert "[" in masked


_ascii = {cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF5B)} | {0xFF0D: ord("-")}


@pytest.mark.parametrize(
    "text",
    [
        "布洛芬一次1片，一日3次，每4-6小时一次，24小时不超过4次",
        "对乙酰氨基酚0.5g，孩子体重18.5公斤，今年6岁",
        "2024-01-15开始吃的，2024年11月30日 13:45 又吃了",
        "体温38.5℃，血糖13.5 12.0 11.2 10.8",
        "一次500mg，一天2次，连用3天；订单号20241130123",
        "孩子3个月大，1-2片，10ml",
    ],
)
def test_doses_dates_and_ages_are_left_alone(text):
    assert mask_pii(text) == text


def test_mask_value_and_mask_url():
    assert mask_value({"a": ["电话13812345678", 3], "b": None}) == {
        "a": ["电话[手机号]", 3],
        "b": None,
    }
    assert "138" not in mask_url("/v1/search?q=%EF%BC%91%EF%BC%93%EF%BC%98+1234+5678&k=5")
    assert "13812345678" not in mask_url("/c/13812345678")
    assert mask_url("/v1/search?q=%E5%B8%83%E6%B4%9B%E8%8A%AC&k=5").endswith("k=5")  # unchanged


def test_log_filter_masks_messages_arguments_tracebacks_and_the_access_line():
    f = MaskingFilter()
    access = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/v1/search?q=138%201234%205678", "1.1", 200),
        None,
    )
    assert f.filter(access)
    line = access.getMessage()
    assert "1234" not in line and "[手机号]" in line and line.endswith("200")
    from uvicorn.logging import AccessFormatter

    assert "1234" not in AccessFormatter('"%(request_line)s" %(status_code)s').format(access)
    try:
        raise ValueError("duplicate key (conversation 13812345678)")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "copilot", logging.ERROR, __file__, 1, "failed for %s", ("邮箱a@b.cn",), sys.exc_info()
        )
    f.filter(record)
    assert "a@b.cn" not in record.getMessage()
    assert "13812345678" not in logging.Formatter().format(record)


def test_state_folder_and_database_are_owner_only(tmp_path):
    settings = Settings(home=tmp_path / "state")
    url = database_url(settings)
    Database(url)
    assert stat.S_IMODE(settings.home.stat().st_mode) == 0o700
    db_file = settings.home / "copilot.db"
    assert stat.S_IMODE(db_file.stat().st_mode) == 0o600
    for extra in ("copilot.db-wal", "copilot.db-shm"):
        if (settings.home / extra).exists():
            assert stat.S_IMODE((settings.home / extra).stat().st_mode) == 0o600
    # an existing world-readable state is tightened
    settings.home.chmod(0o755)
    db_file.chmod(0o644)
    Database(database_url(settings))
    assert stat.S_IMODE(settings.home.stat().st_mode) == 0o700
    assert stat.S_IMODE(db_file.stat().st_mode) == 0o600
    from copilot.web.session import session_secret

    session_secret(settings)
    assert stat.S_IMODE((settings.home / "session.key").stat().st_mode) == 0o600


@pytest.fixture
def desk(db_url, sample_copilot):
    return Desk(db=Database(db_url), copilot=sample_copilot)


def _customer_conversation(desk, agent, ph, conv: str, ref: str):
    from copilot.desk.records import HealthRecord
    from copilot.schemas import CartItem, Profile

    row, _ = desk.receive(
        conv,
        "开瑞坦一天吃几片？我电话13812345678",
        user=agent,
        customer_ref=ref,
        profile=Profile(allergies=["青霉素"]),
        cart=[CartItem(product="氯雷他定片")],
    )
    desk.act(row.id, agent, "edit", final_text=row.text + "（张三您好）", confirm_warnings=True)
    _, esc = desk.receive(conv, "我怀孕了还能吃开瑞坦吗", user=agent)
    desk.claim(esc.id, ph)
    desk.answer(esc.id, ph, "孕期请先不要服用，我们会电话联系您。")
    desk.close(esc.id, ph)
    desk.save_record(ref, ph, HealthRecord(allergies=["青霉素"]), version=0)
    return esc


def _texts(s, conv):
    return s.scalars(select(Message.text).where(Message.conversation_id == conv)).all()


def test_purge_customer_deletes_personal_data_and_audits_without_it(desk):
    with desk.db.session() as s:
        agent, _, _ = add_user(s, username="agent", role="agent", password="agent-password")
        ph, _, _ = add_user(s, username="ph", role="pharmacist", password="pharmacist-pw")
    _customer_conversation(desk, agent, ph, "p1", "会员001")
    _customer_conversation(desk, agent, ph, "p2", "会员002")  # someone else: untouched
    with desk.db.session() as s:
        audit_before = s.scalar(select(func.count()).select_from(AuditEntry))
    report = purge_customer(desk.db, "会员001")
    assert report.conversations == 1 and report.messages == 4 and report.records == 1
    assert report.suggestions == 2 and report.answers == 1 and report.actions == 1
    with desk.db.session() as s:
        assert set(_texts(s, "p1")) == {REDACTED}
        conv = s.get(Conversation, "p1")
        assert conv.profile == {} and conv.cart == [] and conv.customer_ref == ""
        for row in s.scalars(select(SuggestionRow).where(SuggestionRow.conversation_id == "p1")):
            dumped = str(row.payload)
            assert row.text == REDACTED and "13812345678" not in dumped and "开瑞坦" not in dumped
        assert s.get(CustomerRecord, "会员001") is None
        answer = s.scalars(select(Escalation.answer).where(Escalation.conversation_id == "p1"))
        assert list(answer) == [REDACTED]
        actions = s.scalars(select(AgentAction.final_text)).all()
        assert REDACTED in actions and any("张三" in (t or "") for t in actions)  # p2 kept
        assert "开瑞坦一天吃几片？我电话13812345678" in _texts(s, "p2")
        assert s.get(CustomerRecord, "会员002") is not None
        entries = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert len(entries) == audit_before + 1  # nothing deleted from the audit log, one added
        purge = entries[-1]
        assert purge.action == "privacy.purged" and purge.detail["messages"] == 4
        assert "13812345678" not in str(purge.detail) and "青霉素" not in str(purge.detail)
    # the emptied suggestion still renders for the dashboard and the pages
    from copilot.schemas import Suggestion

    with desk.db.session() as s:
        for row in s.scalars(select(SuggestionRow)):
            Suggestion.model_validate(row.payload)


def test_retention_purges_only_old_conversations_without_an_open_case(desk):
    with desk.db.session() as s:
        agent, _, _ = add_user(s, username="agent", role="agent", password="agent-password")
        ph, _, _ = add_user(s, username="ph", role="pharmacist", password="pharmacist-pw")
    _customer_conversation(desk, agent, ph, "old-closed", "会员003")
    desk.receive("old-open", "我怀孕了能吃感冒灵吗", user=agent)  # a case still open
    desk.receive("recent", "开瑞坦一天吃几片", user=agent)
    later = datetime.now(UTC) + timedelta(days=40)
    with desk.db.session() as s:  # only 'recent' has a message within the period
        s.add(Message(conversation_id="recent", role="customer", text="还在吗", created_at=later))
    report = purge_expired(desk.db, days=30, now=later + timedelta(seconds=1))
    assert report.conversations == 1
    with desk.db.session() as s:
        assert set(_texts(s, "old-closed")) == {REDACTED}
        assert REDACTED not in _texts(s, "old-open") and REDACTED not in _texts(s, "recent")
        assert s.get(CustomerRecord, "会员003") is not None  # the record goes on request only
    again = purge_expired(desk.db, days=30, now=later + timedelta(seconds=2))
    assert again.conversations == 0  # nothing left to purge, nothing audited twice
    with desk.db.session() as s:
        runs = s.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.purged")).all()
        assert [r.entity for r in runs] == ["retention"]


def test_purge_command(tmp_path, monkeypatch, sample_copilot):
    from copilot.cli import app

    home = tmp_path / "home"
    monkeypatch.setenv("COPILOT_HOME", str(home))
    from copilot.settings import get_settings

    get_settings.cache_clear()
    db = Database(database_url(Settings(home=home)))
    desk = Desk(db=db, copilot=sample_copilot)
    with db.session() as s:
        agent, _, _ = add_user(s, username="agent", role="agent", password="agent-password")
    desk.receive("k1", "开瑞坦一天吃几片 电话13812345678", user=agent, customer_ref="会员9")
    runner = CliRunner()
    nothing = runner.invoke(app, ["privacy", "purge"])
    assert nothing.exit_code == 2 and "RETENTION_DAYS" in nothing.output
    done = runner.invoke(app, ["privacy", "purge", "--customer", "会员9"])
    assert done.exit_code == 0, done.output
    assert "conversations 1" in done.output and "messages 1" in done.output
    with db.session() as s:
        assert _texts(s, "k1") == [REDACTED]
    old = runner.invoke(app, ["privacy", "purge", "--older-than-days", "30"])
    assert old.exit_code == 0 and "conversations 0" in old.output
    monkeypatch.setenv("COPILOT_PRIVACY__RETENTION_DAYS", "0")
    get_settings.cache_clear()
    assert runner.invoke(app, ["privacy", "purge"]).exit_code != 0  # refused: at least 1 day
