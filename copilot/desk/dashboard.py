"""Figures for the QA lead: acceptance and edits, reject reasons, escalations by rule and tier,
SLA compliance, first-response time, top questions, knowledge gaps, per-agent figures, KPIs.
Charts are server-side SVG (no external network).

Two rates count what has not happened yet as well as what has:
- SLA compliance: cases answered by their deadline / cases due so far, which are the answered
  ones and the open ones already past their deadline (超时未处理 counts as a miss at once).
- On-time first response: customer messages that got a first reply (an agent's or a
  pharmacist's message in the conversation) within FIRST_RESPONSE_TARGET_S / customer messages
  due so far, which are the replied ones and those still without a reply past the target (顾客
  等待未回复: a rejected draft with nothing sent leaves the customer waiting).
- Case resolution, per case and by tier: the same count as SLA compliance, with the median time
  from a case being opened to its answer (answered cases only) and the cases still inside
  their deadline (not due yet).
- Resolution (解决率), per case at one clock: a pharmacist case (an escalation, with the
  follow-ups held for it) is resolved when the pharmacist has answered; an agent case (the
  customer's messages outside a pharmacist case up to the reply they got) is resolved when a
  reply was sent (a draft accepted or edited, or the agent's own reply after a reject). Due:
  the resolved ones and those unresolved past their time (a pharmacist case's deadline; 30
  minutes for an agent case, the business's routine-answer time). Agent actions are not cases:
  two holding replies in one pharmacist case, or a rejected draft, count nothing by themselves.
A rate short of every case is never shown as 100%, nor one above none as 0%. Demo
conversations (新建演示对话, ids demo-…) count in no figure.
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta
from html import escape

from sqlalchemy import select
from sqlalchemy.orm import Session

from copilot.desk.common import aware
from copilot.desk.tables import (
    AdrReport,
    AgentAction,
    Escalation,
    Message,
    SuggestionRow,
    User,
)

FIRST_RESPONSE_TARGET_S = 30  # the business's first-response target (DESIGN: within 30 s)
ROUTINE_ANSWER = timedelta(minutes=30)  # routine questions answered within 30 min (DESIGN)
REPLY_ROLES = ("agent", "pharmacist")

INTENT_NAMES = {
    "dose_usage": "用法用量",
    "indication": "适应症",
    "contraindication": "禁忌",
    "interaction": "相互作用",
    "adverse_reaction": "不良反应",
    "special_population": "特殊人群",
    "storage_expiry": "贮藏效期",
    "product_choice": "选药",
    "prescription_purchase": "处方购药",
    "order_delivery": "订单配送",
    "return_refund": "退换货",
    "coupon_price": "优惠价格",
    "invoice": "发票",
    "complaint": "投诉",
    "diagnosis_request": "要求诊断",
    "other": "其他",
}
TIER_NAMES = {"emergency": "紧急", "priority": "优先", "routine": "常规"}


DEMO_PREFIX = "demo-"  # conversations an agent opened to try the copilot (新建演示对话)


def _real(column):
    """Rows of real customers' conversations: the demo conversations count in no figure."""
    return ~column.startswith(DEMO_PREFIX)


def _ratio(a: int, b: int) -> float | None:
    """a / b to three decimals (one decimal as a percentage); a part short of the whole never
    rounds up to 1, and a part above none never rounds down to 0."""
    if not b:
        return None
    r = round(a / b, 3)
    if a < b and r >= 1:
        return 0.999
    if a > 0 and r <= 0:
        return 0.001
    return r


def _messages(session: Session, now: datetime) -> list:
    """(id, conversation, role, time) of every real conversation's message by `now`, by
    conversation and in time order: what the first-response and resolution figures walk."""
    return session.execute(
        select(Message.id, Message.conversation_id, Message.role, Message.created_at)
        .where(Message.created_at <= now, _real(Message.conversation_id))
        .order_by(Message.conversation_id, Message.created_at, Message.id)
    ).all()


