"""用户管理 (admins): the user list; add a user, deactivate and reactivate, reset a password,
rotate a token. Passwords and tokens are shown once, on the page answering the form (never in
the flash message, which travels in the signed but readable session cookie)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse

from copilot.desk import accounts
from copilot.desk.auth import CHAT, ROLES
from copilot.desk.tables import User
from copilot.errors import AuthError
from copilot.web.pages.render import back, render
from copilot.web.params import FormField
from copilot.web.session import check_csrf, page_user

router = APIRouter(include_in_schema=False)
UserId = Annotated[int, Path(ge=1, le=2**63 - 1, description="User id.")]


def _page(request: Request, user: User, issued: dict | None = None, status_code: int = 200):
    hours = request.app.state.settings.server.one_time_password_hours
    with request.app.state.db.session() as s:
        rows = accounts.list_users(s, actor=user, one_time_password_hours=hours)
    return render(
        request,
        "users.html",
        user,
        status_code=status_code,
        rows=rows,
        roles=ROLES,
        issued=issued,
        one_time_password_hours=hours,
    )


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, user: User = Depends(page_user)):
    return _page(request, user)


@router.post("/users", response_class=HTMLResponse)
def add(
    request: Request,
    csrf_token: FormField = "",
    username: FormField = "",
    display_name: FormField = "",
    role: FormField = "agent",
    user: User = Depends(page_user),
):
    check_csrf(request, csrf_token)
    try:
        with request.app.state.db.session() as s:
            new, password, token = accounts.create_account(
                s, actor=user, username=username, role=role, display_name=display_name
            )
            # the chat system signs in with its token only: no password to show
            shown = None if new.role == CHAT else password
            issued = {"what": "新用户", "username": new.username, "password": shown}
            issued["token"] = token
    except AuthError as exc:
        if exc.status == 403:
            raise  # not an admin: the error page, not a flash on a page they cannot open
        return back("/users", request, f"未添加用户：{exc}")
    return _page(request, user, issued)


@router.post("/users/{user_id}/deactivate")
def deactivate(
    user_id: UserId, request: Request, csrf_token: FormField = "", user: User = Depends(page_user)
):
    return _set_active(request, user, user_id, csrf_token, active=False)


@router.post("/users/{user_id}/activate")
def activate(
    user_id: UserId, request: Request, csrf_token: FormField = "", user: User = Depends(page_user)
):
    return _set_active(request, user, user_id, csrf_token, active=True)


def _set_active(request: Request, user: User, user_id: int, csrf_token: str, *, active: bool):
    check_csrf(request, csrf_token)
    try:
        with request.app.state.db.session() as s:
            target = accounts.set_active(s, actor=user, ref=user_id, active=active)
            name = target.username
    except AuthError as exc:
        if exc.status == 403:
            raise
        return back("/users", request, f"未完成：{exc}")
    if active:
        done = "已重新启用（如需调用接口，请为其生成新令牌）"
    else:
        done = "已停用，其登录和令牌均已失效"
    return back("/users", request, f"用户 {name} {done}")


@router.post("/users/{user_id}/reset-password", response_class=HTMLResponse)
def reset_password(
    user_id: UserId, request: Request, csrf_token: FormField = "", user: User = Depends(page_user)
):
    check_csrf(request, csrf_token)
    with request.app.state.db.session() as s:
        target, password = accounts.reset_password(s, actor=user, ref=user_id)
        issued = {"what": "一次性密码", "username": target.username, "password": password}
    return _page(request, user, issued)


@router.post("/users/{user_id}/token", response_class=HTMLResponse)
def rotate_token(
    user_id: UserId, request: Request, csrf_token: FormField = "", user: User = Depends(page_user)
):
    check_csrf(request, csrf_token)
    try:
        with request.app.state.db.session() as s:
            target, token = accounts.rotate_account_token(s, actor=user, ref=user_id)
            issued = {"what": "新 API 令牌", "username": target.username, "token": token}
    except AuthError as exc:
        if exc.status == 403:
            raise
        return back("/users", request, f"未生成令牌：{exc}")
    return _page(request, user, issued)
