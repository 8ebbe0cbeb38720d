"""What the desk modules share: the desk's error, the role check, the audit entry, UTC times
read back from the database and the queue's rank. Imports nothing else of the desk but its
tables, so every desk module (service, cases, records, privacy, adr …) can use it without a
cycle."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from copilot.desk.tables import AuditEntry, User
from copilot.errors import CopilotError
from copilot.schemas import ROLE_NAMES, TIER_ORDER


class DeskError(CopilotError):
    """A desk action that cannot be done; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400, *, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field  # the request field at fault, named in the JSON error
        self.problem = message


def require(user: User, *roles: str) -> None:
    """Refuse (403) a user whose role is none of `roles`; an admin may do everything."""
    if user.role not in roles and user.role != "admin":
        need = "或".join(ROLE_NAMES.get(r, r) for r in roles)
        raise DeskError(
            f"需要{need}权限（当前：{ROLE_NAMES.get(user.role, user.role)}）", status=403
        )


def require_licensed(user: User) -> None:
    """Refuse (403) anyone but a pharmacist: claiming a case and answering or correcting it
    are a licensed pharmacist's acts (执业药师), shown to the customer under that title, so an
    admin may not do them."""
    if user.role != "pharmacist":
        raise DeskError(
            f"需要执业药师本人操作（当前：{ROLE_NAMES.get(user.role, user.role)}）："
            "认领、答复和更正以执业药师名义发送给顾客",
            status=403,
        )


def queue_rank(tier: str) -> int:
    """Stored with each escalation so the queue sorts ascending: emergency first."""
    return max(TIER_ORDER.values()) - TIER_ORDER[tier]


def aware(dt: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes: they are UTC."""
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def audit(session: Session, user: User | None, action: str, entity: str, entity_id, **detail):
    """Append one entry to the append-only audit log: who, what, on which entity, when."""
    session.add(
        AuditEntry(
            user_id=user.id if user else None,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            detail=detail,
        )
    )


def moved(session: Session, model, row_id, status_from: str, status_to: str) -> bool:
    """Move the row from one status to another in one conditional update: of two concurrent
    actions exactly one finds the row still in `status_from` (the other gets False, and the
    caller answers 409 naming who got there first)."""
    return (
        session.execute(
            update(model)
            .where(model.id == row_id, model.status == status_from)
            .values(status=status_to)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )


def agent_name(display_name: str) -> str:
    """客服 and the name, once (a display name may carry the title: 客服小李, not 客服客服小李)."""
    return display_name if display_name.startswith("客服") else f"客服{display_name}"
