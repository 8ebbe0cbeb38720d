"""A pharmacist's correction (更正) of an answer already sent: a new pharmacist message in the
conversation (the customer and the agent see it; the first answer stays where it was), the
case's answer replaced, and the previous text kept in the case's steps.

Checked like any pharmacist answer (service.Desk.correct). A correction names the version of
the answer it corrects (`answer_version`): of two corrections made from the same version, the
second gets 409 naming who corrected first and when. The audit entry records who, when and the
versions; the previous text lives in the case-step note, which a deletion of the customer's
data empties (the audit log never holds what was said)."""

from __future__ import annotations

from datetime import timedelta, timezone

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from copilot.desk.cases import step
from copilot.desk.common import DeskError, audit, aware
from copilot.desk.tables import AuditEntry, Escalation, Message, User

PREFIX = "【更正】"
_BEIJING = timezone(timedelta(hours=8))


def correct(
    session: Session, esc: Escalation, user: User, text: str, *, version: int
) -> Escalation:
    """Replace the answer of `esc` (read at `version`) with `text` and deliver it."""
    if esc.status not in ("answered", "closed"):
        raise DeskError("工单尚未答复：请先发送答复，答复后才能更正", status=409)
    previous = esc.answer or ""
    won = session.execute(
        update(Escalation)
        .where(
            Escalation.id == esc.id,
            Escalation.answer_version == version,
            Escalation.status.in_(("answered", "closed")),
        )
        .values(answer=text, answer_version=version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        session.rollback()
        raise DeskError(
            f"答复已被{corrector(session, esc.id)}更正，请刷新后在最新答复上更正", status=409
        )
    session.add(
        Message(
            conversation_id=esc.conversation_id,
            role="pharmacist",
            text=PREFIX + text,
            author_id=user.id,
        )
    )
    audit(
        session,
        user,
        "escalation.answer_corrected",
        "escalation",
        esc.id,
        version=version + 1,
        previous_version=version,
        length=len(text),
    )
    step(session, esc, "resolve", user, note=f"更正答复（第{version}版原文：{previous}）")
    session.flush()
    session.refresh(esc)
    return esc


def corrector(session: Session, escalation_id: int) -> str:
    """Who last corrected the answer, and when (Beijing time), for 409 messages."""
    session.expire_all()
    entry = session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.action == "escalation.answer_corrected",
            AuditEntry.entity_id == str(escalation_id),
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()
    if entry is None:
        return "其他药师"
    user = session.get(User, entry.user_id) if entry.user_id else None
    at = aware(entry.at).astimezone(_BEIJING) if entry.at else None
    when = f"（北京时间{at:%H:%M}）" if at else ""
    return f"药师{user.display_name}{when}" if user else f"其他药师{when}"
