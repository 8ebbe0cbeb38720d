"""Log in and out."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from copilot.desk.auth import AuthError, authenticate
from copilot.desk.service import audit
from copilot.web.pages.render import back, render
from copilot.web.session import check_csrf

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/"):
    return render(request, "login.html", None, next=next if next.startswith("/") else "/")


@router.post("/login")
def login(
    request: Request,
    username: str = Form(...),
    password: str = Form(...),
    csrf_token: str = Form(""),
    next: str = Form("/"),
):
    check_csrf(request, csrf_token)
    try:
        with request.app.state.db.session() as s:
            user = authenticate(s, username.strip(), password)
            audit(s, user, "user.login", "user", user.id)
            user_id = user.id
    except AuthError as exc:
        return render(request, "login.html", None, status_code=401, error=str(exc), next=next)
    request.session.clear()
    request.session["user_id"] = user_id
    return back(next if next.startswith("/") else "/", request)


@router.post("/logout")
def logout(request: Request, csrf_token: str = Form("")):
    check_csrf(request, csrf_token)
    request.session.clear()
    return back("/login", request)
