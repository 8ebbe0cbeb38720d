"""Who is calling: session cookies for pages (with a CSRF token per session), bearer tokens
for the API. Role checks happen in the desk service, on the server."""

from __future__ import annotations

import contextlib
import hmac
import os
import secrets
from pathlib import Path

from fastapi import HTTPException, Request

from copilot.desk.auth import user_for_token
from copilot.desk.tables import User
from copilot.settings import Settings


def session_secret(settings: Settings) -> str:
    if settings.server.session_secret:
        return settings.server.session_secret
    path: Path = settings.home / "session.key"
    if not path.exists():
        # Several workers start at once on a fresh home: the key is written aside and linked
        # into place, so exactly one key wins and every worker reads that one (a worker with
        # its own key would refuse the others' cookies).
        settings.home.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"session.key.{os.getpid()}.tmp")
        tmp.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        tmp.chmod(0o600)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
        tmp.unlink()
    return path.read_text(encoding="utf-8").strip()


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise HTTPException(status_code=403, detail="CSRF 校验失败：请刷新页面后重试")


def session_user(request: Request) -> User | None:
    user_id = request.session.get("user_id")
    if user_id is None:
        return None
    with request.app.state.db.session() as s:
        user = s.get(User, user_id)
        if user is None or not user.active:
            return None
        if request.session.get("epoch") != user.session_epoch:
            return None  # logged out (or password changed) since this cookie was issued
        return user


class LoginRequired(Exception):
    """Raised by page dependencies; the app turns it into a redirect to /login."""


def page_user(request: Request) -> User:
    user = session_user(request)
    if user is None:
        raise LoginRequired()
    return user


def api_user(request: Request) -> User:
    """Bearer token, or the page session plus its CSRF header (for the pages' own scripts)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        with request.app.state.db.session() as s:
            user = user_for_token(s, header[7:].strip())
        if user is None:
            raise HTTPException(
                status_code=401, detail="令牌无效", headers={"WWW-Authenticate": "Bearer"}
            )
        return user
    user = session_user(request)
    if user is None:
        raise HTTPException(
            status_code=401, detail="需要登录或 Bearer 令牌", headers={"WWW-Authenticate": "Bearer"}
        )
    check_csrf(request, request.headers.get("x-csrf-token"))
    return user


def api_caller(request: Request) -> User | None:
    """Who may call the stateless API (search, suggest): with the desk, a user (token or
    session, as `api_user`); without it, the configured service token (COPILOT_SERVER__API_TOKEN).
    Nobody anonymous: a suggest call can spend LLM tokens and reads the knowledge base."""
    if getattr(request.app.state, "db", None) is not None:
        return api_user(request)
    expected = request.app.state.settings.server.api_token
    header = request.headers.get("authorization", "")
    given = header[7:].strip() if header.lower().startswith("bearer ") else ""
    if not expected:
        raise HTTPException(
            status_code=401,
            detail="无状态 API 需要令牌：请设置 COPILOT_SERVER__API_TOKEN 并以 Bearer 方式携带",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not given or not hmac.compare_digest(expected.encode(), given.encode()):
        raise HTTPException(
            status_code=401, detail="令牌无效", headers={"WWW-Authenticate": "Bearer"}
        )
    return None