def first_responses(rows: list, now: datetime) -> dict:
    """Each customer message against the first reply after it in time in its conversation (an
    agent's or a pharmacist's message): on time within the target, late, or still waiting past
    it. Messages still inside the target with no reply are not due yet."""
    target = timedelta(seconds=FIRST_RESPONSE_TARGET_S)
    waits: list[float] = []  # seconds to the first reply, per replied message
    waiting = 0  # past the target with no reply
    pending: list[datetime] = []  # customer messages of this conversation awaiting a reply
    current = None
    for _, conversation_id, role, created in rows:
        if conversation_id != current:
            waiting += sum(now - at > target for at in pending)
            current, pending = conversation_id, []
        at = aware(created)
        if role == "customer":
            pending.append(at)
        elif role in REPLY_ROLES and pending:
            waits += [(at - asked).total_seconds() for asked in pending]
            pending = []
    waiting += sum(now - at > target for at in pending)
    on_time = sum(w <= FIRST_RESPONSE_TARGET_S for w in waits)
    return {
        "on_time": on_time,
        "late": len(waits) - on_time,
        "waiting": waiting,
        "due": len(waits) + waiting,
        "median_s": round(statistics.median(waits), 1) if waits else None,
    }


def case_resolution(escalations: list[Escalation], now: datetime) -> dict:
    """Each case opened by `now`, at that one clock: answered by its deadline, answered late,
    open past its deadline (a miss at once), or open inside it (not due yet); by tier (紧急,
    优先, 常规) and in all, with the median minutes from opening to the answer."""

    def row(cases: list[Escalation]) -> dict:
        answered = [e for e in cases if e.answered_at and aware(e.answered_at) <= now]
        on_time = sum(aware(e.answered_at) <= aware(e.sla_deadline) for e in answered)
        done = {e.id for e in answered}
        open_ = [e for e in cases if e.id not in done]
        overdue = sum(aware(e.sla_deadline) < now for e in open_)
        minutes = [
            (aware(e.answered_at) - aware(e.created_at)).total_seconds() / 60 for e in answered
        ]
        return {
            "opened": len(cases),
            "due": len(answered) + overdue,
            "on_time": on_time,
            "late": len(answered) - on_time,
            "overdue_open": overdue,
            "open_in_time": len(open_) - overdue,
            "within_sla": _ratio(on_time, len(answered) + overdue),
            "median_min": round(statistics.median(minutes), 1) if minutes else None,
        }

    opened = [e for e in escalations if aware(e.created_at) <= now]
    return {
        "tiers": [
            (TIER_NAMES[t], row([e for e in opened if e.tier == t]))
            for t in ("emergency", "priority", "routine")
        ],
        "all": row(opened),
    }


def resolution(
    rows: list,
    suggestions: list[SuggestionRow],
    escalations: list[Escalation],
    cases: dict,
    now: datetime,
) -> dict:
    """Cases resolved of cases due at `now` (see the module's docstring): pharmacist cases (as
    `case_resolution` counts them: `cases` is its total row) and agent cases, each counted once
    however many messages and actions it took. `rows`: `_messages`."""
    opened = [e for e in escalations if aware(e.created_at) <= now]
    pharmacist_resolved = cases["on_time"] + cases["late"]
    pharmacist_due = cases["due"]
    # the customer messages that belong to a pharmacist case: each case's first message, and
    # the follow-ups held for it while it was open (a service question then is the agent's)
    opening = {e.suggestion_id for e in opened}
    in_case = {s.message_id for s in suggestions if s.id in opening}
    held = {s.message_id for s in suggestions if s.kind == "holding"}
    windows: dict[str, list[tuple[datetime, datetime | None]]] = {}
    for e in opened:
        end = aware(e.answered_at) if e.answered_at and aware(e.answered_at) <= now else None
        windows.setdefault(e.conversation_id, []).append((aware(e.created_at), end))
    agent_resolved = agent_due = 0
    waiting_since: datetime | None = None  # the first unanswered message of an agent case
    current = None
    for message_id, conversation_id, role, created in rows:
        if conversation_id != current:
            agent_due += waiting_since is not None and now - waiting_since > ROUTINE_ANSWER
            current, waiting_since = conversation_id, None
        at = aware(created)
        if role in REPLY_ROLES:
            if waiting_since is not None:
                agent_resolved += 1
                agent_due += 1
                waiting_since = None
            continue
        if role != "customer" or message_id in in_case:
            continue
        held_open = message_id in held and any(
            start <= at and (end is None or at < end)
            for start, end in windows.get(conversation_id, ())
        )
        if not held_open and waiting_since is None:
            waiting_since = at
    agent_due += waiting_since is not None and now - waiting_since > ROUTINE_ANSWER
    return {
        "rate": _ratio(pharmacist_resolved + agent_resolved, pharmacist_due + agent_due),
        "pharmacist_resolved": pharmacist_resolved,
        "pharmacist_due": pharmacist_due,
        "agent_resolved": agent_resolved,
        "agent_due": agent_due,
        "unresolved": pharmacist_due + agent_due - pharmacist_resolved - agent_resolved,
    }


