"""Users, password hashing (bcrypt), API tokens, roles."""

from __future__ import annotations

import hashlib
import secrets

import bcrypt
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from copilot.desk.tables import User
from copilot.errors import CopilotError

ROLES = ("agent", "pharmacist", "admin")


class AuthError(CopilotError):
    """Wrong credentials or not allowed."""


# bcrypt reads at most 72 bytes; a longer password is refused with a clear error rather than
# truncated silently or crashing.
MAX_PASSWORD_BYTES = 72
# Compared against when the username is unknown, so a wrong name takes as long as a wrong
# password (no user enumeration by timing).
_DUMMY_HASH = bcrypt.hashpw(b"no-such-user-password", bcrypt.gensalt()).decode()


def hash_password(password: str) -> str:
    if len(password) < 10:
        raise AuthError("密码至少需要10个字符（passwords need at least 10 characters）")
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise AuthError(
            f"密码过长：最多{MAX_PASSWORD_BYTES}字节（passwords may be at most "
            f"{MAX_PASSWORD_BYTES} bytes）"
        )
    if len(set(password)) < 4:
        raise AuthError("密码过于简单：至少需要4个不同的字符（at least 4 different characters）")
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def check_password(password: str, hashed: str) -> bool:
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        return False
    try:
        return bcrypt.checkpw(password.encode(), hashed.encode())
    except ValueError:
        return False


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(
    session: Session,
    *,
    username: str,
    role: str,
    password: str | None = None,
    display_name: str | None = None,
) -> tuple[User, str, str]:
    """Create a user. Returns (user, password, api token); a password is generated when none is
    given. Both are shown once and stored only as hashes."""
    if role not in ROLES:
        raise AuthError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    if session.scalar(select(User).where(User.username == username)):
        raise AuthError(f"user {username!r} already exists")
    password = password or secrets.token_urlsafe(12)
    token = "cpt_" + secrets.token_urlsafe(24)
    user = User(
        username=username,
        display_name=display_name or username,
        role=role,
        password_hash=hash_password(password),
        token_hash=token_digest(token),
    )
    session.add(user)
    session.flush()
    return user, password, token


def authenticate(session: Session, username: str, password: str) -> User:
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    ok = check_password(password, user.password_hash if user else _DUMMY_HASH)
    if user is None or not ok:
        raise AuthError("用户名或密码错误")
    return user


def change_password(session: Session, user: User, old: str, new: str) -> int:
    """Set a new password after checking the old one; every other session of the user ends
    (the epoch moves on). Returns the new session epoch for the caller's own session."""
    if not check_password(old, user.password_hash):
        raise AuthError("原密码不正确")
    if new == old:
        raise AuthError("新密码不能与原密码相同")
    user.password_hash = hash_password(new)
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
    password is baked in). Returns (username, password) when one was created."""
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
