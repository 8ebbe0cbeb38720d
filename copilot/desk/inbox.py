"""The conversation list agents work from: each conversation with its customer, last message,
time and state, filtered (mine, waiting, escalated, done) and searched (conversation id,
customer id or message text)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from copilot.desk.tables import Conversation, Escalation, Message, User

FILTERS = {
    "all": "全部",
    "mine": "我处理的",
    "waiting": "待回复",
    "escalated": "转药师中",
    "done": "已结束",
}
_OPEN = ("open", "claimed")
MAX_QUERY = 50
_UNPINNED = 99  # below every tier rank (0 emergency … 2 routine)
_NOT_WAITING = 100  # below every customer still waiting


@dataclass(frozen=True)
class InboxItem:
    id: str
    customer: str
    last_text: str
    last_role: str
    last_at: datetime | None
    tier: str | None  # the open case's tier, if any

    @property
    def waiting(self) -> bool:
        return self.last_role == "customer"

    @property
    def state(self) -> str:
        if self.tier:
            return "escalated"
        return "waiting" if self.waiting else "done"


def _like(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def inbox(
    session: Session, user: User, *, filter: str = "all", q: str = "", limit: int = 50
) -> list[InboxItem]:
    if filter not in FILTERS:
        raise ValueError(f"未知筛选“{filter}”：可选 {'、'.join(FILTERS)}")
    q = q.strip()[:MAX_QUERY]
    # the last message of each listed conversation only (a correlated max over the
    # conversation's index), not a grouping of every message ever stored
    last_id = (
        select(func.max(Message.id))
        .where(Message.conversation_id == Conversation.id)
        .correlate(Conversation)
        .scalar_subquery()
    )
    open_cases = select(Escalation.conversation_id).where(Escalation.status.in_(_OPEN))
    stmt = select(Conversation, Message).join(Message, Message.id == last_id, isouter=True)
    if filter == "mine":
        stmt = stmt.where(
            or_(
                Conversation.id.in_(
                    select(Message.conversation_id).where(Message.author_id == user.id)
                ),
                Conversation.id.in_(
                    select(Escalation.conversation_id).where(Escalation.assignee_id == user.id)
                ),
            )
        )
    elif filter == "waiting":
        stmt = stmt.where(Message.role == "customer")
    elif filter == "escalated":
        stmt = stmt.where(Conversation.id.in_(open_cases))
    elif filter == "done":
        stmt = stmt.where(Message.role != "customer", Conversation.id.not_in(open_cases))
    if q:
        pattern = _like(q)
        stmt = stmt.where(
            or_(
                Conversation.id.like(pattern, escape="\\"),
                Conversation.customer_ref.like(pattern, escape="\\"),
                Conversation.id.in_(
                    select(Message.conversation_id).where(Message.text.like(pattern, escape="\\"))
                ),
            )
        )
    # the customers waiting for the agent first: those with an open case by its tier (an
    # emergency first), then the others, the longest waiting first; then the conversations
    # that wait for nothing from the agent (answered, or the holding reply sent), latest first
    open_rank = (
        select(func.min(Escalation.tier_rank))
        .where(Escalation.conversation_id == Conversation.id, Escalation.status.in_(_OPEN))
        .correlate(Conversation)
        .scalar_subquery()
    )
    waiting = Message.role == "customer"
    order = (
        case((waiting, func.coalesce(open_rank, _UNPINNED)), else_=_NOT_WAITING),
        case((waiting, Message.created_at)).asc(),
        Conversation.updated_at.desc(),
    )
    rows = list(session.execute(stmt.order_by(*order).limit(limit)))
    tiers = dict(
        session.execute(
            select(Escalation.conversation_id, Escalation.tier).where(
                Escalation.conversation_id.in_([c.id for c, _ in rows]),
                Escalation.status.in_(_OPEN),
            )
        ).all()
    )
    return [
        InboxItem(
            id=conv.id,
            customer=conv.customer_ref or conv.id,
            last_text=msg.text if msg else "",
            last_role=msg.role if msg else "",
            last_at=msg.created_at if msg else conv.updated_at,
            tier=tiers.get(conv.id),
        )
        for conv, msg in rows
    ]
