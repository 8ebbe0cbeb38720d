"""Log in and out. The address a failed login is counted against is the client's, as the proxy
headers middleware resolved it (copilot.web.proxy)."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select, update

from copilot.desk.auth import AuthError, LoginThrottle, authenticate
from copilot.desk.service import audit
from copilot.desk.tables import User
from copilot.errors import OneTimePasswordExpired
from copilot.web.pages.render import back, render
from copilot.web.session import check_csrf

router = APIRouter(include_in_schema=False)


def safe_next(target: str) -> str:
    """Where to go after login: a path on this site only (not //evil.example or /\\evil)."""
    if not target.startswith("/") or target.startswith(("//", "/\\")) or "://" in target:
        return "/"
    return target


def _throttle(request: Request) -> LoginThrottle:
    state = request.app.state
    if getattr(state, "login_throttle", None) is None:
        state.login_throttle = LoginThrottle()
    return state.login_throttle


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/"):
    return render(request, "login.html", None, next=safe_next(next))


@router.post("/login")
def login(
    request: Request,
    username: str = Form(...),
    password: str = Form(...),
    csrf_token: str = Form(""),
    next: str = Form("/"),
):
    check_csrf(request, csrf_token)
    throttle = _throttle(request)
    keys = (
        f"user:{username.strip().lower()}",
        f"ip:{request.client.host if request.client else '-'}",
    )
    if throttle.blocked(*keys):
        return render(
            request,
            "login.html",
            None,
            status_code=429,
            error="登录失败次数过多，请15分钟后再试，或联系管理员重置密码",
            next=safe_next(next),
        )
    hours = request.app.state.settings.server.one_time_password_hours
    try:
        with request.app.state.db.session() as s:
            user = authenticate(s, username.strip(), password, one_time_password_hours=hours)
            audit(s, user, "user.login", "user", user.id)
            user_id, epoch, role = user.id, user.session_epoch, user.role
            must_change = user.must_change_password
    except AuthError as exc:
        throttle.failed(*keys)
        if isinstance(exc, OneTimePasswordExpired):  # the password was right: say so, audited
            _audit_expired(request, username.strip())
        return render(
            request, "login.html", None, status_code=401, error=str(exc), next=safe_next(next)
        )
    throttle.succeeded(*keys)
    request.session.clear()
    request.session["user_id"] = user_id
    request.session["epoch"] = epoch
    target = safe_next(next)
    if must_change:
        target = "/account/password"  # a one-time password: nothing else until it is replaced
    elif target == "/" and role == "pharmacist":
        target = "/escalations"  # a pharmacist's work starts at their queue
    return back(target, request)


def _audit_expired(request: Request, username: str) -> None:
    with request.app.state.db.session() as s:
        user_id = s.scalar(select(User.id).where(User.username == username))
        audit(s, None, "user.one_time_password_expired", "user", user_id)


@router.post("/logout")
def logout(request: Request, csrf_token: str = Form("")):
    """Ends every session of this user, not only this browser's cookie (a copied cookie stops
    working too)."""
    check_csrf(request, csrf_token)
    user_id = request.session.get("user_id")
    if user_id is not None:
        with request.app.state.db.session() as s:
            s.execute(
                update(User).where(User.id == user_id).values(session_epoch=User.session_epoch + 1)
            )
            audit(s, None, "user.logout", "user", user_id)
    request.session.clear()
    return back("/login", request)
