"""The user's own account: change the password (every other session ends), rotate the API
token (shown once). A one-time password (the first admin's, a new user's, an admin's reset) is
replaced on /account/password before any other page or API call works."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from copilot.desk.auth import AuthError, change_password, rotate_token
from copilot.desk.service import audit
from copilot.desk.tables import User
from copilot.web.pages.render import back, render
from copilot.web.params import FormField
from copilot.web.session import check_csrf, one_time_expired, page_user, page_user_pending

router = APIRouter(include_in_schema=False)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, user: User = Depends(page_user)):
    return render(request, "account.html", user, new_token=None)


@router.get("/account/password", response_class=HTMLResponse)
def password_page(request: Request, user: User = Depends(page_user_pending)):
    """The forced change of a one-time password (others change theirs on /account)."""
    if not user.must_change_password:
        return back("/account", request)
    # no navigation and no live banner here: nothing else works until the password is set
    return render(request, "password.html", None, me=user, expired=one_time_expired(request, user))


@router.post("/account/password")
def account_password(
    request: Request,
    csrf_token: FormField = "",
    old_password: FormField = "",
    new_password: FormField = "",
    confirm_password: FormField = "",
    user: User = Depends(page_user_pending),
):
    check_csrf(request, csrf_token)
    again = "/account/password" if user.must_change_password else "/account"
    if new_password != confirm_password:
        return back(again, request, "两次输入的新密码不一致，密码未修改")
    try:
        with request.app.state.db.session() as s:
            me = s.get(User, user.id)
            hours = request.app.state.settings.server.one_time_password_hours
            epoch = change_password(
                s, me, old_password, new_password, one_time_password_hours=hours
            )
            audit(s, me, "user.password_changed", "user", me.id)
    except AuthError as exc:
        return back(again, request, f"密码未修改：{exc}")
    request.session["epoch"] = epoch  # this browser stays signed in; every other session ends
    if user.must_change_password:
        home = "/escalations" if user.role == "pharmacist" else "/"
        return back(home, request, "新密码已设置，欢迎使用")
    return back("/account", request, "密码已修改；您在其他设备上的登录已失效")


@router.post("/account/token", response_class=HTMLResponse)
def account_token(request: Request, csrf_token: FormField = "", user: User = Depends(page_user)):
    check_csrf(request, csrf_token)
    with request.app.state.db.session() as s:
        me = s.get(User, user.id)
        token = rotate_token(s, me)
        audit(s, me, "user.token_rotated", "user", me.id)
    return render(request, "account.html", user, new_token=token)