def figures(session: Session, labels: dict[str, str], *, now: datetime | None = None) -> dict:
    """Every figure of the dashboard at `now` (default: the current time)."""
    now = now or datetime.now(UTC)
    # a suggestion put away after the pharmacist answered (dismiss) was not judged by the agent:
    # it counts in no acceptance, edit or reject figure
    suggestions = list(
        session.scalars(select(SuggestionRow).where(_real(SuggestionRow.conversation_id)))
    )
    real = {s.id for s in suggestions}
    actions = [
        a
        for a in session.scalars(select(AgentAction))
        if a.action != "dismiss" and a.suggestion_id in real
    ]
    escalations = list(session.scalars(select(Escalation).where(_real(Escalation.conversation_id))))
    users = {u.id: u for u in session.scalars(select(User))}
    by_action = Counter(a.action for a in actions)
    edits = [a.edit_distance for a in actions if a.action == "edit" and a.edit_distance is not None]
    reject_reasons = Counter(
        (a.reason or "").strip() or "（未填）" for a in actions if a.action == "reject"
    )
    # by the rule's topic, as pharmacists read it (孕期、备孕或哺乳期用药), not its id
    rules = Counter(r.get("topic") or r["id"] for e in escalations for r in e.reasons)
    tiers = Counter(e.tier for e in escalations)
    # cases due so far: answered ones, and unanswered ones already past their deadline (an
    # overdue open case counts against compliance at once, not when someone answers it)
    cases = case_resolution(escalations, now)
    sla = cases["all"]
    response = [a.seconds_to_action for a in actions if a.seconds_to_action is not None]
    rows = _messages(session, now)
    first = first_responses(rows, now)
    resolved = resolution(rows, suggestions, escalations, sla, now)
    intents = Counter(i for s in suggestions for i in s.intents)
    drugs = Counter(d for s in suggestions for d in s.drugs)
    gaps = [s for s in suggestions if s.kind == "cannot_draft"]
    messages = (
        {
            m.id: m.text
            for m in session.scalars(
                select(Message).where(Message.id.in_([s.message_id for s in gaps]))
            )
        }
        if gaps
        else {}
    )
    per_agent: dict[str, Counter] = {}
    for a in actions:
        name = users[a.user_id].display_name if a.user_id in users else str(a.user_id)
        per_agent.setdefault(name, Counter())[a.action] += 1
    complaints = sum("complaint" in s.intents for s in suggestions)
    reports = list(session.scalars(select(AdrReport)))
    drafts = [r for r in reports if r.status != "submitted"]
    today = now.date()
    total_actions = len(actions)
    return {
        "suggestions": len(suggestions),
        "actions": total_actions,
        "acceptance_rate": _ratio(by_action["accept"], total_actions),
        "edit_rate": _ratio(by_action["edit"], total_actions),
        "reject_rate": _ratio(by_action["reject"], total_actions),
        "mean_edit_distance": round(statistics.fmean(edits), 1) if edits else None,
        "reject_reasons": reject_reasons.most_common(10),
        "escalations": len(escalations),
        "escalation_rate": _ratio(len(escalations), len(suggestions)),
        "escalations_by_rule": rules.most_common(),
        "escalations_by_tier": [
            (TIER_NAMES[t], tiers[t]) for t in ("emergency", "priority", "routine")
        ],
        "sla_compliance": sla["within_sla"],
        "sla_due": sla["due"],
        "sla_missed": sla["late"] + sla["overdue_open"],
        "overdue_open": sla["overdue_open"],
        "case_resolution": cases,
        "answer_median_min": sla["median_min"],
        # from every customer message to the first reply it got (or is still waiting for)
        "on_time_response": _ratio(first["on_time"], first["due"]),
        "first_response_due": first["due"],
        "first_response_late": first["late"],
        "left_waiting": first["waiting"],
        "first_response_median_s": first["median_s"],
        # how long agents took to act on a suggestion (accept, edit or reject)
        "action_median_s": round(statistics.median(response), 1) if response else None,
        "resolution": resolved,
        "resolution_rate": resolved["rate"],
        "complaint_rate": _ratio(complaints, len(suggestions)),
        # ADR reports (issue 16): open = not yet submitted; due = inside the next 3 days
        "adr_open": len(drafts),
        "adr_due_soon": sum(now <= aware(r.due_at) <= now + timedelta(days=3) for r in drafts),
        "adr_overdue": sum(aware(r.due_at) < now for r in drafts),
        "adr_follow_ups_due": sum(
            r.follow_up_on is not None and r.follow_up_on <= today for r in reports
        ),
        "top_intents": [(INTENT_NAMES.get(k, k), v) for k, v in intents.most_common(10)],
        "top_drugs": [(labels.get(k, k), v) for k, v in drugs.most_common(10)],
        "knowledge_gaps": [messages.get(s.message_id, "") for s in gaps][-20:],
        "per_agent": sorted(
            ((name, c["accept"], c["edit"], c["reject"]) for name, c in per_agent.items()),
            key=lambda row: -(row[1] + row[2] + row[3]),
        ),
    }


