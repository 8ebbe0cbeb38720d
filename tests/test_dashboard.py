"""The dashboard's figures on a constructed day, read at fixed clocks: SLA compliance counts
overdue open cases as misses, on-time first response is measured from every customer message
(a customer left waiting is a miss), a rate short of every case never shows as 100%, and chart
labels are never clipped."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from copilot.desk.auth import add_user
from copilot.desk.dashboard import _ratio, bar_chart, figures, text_width, wrap
from copilot.desk.db import Database
from copilot.desk.tables import AgentAction, Conversation, Escalation, Message, SuggestionRow
from copilot.web.pages.render import TEMPLATES

DAY = datetime(2026, 11, 30, tzinfo=UTC)  # 08:00 in Beijing


def at(hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return DAY + timedelta(hours=hh, minutes=mm, seconds=ss)


class Day:
    """Writes a day of desk data with the times given (no clock is read)."""

    def __init__(self, db: Database):
        self.db = db
        self.n = 0
        with db.session() as s:
            self.agent = add_user(s, username="agent", role="agent", password="agent-password")[0]
            self.ph = add_user(s, username="ph", role="pharmacist", password="pharmacist-pw")[0]

    def conversation(self, cid: str, first: datetime) -> None:
        with self.db.session() as s:
            s.add(Conversation(id=cid, created_at=first, updated_at=first))

    def customer(
        self, cid: str, when: datetime, *, intents=("dose_usage",), kind: str = "draft"
    ) -> str:
        """A customer message and its stored suggestion; returns the suggestion id."""
        self.n += 1
        with self.db.session() as s:
            msg = Message(conversation_id=cid, role="customer", text="问题", created_at=when)
            s.add(msg)
            s.flush()
            sid = f"s{self.n}"
            s.add(
                SuggestionRow(
                    id=sid,
                    conversation_id=cid,
                    message_id=msg.id,
                    kind=kind,
                    text="草稿",
                    provider="extractive",
                    decision="answer",
                    intents=list(intents),
                    drugs=[],
                    payload={},
                    created_at=when,
                )
            )
        return sid

    def reply(self, cid: str, when: datetime, role: str = "agent") -> None:
        with self.db.session() as s:
            who = self.agent if role == "agent" else self.ph
            s.add(
                Message(
                    conversation_id=cid, role=role, text="答复", author_id=who.id, created_at=when
                )
            )

    def action(self, sid: str, action: str, seconds: float, *, reason: str | None = None):
        with self.db.session() as s:
            s.add(
                AgentAction(
                    suggestion_id=sid,
                    user_id=self.agent.id,
                    action=action,
                    reason=reason,
                    seconds_to_action=seconds,
                )
            )

    def case(self, cid, sid, *, opened, minutes, answered=None, tier="priority") -> None:
        with self.db.session() as s:
            s.add(
                Escalation(
                    conversation_id=cid,
                    suggestion_id=sid,
                    tier=tier,
                    tier_rank=1,
                    reasons=[{"id": "pregnancy"}],
                    status="answered" if answered else "open",
                    sla_deadline=opened + timedelta(minutes=minutes),
                    created_at=opened,
                    answered_at=answered,
                )
            )


@pytest.fixture
def day(db_url):
    return Day(Database(db_url))


def _figures(day: Day, now: datetime) -> dict:
    with day.db.session() as s:
        return figures(s, {}, now=now)


def test_first_response_counts_every_customer_message_and_the_ones_left_waiting(day):
    """Six customer messages are due at 10:00: three answered within 30 s, two answered late,
    one never answered (the agent rejected its draft within 5 s and sent nothing). A message
    10 s old is not due yet. Counting only drafts acted on would say 100% on time."""
    for cid in "ABCDE":
        day.conversation(cid, at(1))
    a1 = day.customer("A", at(1))
    day.reply("A", at(1, 0, 12))  # 12 s: on time
    day.action(a1, "accept", 12)
    day.customer("A", at(2))  # answered at 40 s: late
    a3 = day.customer("A", at(2, 0, 20))  # the same reply, 20 s after it: on time
    day.reply("A", at(2, 0, 40))
    day.action(a3, "accept", 20)
    b1 = day.customer("B", at(3))
    day.action(b1, "reject", 5, reason="草稿不对")  # nothing sent: the customer waits
    day.customer("C", at(4))
    day.reply("C", at(4, 10), role="pharmacist")  # 600 s: late
    e1 = day.customer("E", at(5))
    day.reply("E", at(5, 0, 30))  # exactly the target: on time
    day.action(e1, "edit", 30)
    day.customer("D", at(9, 59, 50))  # 10 s before the clock: not due yet

    f = _figures(day, at(10))
    assert f["first_response_due"] == 6
    assert f["first_response_late"] == 2
    assert f["left_waiting"] == 1
    assert f["on_time_response"] == 0.5  # 3 of 6
    assert f["first_response_median_s"] == 30.0  # of 12, 40, 20, 600, 30
    assert f["action_median_s"] == 16.0  # agents acted on every draft within 30 s (5, 12, 20, 30)
    # a minute later the 09:59:50 message has waited past the target with no reply
    later = _figures(day, at(10, 1))
    assert later["left_waiting"] == 2 and later["on_time_response"] == round(3 / 7, 3)
    # before any of it happened nothing is due
    assert _figures(day, at(0, 30))["on_time_response"] is None


def test_first_response_follows_the_clock_not_the_order_rows_were_written(day):
    """Messages written out of order (an import, or two workers): each customer message is
    answered by the first reply after it in time."""
    day.conversation("F", at(6))
    day.customer("F", at(6))
    day.customer("F", at(6, 10))
    day.reply("F", at(6, 0, 5))  # written after the second question, sent before it
    day.reply("F", at(6, 15))
    f = _figures(day, at(7))
    assert (f["first_response_due"], f["first_response_late"], f["left_waiting"]) == (2, 1, 0)
    assert f["on_time_response"] == 0.5 and f["first_response_median_s"] == 152.5


def test_sla_compliance_counts_overdue_open_cases_as_misses_at_each_clock(day):
    """Cases of the day: on time, answered late, overdue and still open, not yet due, and one
    answered only after the first clock (open and overdue at 10:00, late at 11:30)."""
    for cid in ("c1", "c2", "c3", "c4", "c5"):
        day.conversation(cid, at(1))
    day.case("c1", day.customer("c1", at(1)), opened=at(1), minutes=30, answered=at(1, 20))
    day.case("c2", day.customer("c2", at(2)), opened=at(2), minutes=120, answered=at(4, 30))
    day.case("c3", day.customer("c3", at(6)), opened=at(6), minutes=15, tier="emergency")
    day.case("c4", day.customer("c4", at(9)), opened=at(9), minutes=120, tier="routine")
    day.case("c5", day.customer("c5", at(3)), opened=at(3), minutes=30, answered=at(10, 30))

    ten = _figures(day, at(10))
    assert (ten["sla_due"], ten["sla_missed"], ten["overdue_open"]) == (4, 3, 2)
    assert ten["sla_compliance"] == 0.25
    half_past_eleven = _figures(day, at(11, 30))  # c5 answered late; c4 past its deadline
    assert half_past_eleven["overdue_open"] == 2  # c3 and c4
    assert half_past_eleven["sla_compliance"] == 0.2  # 1 on time of 5 due
    before = _figures(day, at(1, 10))  # only c1 is open, inside its deadline
    assert before["sla_compliance"] is None and before["overdue_open"] == 0


def test_case_resolution_by_tier_with_the_median_time_to_answer_at_each_clock(day):
    """The same day of cases, per case and by tier: the share answered within the SLA of the
    cases due, and the median minutes from opening to the answer (answered cases only). The
    total is the SLA compliance figure, read at the same clock."""
    for cid in ("c1", "c2", "c3", "c4", "c5"):
        day.conversation(cid, at(1))
    day.case("c1", day.customer("c1", at(1)), opened=at(1), minutes=30, answered=at(1, 20))
    day.case("c2", day.customer("c2", at(2)), opened=at(2), minutes=120, answered=at(4, 30))
    day.case("c3", day.customer("c3", at(6)), opened=at(6), minutes=15, tier="emergency")
    day.case("c4", day.customer("c4", at(9)), opened=at(9), minutes=120, tier="routine")
    day.case("c5", day.customer("c5", at(3)), opened=at(3), minutes=30, answered=at(10, 30))

    def rows(f):
        keys = (
            "due",
            "on_time",
            "late",
            "overdue_open",
            "open_in_time",
            "within_sla",
            "median_min",
        )
        got = dict(f["case_resolution"]["tiers"]) | {"合计": f["case_resolution"]["all"]}
        return {name: tuple(r[k] for k in keys) for name, r in got.items()}

    ten = _figures(day, at(10))  # c5 still open (answered only at 10:30); c4 not due yet
    assert rows(ten) == {
        "紧急": (1, 0, 0, 1, 0, 0.0, None),
        "优先": (3, 1, 1, 1, 0, 0.333, 85.0),  # answered after 20 and 150 minutes
        "常规": (0, 0, 0, 0, 1, None, None),
        "合计": (4, 1, 1, 2, 1, 0.25, 85.0),
    }
    assert ten["sla_compliance"] == ten["case_resolution"]["all"]["within_sla"]
    assert ten["answer_median_min"] == 85.0
    later = _figures(day, at(11, 30))  # c5 answered after 450 minutes; c4 past its deadline
    assert rows(later) == {
        "紧急": (1, 0, 0, 1, 0, 0.0, None),
        "优先": (3, 1, 2, 0, 0, 0.333, 150.0),
        "常规": (1, 0, 0, 1, 0, 0.0, None),
        "合计": (5, 1, 2, 2, 0, 0.2, 150.0),
    }
    page = _render(later)
    table = re.search(r'<div class="card" id="case-resolution">.*?</div>', page, re.S).group(0)
    table = re.sub(r">\s+<", "><", table)
    assert '<td>优先</td><td>3</td><td>1</td><td class="warn">33.3%</td>' in table
    assert "150 分钟" in table and "<td>合计</td><td>5</td>" in table
    assert "答复用时中位数 150 分钟" in page  # beside the SLA figure
    assert _figures(day, at(0, 30))["case_resolution"]["all"]["median_min"] is None


def test_resolution_counts_cases_not_actions_at_one_clock(day):
    """解决率 per case: a pharmacist case with two held follow-ups and two holding replies is one
    case (resolved when the pharmacist answers); an agent case is the customer's messages up to
    the reply they got (accepted, or the agent's own reply after a reject); a rejected draft
    with nothing sent is unresolved once 30 minutes have passed; a service question while a case
    is open is the agent's. Counting actions would call the holding replies resolutions."""
    for cid in "PABCDEQ":
        day.conversation(cid, at(1))
    p = day.customer("P", at(1), kind="holding")
    day.case("P", p, opened=at(1), minutes=60, answered=at(1, 30))
    day.reply("P", at(1, 0, 20))  # the holding reply
    day.action(p, "accept", 20)
    held = day.customer("P", at(1, 5), kind="holding")  # 药师多久回复？ held for the case
    day.reply("P", at(1, 5, 15))
    day.action(held, "accept", 15)
    day.reply("P", at(1, 30), role="pharmacist")
    a = day.customer("A", at(2))
    day.reply("A", at(2, 0, 20))
    day.action(a, "accept", 20)
    b = day.customer("B", at(3))
    day.action(b, "reject", 10, reason="草稿不对")  # nothing sent
    c = day.customer("C", at(3))
    day.action(c, "reject", 10, reason="草稿不对")
    day.reply("C", at(3, 2))  # the agent's own reply
    day.customer("D", at(4))
    day.customer("D", at(4, 0, 10))  # two messages, one reply: one case
    day.reply("D", at(4, 0, 40))
    q = day.customer("Q", at(9), kind="holding")
    day.case("Q", q, opened=at(9), minutes=15, tier="emergency")  # open past its deadline
    day.customer("Q", at(9, 5))  # 发票怎么开: a service question while the case is open
    day.reply("Q", at(9, 5, 30))
    day.customer("E", at(9, 50))  # no reply yet, inside 30 minutes

    ten = _figures(day, at(10))["resolution"]
    assert (ten["pharmacist_resolved"], ten["pharmacist_due"]) == (1, 2)
    assert (ten["agent_resolved"], ten["agent_due"]) == (4, 5)  # A, C, D, Q's service question
    assert ten["unresolved"] == 2 and ten["rate"] == 0.714  # 5 of 7
    later = _figures(day, at(10, 30))["resolution"]  # E has waited past 30 minutes
    assert later["agent_due"] == 6 and later["rate"] == 0.625
    early = _figures(day, at(1, 10))["resolution"]  # P open inside its deadline; held message
    assert early == {
        "rate": None,
        "pharmacist_resolved": 0,
        "pharmacist_due": 0,
        "agent_resolved": 0,
        "agent_due": 0,
        "unresolved": 0,
    }
    page = re.sub(r"\s+", " ", _render(_figures(day, at(10))))
    kpi = re.search(r'id="kpi-resolution".*?</div>', page).group(0)
    assert "71.4%" in kpi and "药师工单 2" in kpi and "客服问答 5" in kpi and "未解决 2" in kpi


def test_a_rate_short_of_every_case_never_shows_100_percent(day):
    """1,999 cases answered on time and one overdue: 99.95% must not round to 100% beside
    超时未处理 1 (the page says 99.9%)."""
    day.conversation("many", at(0))
    sid = day.customer("many", at(0))
    with day.db.session() as s:
        for i in range(1999):
            opened = at(0, 0, i)
            s.add(
                Escalation(
                    conversation_id="many",
                    suggestion_id=sid,
                    tier="routine",
                    tier_rank=2,
                    reasons=[],
                    status="answered",
                    sla_deadline=opened + timedelta(hours=2),
                    created_at=opened,
                    answered_at=opened + timedelta(minutes=5),
                )
            )
    day.case("many", sid, opened=at(1), minutes=15, tier="emergency")  # overdue, open
    f = _figures(day, at(10))
    assert f["overdue_open"] == 1 and f["sla_compliance"] == 0.999
    page = _render(f)
    assert re.search(r"药师SLA达标<b>99\.9%</b>", page), page
    kpi = re.search(r'id="kpi-sla">.*?</div>', page, re.S).group(0)
    assert "100.0%" not in kpi and "超时未处理 1" in kpi
    # by tier: every routine case was on time (100%), the emergency one is overdue
    cells = re.sub(r">\s+<", "><", page)
    assert "<td>常规</td><td>1999</td><td>1999</td><td>100.0%</td>" in cells
    assert "<td>合计</td><td>2000</td><td>1999</td><td>99.9%</td>" in cells


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (1999, 2000, 0.999),  # rounds to 1.0 otherwise
        (2000, 2000, 1.0),
        (1, 3000, 0.001),  # rounds to 0.0 otherwise
        (0, 3000, 0.0),
        (1, 2, 0.5),
        (0, 0, None),
    ],
    ids=["just-short", "all", "just-above-none", "none", "half", "nothing-due"],
)
def test_ratio_never_rounds_to_all_or_none(part, whole, expected):
    assert _ratio(part, whole) == expected


