"""Who is calling: session cookies for pages (with a CSRF token per session), bearer tokens
for the API. Role checks happen in the desk service, on the server."""

from __future__ import annotations

import contextlib
import hmac
import os
import re
import secrets
from pathlib import Path

from fastapi import HTTPException, Request
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from copilot.desk.auth import CHAT, one_time_password_expired, user_for_token
from copilot.desk.tables import User
from copilot.errors import OneTimePasswordExpired
from copilot.settings import Settings, private


def session_secret(settings: Settings) -> str:
    if settings.server.session_secret:
        return settings.server.session_secret
    path: Path = settings.home / "session.key"
    if not path.exists():
        # Several workers start at once on a fresh home: the key is written aside (owner-only
        # from the first byte) and linked into place, so exactly one key wins and every worker
        # reads that one (a worker with its own key would refuse the others' cookies).
        settings.ensure_home()
        tmp = path.with_name(f"session.key.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(48))
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
        tmp.unlink()
    private(path)
    return path.read_text(encoding="utf-8").strip()


class SessionCookies:
    """Starlette's session middleware with the cookie marked Secure when `always_secure`
    (COPILOT_SERVER__SECURE_COOKIES) or when the request came over HTTPS: directly, or through
    a trusted proxy's X-Forwarded-Proto (copilot.web.proxy). Both variants share the secret,
    so a cookie issued by one is read by the other."""

    def __init__(self, app: ASGIApp, *, always_secure: bool, **options) -> None:
        self.plain = SessionMiddleware(app, https_only=always_secure, **options)
        self.secure = SessionMiddleware(app, https_only=True, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        https = scope.get("scheme") in ("https", "wss")
        await (self.secure if https else self.plain)(scope, receive, send)


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


class PasswordChangeRequired(Exception):
    """Raised by page dependencies while the user's password is a one-time password; the app
    turns it into a redirect to the password page (/account/password)."""


PASSWORD_CHANGE_FIRST = (
    "请先修改初始密码：用该账户登录网页，按提示设置新密码后再使用接口"
    "（password change required before any other call）"
)


def one_time_expired(request: Request, user: User) -> bool:
    """Whether the user holds a one-time password past `server.one_time_password_hours`."""
    hours = request.app.state.settings.server.one_time_password_hours
    return one_time_password_expired(user, hours=hours)


def require_own_password(request: Request, user: User) -> User:
    """For the API and the event stream: 403 while the user's password is a one-time password
    (`OneTimePasswordExpired`, the JSON error `OneTimePasswordExpired`, once it has expired)."""
    if user.must_change_password:
        if one_time_expired(request, user):
            raise OneTimePasswordExpired()
        raise HTTPException(status_code=403, detail=PASSWORD_CHANGE_FIRST)
    return user


def page_user_pending(request: Request) -> User:
    """The signed-in user, also one who still has to replace a one-time password (only the
    password page and logout use this)."""
    user = session_user(request)
    if user is None:
        raise LoginRequired()
    return user


def page_user(request: Request) -> User:
    user = page_user_pending(request)
    if user.must_change_password:
        raise PasswordChangeRequired()
    return user


def user_for_bearer(request: Request, token: str) -> User:
    with request.app.state.db.session() as s:
        user = user_for_token(s, token)
    if user is None:
        raise HTTPException(
            status_code=401, detail="令牌无效", headers={"WWW-Authenticate": "Bearer"}
        )
    return user


# What the chat system's token may call: customer messages in, the conversation's messages out.
_CHAT_ROUTES = re.compile(r"^/v1/conversations/[^/]+/messages$")


def api_user(request: Request) -> User:
    """Bearer token, or the page session plus its CSRF header (for the pages' own scripts).
    403 while the user's password is a one-time password (expired or not). The chat system's
    token (role chat) reaches only its own routes."""
    user = require_own_password(request, _api_identity(request))
    if user.role == CHAT and not _CHAT_ROUTES.match(request.url.path):
        raise HTTPException(status_code=403, detail="聊天系统令牌只能传入顾客消息和读取对话消息")
    return user


def _api_identity(request: Request) -> User:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return user_for_bearer(request, header[7:].strip())
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