FONT_PX = 12  # svg.chart text in app.css
LINE_PX = 15
MAX_LINES = 3


def text_width(text: str) -> float:
    """A generous estimate of the rendered width at FONT_PX: anything not ASCII (CJK, full-width
    punctuation, “”, …) takes a full em, wide Latin letters 0.9 em, other ASCII 0.62 em."""
    return sum(_char_em(c) for c in text) * FONT_PX


def _char_em(c: str) -> float:
    if ord(c) > 0x7F:
        return 1.04  # a CJK glyph's box is a little wider than the em in some fonts
    return 0.9 if c.isupper() or c in "mw@%" else 0.62


_BREAK_AFTER = "_-/ .,;:"  # an identifier or a phrase breaks after these, not mid-word
_NO_LINE_START = "，。、；：！？）》」』”’,.;:!?)]…"


def wrap(text: str, width: float, max_lines: int = MAX_LINES) -> list[str]:
    """`text` in lines no wider than `width`: Latin words and identifiers break after _ - /
    or a space when they can, a line never starts with a closing punctuation mark, and past
    `max_lines` the last line ends in …"""
    lines, line = [], ""
    for c in text:
        if line and text_width(line + c) > width:
            cut = _break_at(line, c)
            lines.append(line[:cut])
            line = line[cut:]
        line += c
    lines.append(line)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and text_width(last + "…") > width:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last + "…"]
    return lines


def _break_at(line: str, nxt: str) -> int:
    """Where to end a full line before `nxt`: after the last break character of a Latin run,
    or one character early so a closing punctuation mark does not start the next line."""
    if nxt.isascii() and not nxt.isspace():
        for i in range(len(line), 1, -1):
            if not line[i - 1].isascii():
                break  # the Latin run began after this
            if line[i - 1] in _BREAK_AFTER:
                return i
    if nxt in _NO_LINE_START and len(line) > 1:
        return len(line) - 1
    return len(line)


def bar_chart(rows: list[tuple[str, int]], *, width: int = 420, bar: int = 18) -> str:
    """A horizontal bar chart as inline SVG. Labels are never clipped: the label column is as
    wide as the longest label (up to half the chart), a longer label wraps onto up to three
    lines, and one longer still ends in … with the whole text in its tooltip (<title>)."""
    if not rows:
        return '<p class="muted">暂无数据</p>'
    top = max(v for _, v in rows) or 1
    gap, pad, margin = 6, 6, 4
    value_w = text_width(str(top)) + 8
    longest = max(text_width(str(label)) for label, _ in rows)
    label_w = margin + int(min(longest, width / 2)) + 1 + pad
    labels = [wrap(str(label), label_w - pad - margin) for label, _ in rows]
    heights = [max(bar, len(lines) * LINE_PX + 3) for lines in labels]
    height = sum(h + gap for h in heights) + gap
    parts = [
        f'<svg class="chart" width="{width}" height="{height}" role="img" '
        f'viewBox="0 0 {width} {height}">'
    ]
    y = gap
    for (label, value), lines, h in zip(rows, labels, heights, strict=True):
        w = max(2, int((width - label_w - value_w) * value / top))
        bar_y = y + (h - bar) // 2
        first = y + (h - len(lines) * LINE_PX) // 2 + LINE_PX - 3
        spans = "".join(
            f'<tspan x="{label_w - pad}" y="{first + i * LINE_PX}">{escape(line)}</tspan>'
            for i, line in enumerate(lines)
        )
        parts.append(
            f'<g class="bar"><title>{escape(str(label))}：{value}</title>'
            f'<text class="label" text-anchor="end">{spans}</text>'
            f'<rect x="{label_w}" y="{bar_y}" width="{w}" height="{bar}" rx="3"></rect>'
            f'<text class="value" x="{label_w + w + 4}" y="{bar_y + bar - 5}">{value}</text></g>'
        )
        y += h + gap
    parts.append("</svg>")
    return "".join(parts)
