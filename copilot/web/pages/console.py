"""The agent console: conversations, the draft with its sources and alerts, accept / edit /
reject, the customer profile and cart."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from copilot.desk import records
from copilot.desk.common import DeskError, audit
from copilot.desk.dashboard import DEMO_PREFIX
from copilot.desk.inbox import FILTERS, MAX_QUERY, inbox
from copilot.desk.tables import Conversation, Escalation, Message, SuggestionRow, User
from copilot.schemas import TIER_NAMES, CartItem, Profile, Suggestion
from copilot.web.pages.render import back, product_names, render
from copilot.web.params import ConversationId, FormField, SuggestionId, SuggestionQuery
from copilot.web.session import check_csrf, page_user

router = APIRouter(include_in_schema=False)


def _list(s, user: User, f: str, q: str) -> dict:
    """The conversation list's context: items, the filter and the search as given."""
    if f not in FILTERS:
        raise DeskError(f"未知筛选“{f}”：可选 {'、'.join(FILTERS.values())}", status=422)
    query = f"?f={f}&q={quote(q)}" if (q or f != "all") else ""
    return {
        "conversations": inbox(s, user, filter=f, q=q),
        "filters": FILTERS,
        "current_filter": f,
        "search": q[:MAX_QUERY],
        "list_query": query,
    }


Filter = Annotated[str, Query(max_length=16)]
Search = Annotated[str, Query(max_length=MAX_QUERY)]


@router.get("/", response_class=HTMLResponse)
def console(request: Request, user: User = Depends(page_user), f: Filter = "all", q: Search = ""):
    with request.app.state.db.session() as s:
        return render(request, "console.html", user, conv=None, **_list(s, user, f, q))


@router.post("/conversations/new")
def new_conversation(request: Request, csrf_token: FormField = "", user: User = Depends(page_user)):
    check_csrf(request, csrf_token)
    return back(f"/c/{DEMO_PREFIX}{uuid.uuid4().hex[:8]}", request)


@router.get("/c/{conversation_id}", response_class=HTMLResponse)
def conversation(
    conversation_id: ConversationId,
    request: Request,
    user: User = Depends(page_user),
    f: Filter = "all",
    q: Search = "",
    picked: SuggestionQuery = None,
):
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
        newest = (
            s.scalar(
                select(SuggestionRow)
                .where(SuggestionRow.conversation_id == conversation_id)
                .order_by(SuggestionRow.created_at.desc())
                .limit(1)
            )
            if conv
            else None
        )
        # the panel shows the newest suggestion, or an earlier one picked from 待处理建议
        shown = _picked(s, conversation_id, picked) if picked else newest
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
        if conv is None and not conversation_id.startswith(DEMO_PREFIX):
            raise DeskError(f"找不到对话 {conversation_id}", status=404)
        suggestion = Suggestion.model_validate(shown.payload) if shown else None
        # a pharmacist has answered after this suggestion: it is stale, the answer is shown
        pharmacist_answer = (
            next(
                (
                    m
                    for m in reversed(messages)
                    if m.role == "pharmacist" and m.id > shown.message_id
                ),
                None,
            )
            if shown
            else None
        )
        # an agent has replied to a later message since: the suggestion is covered
        replied_after = bool(shown) and any(
            m.role == "agent" and m.id > shown.message_id for m in messages
        )
        authors = {
            u.id: u.display_name
            for u in s.scalars(
                select(User).where(User.id.in_({m.author_id for m in messages if m.author_id}))
            )
        }
        profile = Profile.model_validate(conv.profile) if conv else Profile()
        cart = [CartItem.model_validate(c) for c in conv.cart] if conv else []
        record = records.read(s, conv.customer_ref) if conv and conv.customer_ref else None
        return render(
            request,
            "console.html",
            user,
            **_list(s, user, f, q),
            conv=conv,
            conversation_id=conversation_id,
            messages=messages,
            shown=shown,
            shown_message=next(
                (m.text for m in messages if shown and m.id == shown.message_id), ""
            ),
            newest_id=newest.id if newest else None,
            pending=_pending(s, conversation_id, shown_id=shown.id if shown else None)
            if conv
            else [],
            suggestion=suggestion,
            escalation=escalation,
            pharmacist_answer=pharmacist_answer,
            replied_after=replied_after,
            authors=authors,
            profile=profile,
            cart=cart,
            demo=conversation_id.startswith(DEMO_PREFIX),
            product_names=product_names(request, [c.product for c in cart]),
            record=record,
            record_summary=records.summary(record),
        )


@dataclass(frozen=True)
class PendingItem:
    """A suggestion nobody has acted on yet, listed under 待处理建议 by its customer message."""

    id: str
    kind: str
    message: str
    created_at: datetime


def _pending(s, conversation_id: str, *, shown_id: str | None) -> list[PendingItem]:
    """The conversation's pending suggestions other than the one in the panel, oldest first
    (plain columns: suggestions carry a large payload)."""
    rows = s.execute(
        select(SuggestionRow.id, SuggestionRow.kind, Message.text, SuggestionRow.created_at)
        .join(Message, Message.id == SuggestionRow.message_id)
        .where(
            SuggestionRow.conversation_id == conversation_id,
            SuggestionRow.status == "pending",
            SuggestionRow.id != (shown_id or ""),
        )
        .order_by(SuggestionRow.created_at, SuggestionRow.id)
    )
    return [PendingItem(*r) for r in rows]


