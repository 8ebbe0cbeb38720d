"""The pages agents, pharmacists and admins use (Simplified Chinese, server-rendered Jinja2,
no CDN): login, agent console, pharmacist queue, knowledge pages, dashboard."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from copilot.desk.auth import AuthError, authenticate
from copilot.desk.dashboard import bar_chart, figures
from copilot.desk.service import DeskError, audit, aware, require
from copilot.desk.tables import AgentAction, Conversation, Escalation, Message, SuggestionRow, User
from copilot.ingest.documents import SUPPORTED_SUFFIXES
from copilot.schemas import CartItem, Profile, Suggestion
from copilot.web.session import check_csrf, csrf_token, page_user, session_user

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter(include_in_schema=False)
ROLE_NAMES = {"agent": "客服", "pharmacist": "执业药师", "admin": "管理员"}


def render(request: Request, name: str, user: User | None, status_code: int = 200, **context):
    flash = request.session.pop("flash", None)
    return TEMPLATES.TemplateResponse(
        request,
        name,
        {
            "user": user,
            "role_names": ROLE_NAMES,
            "csrf": csrf_token(request),
            "flash": flash,
            "now": datetime.now(UTC),
            **context,
        },
        status_code=status_code,
    )


def back(url: str, request: Request, flash: str | None = None) -> RedirectResponse:
    if flash:
        request.session["flash"] = flash
    return RedirectResponse(url, status_code=303)


# --- login -------------------------------------------------------------------------------------
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


# --- agent console -----------------------------------------------------------------------------
def _open_escalation_tiers(s) -> dict[str, str]:
    """Conversation id → tier of its open escalation (for the list badges)."""
    return {
        e.conversation_id: e.tier
        for e in s.scalars(select(Escalation).where(Escalation.status != "closed"))
    }


def _conversations(s):
    return list(s.scalars(select(Conversation).order_by(Conversation.updated_at.desc()).limit(50)))


@router.get("/", response_class=HTMLResponse)
def console(request: Request, user: User = Depends(page_user)):
    with request.app.state.db.session() as s:
        open_escalations = _open_escalation_tiers(s)
        return render(
            request,
            "console.html",
            user,
            conversations=_conversations(s),
            escalated=open_escalations,
            conv=None,
        )


@router.post("/conversations/new")
def new_conversation(request: Request, csrf_token: str = Form(""), user: User = Depends(page_user)):
    check_csrf(request, csrf_token)
    return back(f"/c/demo-{uuid.uuid4().hex[:8]}", request)


@router.get("/c/{conversation_id}", response_class=HTMLResponse)
def conversation(conversation_id: str, request: Request, user: User = Depends(page_user)):
    with request.app.state.db.session() as s:
        conv = s.get(Conversation, conversation_id)
        messages = (
            list(
                s.scalars(
                    select(Message)
                    .where(Message.conversation_id == conversation_id)
                    .order_by(Message.id)
                )
            )
            if conv
            else []
        )
        latest = (
            s.scalar(
                select(SuggestionRow)
                .where(SuggestionRow.conversation_id == conversation_id)
                .order_by(SuggestionRow.created_at.desc())
                .limit(1)
            )
            if conv
            else None
        )
        escalation = (
            s.scalar(
                select(Escalation)
                .where(Escalation.conversation_id == conversation_id)
                .order_by(Escalation.id.desc())
                .limit(1)
            )
            if conv
            else None
        )
        open_escalations = _open_escalation_tiers(s)
        if conv is None and not conversation_id.startswith("demo-"):
            raise DeskError(f"找不到对话 {conversation_id}", status=404)
        suggestion = Suggestion.model_validate(latest.payload) if latest else None
        profile = Profile.model_validate(conv.profile) if conv else Profile()
        cart = [CartItem.model_validate(c) for c in conv.cart] if conv else []
        return render(
            request,
            "console.html",
            user,
            conversations=_conversations(s),
            escalated=open_escalations,
            conv=conv,
            conversation_id=conversation_id,
            messages=messages,
            latest=latest,
            suggestion=suggestion,
            escalation=escalation,
            profile=profile,
            cart=cart,
        )


@router.post("/c/{conversation_id}/customer")
def demo_customer_message(
    conversation_id: str,
    request: Request,
    text: str = Form(""),
    csrf_token: str = Form(""),
    user: User = Depends(page_user),
):
    check_csrf(request, csrf_token)
    try:
        request.app.state.desk.receive(conversation_id, text, user=user)
    except DeskError as exc:
        return back(f"/c/{conversation_id}", request, f"未发送：{exc}")
    return back(f"/c/{conversation_id}", request)


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.replace("，", ",").replace("、", ",").split(",") if v.strip()]


@router.post("/c/{conversation_id}/profile")
def update_profile(
    conversation_id: str,
    request: Request,
    csrf_token: str = Form(""),
    age: str = Form(""),
    pregnant: str = Form(""),
    breastfeeding: str = Form(""),
    allergies: str = Form(""),
    conditions: str = Form(""),
    medicines: str = Form(""),
    do_not_use: str = Form(""),
    cart: str = Form(""),
    user: User = Depends(page_user),
):
    check_csrf(request, csrf_token)
    try:
        profile = Profile(
            age_years=float(age) if age.strip() else None,
            pregnant=bool(pregnant),
            breastfeeding=bool(breastfeeding),
            allergies=_split(allergies),
            conditions=_split(conditions),
            current_medicines=_split(medicines),
            do_not_use=_split(do_not_use),
        )
    except ValueError as exc:
        return back(f"/c/{conversation_id}", request, f"档案未保存：{exc}")
    with request.app.state.db.session() as s:
        conv = s.get(Conversation, conversation_id)
        if conv is None:
            conv = Conversation(id=conversation_id)
            s.add(conv)
        conv.profile = profile.model_dump()
        conv.cart = [CartItem(product=p).model_dump() for p in _split(cart)]
        audit(s, user, "conversation.profile_updated", "conversation", conversation_id)
    return back(f"/c/{conversation_id}", request, "顾客档案和购物车已保存（下一条消息起生效）")


@router.post("/s/{suggestion_id}/act")
def act_form(
    suggestion_id: str,
    request: Request,
    csrf_token: str = Form(""),
    action: str = Form("accept"),
    action_button: str = Form(""),
    final_text: str = Form(""),
    reason: str = Form(""),
    confirm_warnings: str = Form(""),
    user: User = Depends(page_user),
):
    check_csrf(request, csrf_token)
    action = action_button or action
    final_text = final_text.replace("\r\n", "\n")
    with request.app.state.db.session() as s:
        row = s.get(SuggestionRow, suggestion_id)
        conv_id = row.conversation_id if row else ""
    if row is None:
        raise DeskError(f"找不到建议 {suggestion_id}", status=404)
    if action == "accept" and final_text.strip() and final_text.strip() != row.text.strip():
        action = "edit"  # the agent changed the text before pressing accept
    try:
        request.app.state.desk.act(
            suggestion_id,
            user,
            action,
            final_text=final_text or None,
            reason=reason or None,
            confirm_warnings=bool(confirm_warnings),
        )
    except DeskError as exc:
        if exc.status == 403:
            raise
        return back(f"/c/{conv_id}", request, str(exc))
    return back(
        f"/c/{conv_id}",
        request,
        {"accept": "已发送", "edit": "已修改并发送", "reject": "已拒绝"}[action],
    )


# --- pharmacist queue ----------------------------------------------------------------------------
@router.get("/escalations", response_class=HTMLResponse)
def escalations(request: Request, user: User = Depends(page_user), all: int = 0):
    desk = request.app.state.desk
    with request.app.state.db.session() as s:
        rows = desk.queue(s, include_closed=bool(all))
        users = {u.id: u for u in s.scalars(select(User))}
        return render(
            request,
            "escalations.html",
            user,
            rows=rows,
            users=users,
            show_all=bool(all),
            aware=aware,
        )


@router.get("/escalations/{escalation_id}", response_class=HTMLResponse)
def escalation_detail(escalation_id: int, request: Request, user: User = Depends(page_user)):
    with request.app.state.db.session() as s:
        esc = s.get(Escalation, escalation_id)
        if esc is None:
            raise DeskError(f"找不到转药师工单 {escalation_id}", status=404)
        row = s.get(SuggestionRow, esc.suggestion_id)
        messages = list(
            s.scalars(
                select(Message)
                .where(Message.conversation_id == esc.conversation_id)
                .order_by(Message.id)
            )
        )
        conv = s.get(Conversation, esc.conversation_id)
        users = {u.id: u for u in s.scalars(select(User))}
        return render(
            request,
            "escalation.html",
            user,
            esc=esc,
            suggestion=Suggestion.model_validate(row.payload),
            messages=messages,
            profile=Profile.model_validate(conv.profile),
            users=users,
            aware=aware,
        )


@router.post("/escalations/{escalation_id}/{step}")
def escalation_step(
    escalation_id: int,
    step: str,
    request: Request,
    csrf_token: str = Form(""),
    text: str = Form(""),
    user: User = Depends(page_user),
):
    check_csrf(request, csrf_token)
    desk = request.app.state.desk
    try:
        if step == "claim":
            desk.claim(escalation_id, user)
        elif step == "answer":
            desk.answer(escalation_id, user, text)
        elif step == "close":
            desk.close(escalation_id, user)
        else:
            raise DeskError(f"未知操作 {step}", status=404)
    except DeskError as exc:
        if exc.status in (403, 404):
            raise
        return back(f"/escalations/{escalation_id}", request, str(exc))
    done = {"claim": "已认领", "answer": "答复已发送到对话", "close": "已关闭"}[step]
    return back(f"/escalations/{escalation_id}", request, done)


# --- knowledge ---------------------------------------------------------------------------------
@router.get("/kb", response_class=HTMLResponse)
def kb(request: Request, q: str = "", user: User = Depends(page_user)):
    copilot = request.app.state.copilot
    docs = sorted(copilot.retriever.index.documents.values(), key=lambda d: (d.kind, d.title))
    results, trace = copilot.retriever.search(q[:500], 8) if q.strip() else ([], None)
    return render(
        request,
        "kb.html",
        user,
        docs=docs,
        q=q,
        results=results,
        trace=trace,
        manifest=copilot.retriever.index.manifest,
        report=None,
    )


@router.get("/kb/{doc_id}", response_class=HTMLResponse)
def kb_doc(doc_id: str, request: Request, user: User = Depends(page_user)):
    doc = request.app.state.copilot.retriever.index.documents.get(doc_id)
    if doc is None:
        raise DeskError(f"找不到文档 {doc_id}", status=404)
    return render(request, "kb_doc.html", user, doc=doc)


@router.post("/kb/upload", response_class=HTMLResponse)
async def kb_upload(
    request: Request, file: UploadFile, csrf_token: str = Form(""), user: User = Depends(page_user)
):
    check_csrf(request, csrf_token)
    require(user, "admin")
    settings = request.app.state.settings
    name = Path(file.filename or "").name
    if not name or Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        raise DeskError(
            f"不支持的文件类型：{name or '（无文件名）'}；支持 " + "、".join(SUPPORTED_SUFFIXES),
            status=415,
        )
    limit = int(settings.server.max_upload_mb * 1024 * 1024)
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise DeskError(f"文件超过 {settings.server.max_upload_mb:g} MB 上限", status=413)
    report, error = request.app.state.rebuild_with_upload(name, data, user)
    copilot = request.app.state.copilot
    docs = sorted(copilot.retriever.index.documents.values(), key=lambda d: (d.kind, d.title))
    return render(
        request,
        "kb.html",
        user,
        docs=docs,
        q="",
        results=[],
        trace=None,
        manifest=copilot.retriever.index.manifest,
        report=report,
        upload_error=error,
        status_code=200 if error is None else 422,
    )


# --- dashboard ---------------------------------------------------------------------------------
@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, user: User = Depends(page_user)):
    require(user, "pharmacist", "admin")
    docs = request.app.state.copilot.retriever.index.documents
    labels = {k: d.title for k, d in docs.items()}
    with request.app.state.db.session() as s:
        f = figures(s, labels)
        recent = list(s.scalars(select(AgentAction).order_by(AgentAction.id.desc()).limit(10)))
    charts = {
        "tiers": bar_chart(f["escalations_by_tier"]),
        "rules": bar_chart(f["escalations_by_rule"][:10]),
        "intents": bar_chart(f["top_intents"]),
        "drugs": bar_chart(f["top_drugs"]),
        "reasons": bar_chart(f["reject_reasons"]),
    }
    return render(request, "dashboard.html", user, f=f, charts=charts, recent=recent)


__all__ = ["router", "session_user"]
