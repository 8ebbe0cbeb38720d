"""The agent's own reply after rejecting a suggestion: the text they typed instead of the draft,
checked by the same verifier as an edit (service.Desk.reply), sent once per rejected
suggestion and recorded as the agent's message with an audit entry.

One reply per rejection: the suggestion moves from `rejected` to `replied` by a conditional
update, so of two agents replying at once the second gets 409 naming the first."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from copilot.desk.common import DeskError, agent_name, audit, moved
from copilot.desk.tables import AuditEntry, Message, SuggestionRow, User
from copilot.pipeline import customer_text
from copilot.schemas import VerifierResult

REPLIED = "replied"


def send(
    session: Session, row: SuggestionRow, user: User, text: str, verification: VerifierResult
) -> Message:
    """Deliver `text` as `user`'s reply to the customer of the rejected suggestion `row`."""
    if not moved(session, SuggestionRow, row.id, "rejected", REPLIED):
        session.rollback()
        raise DeskError(f"{replier(session, row.id)}已自行回复该顾客，请勿重复发送", status=409)
    msg = Message(
        conversation_id=row.conversation_id,
        role="agent",
        text=customer_text(text),  # the customer gets no [n] markers
        author_id=user.id,
    )
    session.add(msg)
    audit(
        session,
        user,
        "suggestion.replied",
        "suggestion",
        row.id,
        length=len(text),
        verifier_outcome=verification.outcome,
    )
    session.flush()
    return msg


def replier(session: Session, suggestion_id: str) -> str:
    """Who sent the own reply to a suggestion (from the audit log, for 409 messages)."""
    entry = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "suggestion.replied", AuditEntry.entity_id == suggestion_id)
        .order_by(AuditEntry.id)
        .limit(1)
    ).first()
    user = session.get(User, entry.user_id) if entry and entry.user_id else None
    return agent_name(user.display_name) if user else "其他客服"
