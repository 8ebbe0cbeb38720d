"""The case: one escalation per conversation at a time, its six steps as the business names
them (receive → register → analyse → resolve → follow up → archive, each with who and when),
the case a follow-up joins (raising its tier when more urgent), the answered case a later
message follows up, and who holds or closed a case (for the 409 messages of the desk's
conditional actions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from copilot.desk.common import audit, aware, queue_rank
from copilot.desk.tables import AuditEntry, CaseStep, Escalation, Message, SuggestionRow, User
from copilot.pipeline import SERVICE_INTENTS
from copilot.safety.masking import mask_pii
from copilot.schemas import TIER_NAMES, TIER_ORDER, Suggestion

CASE_STEPS = {
    "receive": "接收",
    "register": "登记",
    "analyse": "分析",
    "resolve": "解决",
    "follow_up": "随访",
    "archive": "归档",
}
FOLLOW_UP_WINDOW = timedelta(days=7)


def step(
    session: Session,
    esc: Escalation,
    name: str,
    user: User | None,
    *,
    at: datetime | None = None,
    note: str | None = None,
) -> None:
    """Record a step of the case (one of CASE_STEPS) with who and when."""
    assert name in CASE_STEPS, name
    session.add(
        CaseStep(
            escalation_id=esc.id,
            step=name,
            user_id=user.id if user else None,
            at=at or datetime.now(UTC),
            note=note,
        )
    )


def steps(session: Session, escalation_id: int) -> list[CaseStep]:
    """The case's steps in the order they happened."""
    return list(
        session.scalars(
            select(CaseStep)
            .where(CaseStep.escalation_id == escalation_id)
            .order_by(CaseStep.at, CaseStep.id)
        )
    )


def resolved_case(session: Session, conversation_id: str) -> Escalation | None:
    """The conversation's latest case a pharmacist answered in the last week, if any."""
    esc = session.scalars(
        select(Escalation)
        .where(
            Escalation.conversation_id == conversation_id,
            Escalation.status.in_(("answered", "closed")),
        )
        .order_by(Escalation.id.desc())
        .limit(1)
    ).first()
    answered = aware(esc.answered_at) if esc is not None else None
    if answered is None or datetime.now(UTC) - answered > FOLLOW_UP_WINDOW:
        return None
    return esc


def open_case(session: Session, conversation_id: str) -> Escalation | None:
    """The conversation's escalation a pharmacist has not answered yet, if any."""
    return session.scalars(
        select(Escalation)
        .where(
            Escalation.conversation_id == conversation_id,
            Escalation.status.in_(("open", "claimed")),
        )
        .order_by(Escalation.id)
        .limit(1)
    ).first()


def service_question(suggestion: Suggestion) -> bool:
    """A service question (delivery, returns, coupons, invoices) about no medicine: the agent
    may answer it while the pharmacist has the case."""
    tri = suggestion.verdict.triage
    return (
        suggestion.kind == "draft"
        and not any(d.source == "message" for d in tri.drugs)
        and bool(tri.intents)
        and set(tri.intents) <= SERVICE_INTENTS
    )


def join_case(session: Session, user, esc: Escalation, suggestion: Suggestion) -> None:
    """A follow-up that escalates joins the open case: its reasons are added, and a more
    urgent tier raises the case (with the shorter deadline)."""
    e = suggestion.verdict.escalation
    # a rule joins once; each agent referral joins with its own note
    known = {(r.get("id"), r.get("reason")) for r in esc.reasons}
    esc.reasons = [
        *esc.reasons,
        *(r.model_dump() for r in e.reasons if (r.id, r.reason) not in known),
    ]
    raised = TIER_ORDER[e.tier] > TIER_ORDER[esc.tier]
    if raised:
        deadline = datetime.now(UTC) + timedelta(minutes=e.sla_minutes)
        esc.tier, esc.tier_rank = e.tier, queue_rank(e.tier)
        esc.sla_deadline = min(aware(esc.sla_deadline), deadline)
    audit(
        session,
        user,
        "escalation.followup",
        "escalation",
        esc.id,
        tier=esc.tier,
        raised=raised,
        rules=[r.id for r in e.reasons],
    )


def open_new_case(
    session: Session,
    user,
    row: SuggestionRow,
    suggestion: Suggestion,
    msg: Message,
    *,
    follows: Escalation | None = None,
) -> Escalation:
    """A new case for the suggestion's escalation (received and registered, audited), linked to
    the answered case it follows, if any."""
    e = suggestion.verdict.escalation
    esc = Escalation(
        conversation_id=row.conversation_id,
        suggestion_id=row.id,
        tier=e.tier,
        tier_rank=queue_rank(e.tier),
        reasons=[r.model_dump() for r in e.reasons],
        sla_deadline=datetime.now(UTC) + timedelta(minutes=e.sla_minutes),
        follows_id=follows.id if follows else None,
    )
    session.add(esc)
    session.flush()
    step(session, esc, "receive", None, at=msg.created_at, note=mask_pii(msg.text)[:60])
    step(session, esc, "register", user, note=TIER_NAMES[e.tier])
    audit(
        session,
        user,
        "escalation.opened",
        "escalation",
        esc.id,
        tier=e.tier,
        rules=[r.id for r in e.reasons],
    )
    return esc


def holder(session: Session, escalation_id: int) -> str:
    """Who holds the escalation now (for 409 messages)."""
    esc = session.get(Escalation, escalation_id)
    session.refresh(esc)
    user = session.get(User, esc.assignee_id) if esc.assignee_id else None
    if user is None:
        return "其他药师"
    # (a display name may carry the title already: 药师王, not 药师药师王)
    name = user.display_name
    return name if name.startswith(("药师", "执业药师")) else f"药师{name}"


def closer(session: Session, escalation_id: int) -> str:
    """Who closed the case (from the audit log)."""
    entry = session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.action == "escalation.closed",
            AuditEntry.entity_id == str(escalation_id),
        )
        .order_by(AuditEntry.id)
        .limit(1)
    ).first()
    user = session.get(User, entry.user_id) if entry and entry.user_id else None
    if user is None:
        return "其他药师"
    # (a display name may carry the title already: 药师王, not 药师药师王)
    name = user.display_name
    return name if name.startswith(("药师", "执业药师")) else f"药师{name}"