def _render(f: dict) -> str:
    charts = {k: "" for k in ("tiers", "rules", "intents", "drugs", "reasons")}
    f = f | {"adr_clusters": []}
    return TEMPLATES.env.get_template("dashboard.html").render(
        f=f, charts=charts, recent=[], user=None, csrf="", flash=None
    )


LONG = [
    ("草稿没有回答顾客问的儿童剂量问题，引用的是成人用法用量，需要药师重新核对后再写", 3),
    ("pregnancy_or_breastfeeding_with_rx_drug", 12),
    ("对乙酰氨基酚缓释片（泰诺林）", 1),
    ("短", 7),
]


def _labels(svg: str) -> list[tuple[float, list[str]]]:
    """(x of the text's end, its lines) for each bar's label."""
    out = []
    for text in re.findall(r'<text class="label"[^>]*>(.*?)</text>', svg):
        spans = re.findall(r'<tspan x="([\d.]+)" y="[\d.]+">(.*?)</tspan>', text)
        out.append((float(spans[0][0]), [line for _, line in spans]))
    return out


def test_chart_labels_fit_inside_the_chart_and_keep_their_words():
    from html import unescape

    svg = bar_chart(LONG)
    width = int(re.search(r'viewBox="0 0 (\d+) ', svg).group(1))
    labels = _labels(svg)
    assert len(labels) == len(LONG)
    for (label, value), (end, lines) in zip(LONG, labels, strict=True):
        for line in lines:
            assert end - text_width(unescape(line)) >= 0, line  # nothing left of the chart
        joined = unescape("".join(lines))
        assert joined == label or (joined.endswith("…") and label.startswith(joined[:-1]))
        assert f"<title>{label}：{value}</title>" in svg  # the whole label on hover
    assert any(len(lines) > 1 for _, lines in labels)  # the long reason wraps
    for x, value in re.findall(r'<text class="value" x="(\d+)" y="\d+">(\d+)</text>', svg):
        assert int(x) + text_width(value) <= width