def _picked(s, conversation_id: str, suggestion_id: str) -> SuggestionRow:
    row = s.get(SuggestionRow, suggestion_id)
    if row is None or row.conversation_id != conversation_id:
        raise DeskError(f"对话 {conversation_id} 中没有建议 {suggestion_id}", status=404)
    return row


@router.post("/c/{conversation_id}/customer")
def demo_customer_message(
    conversation_id: ConversationId,
    request: Request,
    text: FormField = "",
    csrf_token: FormField = "",
    user: User = Depends(page_user),
):
    check_csrf(request, csrf_token)
    _demo_only(conversation_id)
    try:
        request.app.state.desk.receive(conversation_id, text, user=user)
    except DeskError as exc:
        return back(f"/c/{conversation_id}", request, f"未发送：{exc}")
    return back(f"/c/{conversation_id}", request)


def _demo_only(conversation_id: str) -> None:
    """Typing as the customer and editing what came with the message are for demo
    conversations only: a real conversation's messages and context come from the chat system."""
    if not conversation_id.startswith(DEMO_PREFIX):
        raise DeskError(
            "只有演示对话可以以顾客身份发送消息或修改随消息传入的资料；真实对话由聊天系统传入",
            status=403,
        )


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.replace("，", ",").replace("、", ",").split(",") if v.strip()]


@router.post("/c/{conversation_id}/profile")
def update_profile(
    conversation_id: ConversationId,
    request: Request,
    csrf_token: FormField = "",
    age: FormField = "",
    pregnant: FormField = "",
    breastfeeding: FormField = "",
    allergies: FormField = "",
    conditions: FormField = "",
    medicines: FormField = "",
    do_not_use: FormField = "",
    cart: FormField = "",
    user: User = Depends(page_user),
):
    check_csrf(request, csrf_token)
    _demo_only(conversation_id)
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


def _suggestion(request: Request, suggestion_id: str) -> SuggestionRow:
    """The suggestion a form acts on, or 404."""
    with request.app.state.db.session() as s:
        row = s.get(SuggestionRow, suggestion_id)
    if row is None:
        raise DeskError(f"找不到建议 {suggestion_id}", status=404)
    return row


@router.post("/s/{suggestion_id}/act")
def act_form(
    suggestion_id: SuggestionId,
    request: Request,
    csrf_token: FormField = "",
    action: FormField = "accept",
    action_button: FormField = "",
    final_text: FormField = "",
    reason: FormField = "",
    confirm_warnings: FormField = "",
    user: User = Depends(page_user),
):
    check_csrf(request, csrf_token)
    action = action_button or action
    final_text = final_text.replace("\r\n", "\n")
    row = _suggestion(request, suggestion_id)
    conv_id = row.conversation_id
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
        {
            "accept": "已发送",
            "edit": "已修改并发送",
            "reject": "已拒绝，可在右侧自行回复顾客",
            "dismiss": "已标记为已处理（不计入采纳或拒绝）",
        }[action],
    )


@router.post("/s/{suggestion_id}/reply")
def reply_form(
    suggestion_id: SuggestionId,
    request: Request,
    csrf_token: FormField = "",
    text: FormField = "",
    confirm_warnings: FormField = "",
    user: User = Depends(page_user),
):
    """The agent's own reply after rejecting the suggestion (Desk.reply checks it)."""
    check_csrf(request, csrf_token)
    conv_id = _suggestion(request, suggestion_id).conversation_id
    try:
        request.app.state.desk.reply(
            suggestion_id, user, text, confirm_warnings=bool(confirm_warnings)
        )
    except DeskError as exc:
        if exc.status == 403:
            raise
        return back(f"/c/{conv_id}", request, f"未发送：{exc}")
    return back(f"/c/{conv_id}", request, "已发送您的回复")


@router.post("/s/{suggestion_id}/refer")
def refer_form(
    suggestion_id: SuggestionId,
    request: Request,
    csrf_token: FormField = "",
    tier: FormField = "priority",
    note: FormField = "",
    user: User = Depends(page_user),
):
    """转药师: the agent sends the case to a pharmacist themself (Desk.refer)."""
    check_csrf(request, csrf_token)
    row = _suggestion(request, suggestion_id)
    conv_id = row.conversation_id
    try:
        esc = request.app.state.desk.refer(suggestion_id, user, tier, note)
    except DeskError as exc:
        if exc.status == 403:
            raise
        return back(f"/c/{conv_id}", request, f"未转药师：{exc}")
    then = (
        "请发送下方的暂缓回复"
        if row.status == "pending"
        else "回复已发出，未改动；紧急情况请同时告知顾客立即拨打120"
    )
    return back(
        f"/c/{conv_id}", request, f"已转药师（工单 #{esc.id}，{TIER_NAMES[esc.tier]}）：{then}"
    )
