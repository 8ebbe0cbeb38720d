"""Figures for the QA lead: acceptance and edits, reject reasons, escalations by rule and tier,
SLA compliance, first-response time, top questions, knowledge gaps, per-agent figures, KPIs.
Charts are server-side SVG (no external network)."""

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


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 3) if b else None


def figures(session: Session, labels: dict[str, str]) -> dict:
    actions = list(session.scalars(select(AgentAction)))
    suggestions = list(session.scalars(select(SuggestionRow)))
    escalations = list(session.scalars(select(Escalation)))
    users = {u.id: u for u in session.scalars(select(User))}
    by_action = Counter(a.action for a in actions)
    edits = [a.edit_distance for a in actions if a.action == "edit" and a.edit_distance is not None]
    reject_reasons = Counter(
        (a.reason or "").strip() or "（未填）" for a in actions if a.action == "reject"
    )
    rules = Counter(r["id"] for e in escalations for r in e.reasons)
    tiers = Counter(e.tier for e in escalations)
    answered = [e for e in escalations if e.answered_at]
    on_time = [e for e in answered if aware(e.answered_at) <= aware(e.sla_deadline)]
    now = datetime.now(UTC)
    overdue_open = [
        e for e in escalations if e.status in ("open", "claimed") and aware(e.sla_deadline) < now
    ]
    response = [a.seconds_to_action for a in actions if a.seconds_to_action is not None]
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
        # cases due so far: answered ones and open ones already past their deadline (an overdue
        # open case counts against compliance; it is not left out until someone answers it)
        "sla_compliance": _ratio(len(on_time), len(answered) + len(overdue_open)),
        "overdue_open": len(overdue_open),
        "first_response_median_s": round(statistics.median(response), 1) if response else None,
        "on_time_response": _ratio(sum(r <= 30 for r in response), len(response)),
        "resolution_rate": _ratio(
            sum(e.status in ("answered", "closed") for e in escalations)
            + sum(a.action in ("accept", "edit") for a in actions),
            len(escalations) + total_actions,
        ),
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


def bar_chart(rows: list[tuple[str, int]], *, width: int = 420, bar: int = 18) -> str:
    """A horizontal bar chart as inline SVG."""
    if not rows:
        return '<p class="muted">暂无数据</p>'
    top = max(v for _, v in rows) or 1
    label_w, gap = 130, 6
    height = len(rows) * (bar + gap) + gap
    parts = [
        f'<svg class="chart" width="{width}" height="{height}" role="img" '
        f'viewBox="0 0 {width} {height}">'
    ]
    for i, (label, value) in enumerate(rows):
        y = gap + i * (bar + gap)
        w = max(2, int((width - label_w - 40) * value / top))
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar - 5}" text-anchor="end">'
            f"{escape(str(label))}</text>"
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar}" rx="3"></rect>'
            f'<text x="{label_w + w + 4}" y="{y + bar - 5}">{value}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