def test_wrap_breaks_long_text_and_ends_what_does_not_fit_in_an_ellipsis():
    assert wrap("布洛芬", 100) == ["布洛芬"]
    # an identifier breaks after an underscore, not inside a word
    assert wrap("suspected_overdose_same_ingredient_two_products", 200) == [
        "suspected_overdose_same_",
        "ingredient_two_products",
    ]
    # a comma does not start a line: the character before it comes down with it
    lines = wrap("草稿没有回答顾客问的儿童剂量问题，引用的是成人用法用量", 200)
    assert lines[1].startswith("题，") and not any(line.startswith("，") for line in lines)
    lines = wrap("一二三四五六七八九十" * 3, 60, max_lines=2)
    assert len(lines) == 2 and lines[1].endswith("…")
    assert all(text_width(line) <= 60 for line in lines)


def test_demo_conversations_count_in_no_figure(day):
    """An agent trying the copilot (新建演示对话, ids demo-…) adds no customer message, suggestion,
    action or case to the figures."""
    day.conversation("demo-1a2b3c4d", at(1))
    sid = day.customer("demo-1a2b3c4d", at(1))
    day.action(sid, "reject", 5, reason="试用")
    day.case("demo-1a2b3c4d", sid, opened=at(1), minutes=15, tier="emergency")
    day.conversation("real", at(2))
    real = day.customer("real", at(2))
    day.reply("real", at(2, 0, 10))
    day.action(real, "accept", 10)
    f = _figures(day, at(10))
    assert (f["suggestions"], f["actions"], f["escalations"]) == (1, 1, 0)
    assert f["first_response_due"] == 1 and f["on_time_response"] == 1.0
    assert f["overdue_open"] == 0 and f["resolution"]["agent_due"] == 1
    assert f["reject_rate"] == 0.0  # the demo reject is not counted


def test_the_rules_chart_keeps_every_reason_and_sums_the_rest():
    from copilot.web.pages.dashboard import _top

    counts = [(f"规则{i}", 20 - i) for i in range(15)]
    bars = _top(counts, 12)
    assert len(bars) == 12 and bars[-1][0] == "其他4条规则"
    assert sum(c for _, c in bars) == sum(c for _, c in counts)
