"""Users, API tokens, roles, logins. Passwords (policy, argon2, bcrypt migration) are in
`copilot.desk.passwords`; what admins do to other accounts is in `copilot.desk.accounts`.

A one-time password (the first admin's, a new user's generated one, an admin's reset) is dated
(`users.one_time_password_at`) and logs in for `server.one_time_password_hours`; after that,
still unchanged, the right password gets `OneTimePasswordExpired` and a wrong one the usual
refusal, so the expiry tells nothing to someone who does not already hold the password."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from copilot.desk.passwords import (
    burn_time,
    check_password,
    hash_password,
    one_time_password,
    verify_password,
)
from copilot.desk.tables import User, now
from copilot.errors import AuthError, OneTimePasswordExpired
from copilot.settings import ServerSettings

# chat: the pharmacy's chat system, a service, not a person: it posts customer messages and
# reads the replies with its API token, never signs in to the pages, and has no password to
# change (its generated password is never used)
CHAT = "chat"
ROLES = ("agent", "pharmacist", "admin", CHAT)
ONE_TIME_PASSWORD_HOURS = ServerSettings.model_fields["one_time_password_hours"].default
__all__ = ["ROLES", "AuthError", "add_user", "authenticate", "check_password", "hash_password"]


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(
    session: Session,
    *,
    username: str,
    role: str,
    password: str | None = None,
    display_name: str | None = None,
    must_change: bool | None = None,
) -> tuple[User, str, str]:
    """Create a user. Returns (user, password, api token); a password is generated when none is
    given. Both are shown once and stored only as hashes. A generated password is one-time: its
    owner must set their own at the first login (`must_change` defaults to that)."""
    if role not in ROLES:
        choices = ", ".join(ROLES)
        raise AuthError(f"角色无效：{role}（unknown role {role!r}: choose one of {choices}）")
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() or c in "/\\" for c in username):
        raise AuthError(
            "用户名需为1–64个字符，不含空格和斜杠（username: 1–64 characters, no spaces）"
        )
    if session.scalar(select(User).where(User.username == username)):
        raise AuthError(f"用户 {username} 已存在（user {username!r} already exists）", status=409)
    generated = password is None
    password = one_time_password() if generated else password
    token = "cpt_" + secrets.token_urlsafe(24)
    one_time = generated if must_change is None else must_change
    if role == CHAT:
        one_time = False  # a service signs in with its token only: nothing to change
    user = User(
        username=username,
        display_name=(display_name or "").strip() or username,
        role=role,
        password_hash=hash_password(password, username=username),
        token_hash=token_digest(token),
        must_change_password=one_time,
        one_time_password_at=now() if one_time else None,
    )
    session.add(user)
    session.flush()
    return user, password, token


def one_time_password_expired(
    user: User, *, hours: float = ONE_TIME_PASSWORD_HOURS, at: datetime | None = None
) -> bool:
    """Whether the user's password is a one-time password issued more than `hours` ago (at
    `at`, default now). A one-time password with no date (written by hand into the table) is
    dated by the account's creation."""
    if not user.must_change_password:
        return False
    issued = user.one_time_password_at or user.created_at
    if issued is None:
        return False  # not flushed yet: issued this very moment
    if issued.tzinfo is None:  # SQLite gives the stored UTC time back without its zone
        issued = issued.replace(tzinfo=UTC)
    return (at or datetime.now(UTC)) - issued > timedelta(hours=hours)


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    one_time_password_hours: float = ONE_TIME_PASSWORD_HOURS,
) -> User:
    """The active user with this password. An unknown or deactivated name costs the same hash
    check as a wrong password. The right one-time password issued more than
    `one_time_password_hours` ago raises `OneTimePasswordExpired` (only after the hash check:
    no hint without the password). A bcrypt hash (earlier versions) is replaced by argon2 here."""
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None or user.role == CHAT:
        burn_time(password)  # a service account never signs in: the same answer, the same time
        raise AuthError("用户名或密码错误", status=401)
    ok, rehashed = verify_password(password, user.password_hash)
    if not ok:
        raise AuthError("用户名或密码错误", status=401)
    if one_time_password_expired(user, hours=one_time_password_hours):
        raise OneTimePasswordExpired()
    if rehashed:
        user.password_hash = rehashed
        session.flush()
    return user


def change_password(
    session: Session,
    user: User,
    old: str,
    new: str,
    *,
    one_time_password_hours: float = ONE_TIME_PASSWORD_HOURS,
) -> int:
    """Set a new password after checking the old one; every other session of the user ends
    (the epoch moves on). Returns the new session epoch for the caller's own session. An
    expired one-time password cannot be changed either (`OneTimePasswordExpired`): a session
    opened with it before it expired does not outlive it."""
    if not check_password(old, user.password_hash):
        raise AuthError("原密码不正确")
    if one_time_password_expired(user, hours=one_time_password_hours):
        raise OneTimePasswordExpired()
    if new == old:
        raise AuthError("新密码不能与原密码相同")
    user.password_hash = hash_password(new, username=user.username)
    user.must_change_password = False
    user.one_time_password_at = None
    user.session_epoch = (user.session_epoch or 0) + 1
    session.flush()
    return user.session_epoch


def rotate_token(session: Session, user: User) -> str:
    """A new API token for the user (shown once, stored as a hash); the old one stops working."""
    token = "cpt_" + secrets.token_urlsafe(24)
    user.token_hash = token_digest(token)
    session.flush()
    return token


class LoginThrottle:
    """Failed logins per username and per address: after `limit` failures within `window`
    seconds, further tries are refused until the window has passed (in-process: per worker)."""

    def __init__(self, limit: int = 5, window: float = 900.0) -> None:
        import threading

        self.limit, self.window = limit, window
        self._fails: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> list[float]:
        kept = [t for t in self._fails.get(key, []) if now - t < self.window]
        self._fails[key] = kept
        return kept

    def blocked(self, *keys: str) -> bool:
        import time

        now = time.monotonic()
        with self._lock:
            return any(len(self._recent(k, now)) >= self.limit for k in keys)

    def failed(self, *keys: str) -> None:
        import time

        now = time.monotonic()
        with self._lock:
            for k in keys:
                self._recent(k, now).append(now)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for k in keys:
                self._fails.pop(k, None)


def user_for_token(session: Session, token: str) -> User | None:
    return session.scalar(
        select(User).where(User.token_hash == token_digest(token), User.active.is_(True))
    )


def ensure_first_admin(session: Session) -> tuple[str, str] | None:
    """On an empty database, create `admin` with a one-time random password (no default
    password is baked in), to be changed at the first login. Returns (username, password) when
    one was created; the caller shows it once on the console, never through logging."""
    if session.scalar(select(User.id).limit(1)) is not None:
        return None
    try:
        with session.begin_nested():  # another worker may be doing the same right now
            _, password, _ = add_user(
                session, username="admin", role="admin", display_name="管理员"
            )
    except (AuthError, IntegrityError):
        return None
    return "admin", password
