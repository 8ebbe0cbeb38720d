"""What admins do to accounts: list, add, deactivate and reactivate, reset a password, rotate
a token. The one path for the 用户管理 page and `copilot users …`; every action is audited.

`actor` is the admin doing it, or None for the server's console (the CLI, which runs with the
database's own access). An admin cannot deactivate themself, and the last active admin stays
active. Deactivating ends the user's sessions and drops their API token; a reset password is
one-time (its owner must set their own at the next login, within
`server.one_time_password_hours`) and ends their sessions too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from copilot.desk.auth import (
    ONE_TIME_PASSWORD_HOURS,
    add_user,
    one_time_password_expired,
    rotate_token,
)
from copilot.desk.passwords import hash_password, one_time_password
from copilot.desk.service import audit
from copilot.desk.tables import AuditEntry, User, now
from copilot.errors import AuthError

# Audit actions that change an account (logins and logouts are not changes).
ACCOUNT_ACTIONS = {
    "user.created": "创建账户",
    "user.deactivated": "停用",
    "user.activated": "重新启用",
    "user.password_reset": "管理员重置密码",
    "user.password_changed": "本人修改密码",
    "user.token_rotated": "更换 API 令牌",
}


@dataclass(frozen=True)
class AccountRow:
    """One line of the user list."""

    id: int
    username: str
    display_name: str
    role: str
    active: bool
    must_change_password: bool
    one_time_password_expired: bool  # unchanged past server.one_time_password_hours
    has_token: bool
    changed_at: datetime
    change: str


def _require_admin(actor: User | None) -> None:
    if actor is not None and actor.role != "admin":
        raise AuthError("需要管理员权限才能管理用户（admins only）", status=403)


def find_user(session: Session, ref: int | str) -> User:
    """A user by id (the pages) or username (the CLI)."""
    if isinstance(ref, int):
        user = session.get(User, ref)
    else:
        user = session.scalar(select(User).where(User.username == ref.strip()))
    if user is None:
        raise AuthError(f"没有用户 {ref}：请核对用户名（no such user）", status=404)
    return user


def list_users(
    session: Session,
    *,
    actor: User | None,
    one_time_password_hours: float = ONE_TIME_PASSWORD_HOURS,
) -> list[AccountRow]:
    """Every user with their latest account change (from the audit log; creation otherwise)
    and whether a one-time password they still hold has expired."""
    _require_admin(actor)
    latest: dict[str, AuditEntry] = {}
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity == "user", AuditEntry.action.in_(ACCOUNT_ACTIONS))
        .order_by(AuditEntry.id)
    )
    for entry in entries:
        latest[entry.entity_id] = entry
    rows = []
    for user in session.scalars(select(User).order_by(User.active.desc(), User.username)):
        entry = latest.get(str(user.id))
        rows.append(
            AccountRow(
                id=user.id,
                username=user.username,
                display_name=user.display_name,
                role=user.role,
                active=user.active,
                must_change_password=user.must_change_password,
                one_time_password_expired=one_time_password_expired(
                    user, hours=one_time_password_hours
                ),
                has_token=user.token_hash is not None,
                changed_at=entry.at if entry else user.created_at,
                change=ACCOUNT_ACTIONS[entry.action] if entry else ACCOUNT_ACTIONS["user.created"],
            )
        )
    return rows


def create_account(
    session: Session,
    *,
    actor: User | None,
    username: str,
    role: str,
    display_name: str = "",
    password: str | None = None,
) -> tuple[User, str, str]:
    """A new user and an API token, both returned to show once. Without `password` (always on
    the page) a one-time password is generated, which its owner replaces at the first login."""
    _require_admin(actor)
    user, password, token = add_user(
        session, username=username, role=role, display_name=display_name, password=password
    )
    audit(session, actor, "user.created", "user", user.id, role=role, via=_via(actor))
    return user, password, token


def set_active(session: Session, *, actor: User | None, ref: int | str, active: bool) -> User:
    """Deactivate (sessions end, the token is dropped) or reactivate (a new token is needed)."""
    _require_admin(actor)
    user = find_user(session, ref)
    if user.active == active:
        return user
    if not active:
        if actor is not None and actor.id == user.id:
            raise AuthError("不能停用自己的账户：请让另一位管理员操作", status=409)
        if user.role == "admin" and not _other_active_admins(session, user):
            raise AuthError(
                "这是最后一个启用的管理员，不能停用：请先添加或启用另一位管理员", status=409
            )
        user.token_hash = None
        user.session_epoch = (user.session_epoch or 0) + 1
    user.active = active
    session.flush()
    action = "user.activated" if active else "user.deactivated"
    audit(session, actor, action, "user", user.id, via=_via(actor))
    return user


def reset_password(session: Session, *, actor: User | None, ref: int | str) -> tuple[User, str]:
    """A new one-time password (returned to show once, valid for
    `server.one_time_password_hours` from now); the user's sessions end and they must set their
    own password at the next login. Also how an expired one-time password is renewed."""
    _require_admin(actor)
    user = find_user(session, ref)
    password = one_time_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.one_time_password_at = now()
    user.session_epoch = (user.session_epoch or 0) + 1
    session.flush()
    audit(session, actor, "user.password_reset", "user", user.id, via=_via(actor))
    return user, password


def rotate_account_token(
    session: Session, *, actor: User | None, ref: int | str
) -> tuple[User, str]:
    """A new API token for the user (returned to show once); the old one stops working."""
    _require_admin(actor)
    user = find_user(session, ref)
    if not user.active:
        raise AuthError("账户已停用：请先重新启用，再生成令牌", status=409)
    token = rotate_token(session, user)
    audit(session, actor, "user.token_rotated", "user", user.id, by_admin=True, via=_via(actor))
    return user, token


def _other_active_admins(session: Session, user: User) -> list[int]:
    """The other active admins. On PostgreSQL every active admin row (this one included) is
    locked until the transaction ends, so of two admins deactivating each other at once the
    second waits, sees the first's change and is refused. SQLite writes one at a time."""
    query = select(User.id).where(User.role == "admin", User.active.is_(True))
    if session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update()
    return [uid for uid in session.scalars(query) if uid != user.id]


def _via(actor: User | None) -> str:
    return "page" if actor is not None else "cli"
