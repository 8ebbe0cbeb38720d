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


def hash_password(password: str) -> str:
    if len(password) < 10:
        raise AuthError("passwords need at least 10 characters")
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def check_password(password: str, hashed: str) -> bool:
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
    if user is None or not check_password(password, user.password_hash):
        raise AuthError("用户名或密码错误")
    return user


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
