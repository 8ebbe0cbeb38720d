"""The pharmacist queue: escalations by tier and deadline; claim, answer, close."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from copilot.desk import corrections, records
from copilot.desk.cases import CASE_STEPS
from copilot.desk.common import DeskError, aware
from copilot.desk.tables import (
    AdrReport,
    Conversation,
    Escalation,
    Message,
    SuggestionRow,
    User,
)
from copilot.pipeline import customer_text, emergency_script
from copilot.schemas import CartItem, Profile, Suggestion
from copilot.web.desk_api import EscalationId
from copilot.web.pages.render import back, product_names, render
from copilot.web.params import Flag, FormField, Step
from copilot.web.session import check_csrf, page_user

router = APIRouter(include_in_schema=False)


def _by_id(s, key, *columns, ids: set) -> dict:
    """The named columns of the rows whose `key` is in `ids`, read in one query (plain rows,
    not ORM objects: the queue polls this, and suggestions carry a large payload)."""
    if not ids:
        return {}
    return {r[0]: r for r in s.execute(select(key, *columns).where(key.in_(ids)))}


@router.get("/escalations", response_class=HTMLResponse)
def escalations(request: Request, user: User = Depends(page_user), all: Flag = 0):
    desk = request.app.state.desk
    with request.app.state.db.session() as s:
        rows = desk.queue(s, include_closed=bool(all))
        users = {u.id: u for u in s.scalars(select(User))}
        # who is waiting, with what question, since when (the queue's own columns)
        now = datetime.now(UTC)
        convs = _by_id(
            s, Conversation.id, Conversation.customer_ref, ids={e.conversation_id for e in rows}
        )
        sugg = _by_id(
            s, SuggestionRow.id, SuggestionRow.message_id, ids={e.suggestion_id for e in rows}
        )
        msgs = _by_id(s, Message.id, Message.text, ids={r.message_id for r in sugg.values()})
        # the customer's latest message of each conversation: shown when it came after the
        # case's question (they wrote again: a new temperature, a dose already given)
        latest_ids = dict(
            s.execute(
                select(Message.conversation_id, func.max(Message.id))
                .where(
                    Message.conversation_id.in_({e.conversation_id for e in rows}),
                    Message.role == "customer",
                )
                .group_by(Message.conversation_id)
            ).all()
        )
        latest = _by_id(s, Message.id, Message.text, ids=set(latest_ids.values()))
        asked: dict[int, tuple[str, str, str, str]] = {}
        for e in rows:
            conv = convs.get(e.conversation_id)
            row = sugg.get(e.suggestion_id)
            message = msgs.get(row.message_id) if row else None
            minutes = int((now - aware(e.created_at)).total_seconds() // 60)
            last_id = latest_ids.get(e.conversation_id)
            newer = latest[last_id].text if row and last_id and last_id > row.message_id else ""
            asked[e.id] = (
                (conv.customer_ref if conv and conv.customer_ref else e.conversation_id),
                message.text if message else "",
                f"{minutes // 60}小时{minutes % 60}分" if minutes >= 60 else f"{minutes}分钟",
                newer,
            )
        # ADR to-dos beside the queue: unsubmitted reports by due date, follow-ups (回访) due
        todo = list(
            s.scalars(
                select(AdrReport)
                .where((AdrReport.status == "draft") | AdrReport.follow_up_on.is_not(None))
                .order_by(AdrReport.due_at)
            )
        )
        clusters = request.app.state.adr.clusters(s) if user.role in ("pharmacist", "admin") else []
        return render(
            request,
            "escalations.html",
            user,
            adr_todo=todo,
            adr_clusters=clusters,
            rows=rows,
            asked=asked,
            users=users,
            show_all=bool(all),
            aware=aware,
        )


@router.get("/escalations/{escalation_id}", response_class=HTMLResponse)
def escalation_detail(
    escalation_id: EscalationId, request: Request, user: User = Depends(page_user)
):
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
        report = s.scalar(select(AdrReport).where(AdrReport.escalation_id == esc.id))
        suggestion = Suggestion.model_validate(row.payload)
        profile = Profile.model_validate(conv.profile)
        cart = [CartItem.model_validate(c) for c in conv.cart]
        record = records.read(s, conv.customer_ref) if conv.customer_ref else None
        steps = request.app.state.desk.steps(s, esc.id)
        later = list(s.scalars(select(Escalation.id).where(Escalation.follows_id == esc.id)))
        return render(
            request,
            "escalation.html",
            user,
            correction_prefix=corrections.PREFIX,
            report=report,
            suspected_reaction=request.app.state.adr.rules.suspects(
                suggestion.verdict, profile.current_medicines
            ),
            esc=esc,
            suggestion=suggestion,
            messages=messages,
            profile=profile,
            cart=cart,
            product_names=product_names(request, [c.product for c in cart]),
            record=record,
            steps=steps,
            step_names=CASE_STEPS,
            later_cases=later,
            record_summary=records.summary(record),
            customer_ref=conv.customer_ref,
            users=users,
            aware=aware,
            **_reference_draft(suggestion),
        )


def _reference_draft(suggestion: Suggestion) -> dict:
    """The draft prepared for the pharmacist behind the holding reply, as the answer box takes
    it (no [n] markers: the answer goes to the customer as written), or why there is none. For
    an emergency it is the emergency script (what to do now, from the signs and alerts that made
    it one), never a label passage: a dose is not the answer to an overdose."""
    verdict = suggestion.verdict
    if verdict is not None and verdict.escalation and verdict.escalation.tier == "emergency":
        return {
            "reference_draft": emergency_script(verdict),
            "no_draft_reason": None,
            "emergency_script": True,
        }
    if suggestion.draft:
        return {"reference_draft": customer_text(suggestion.draft), "no_draft_reason": None}
    checked = suggestion.verification
    if checked is not None and checked.outcome == "block":
        return {"reference_draft": None, "no_draft_reason": "预拟的草稿未通过安全核查，已不采用"}
    return {"reference_draft": None, "no_draft_reason": "说明书中没有找到能直接回答这个问题的内容"}


@router.post("/escalations/{escalation_id}/{step}")
def escalation_step(
    escalation_id: EscalationId,
    step: Step,
    request: Request,
    csrf_token: FormField = "",
    text: FormField = "",
    override_reason: FormField = "",
    version: FormField = "",
    user: User = Depends(page_user),
):
    check_csrf(request, csrf_token)
    desk = request.app.state.desk
    try:
        if step == "claim":
            desk.claim(escalation_id, user)
        elif step == "answer":
            desk.answer(escalation_id, user, text, override_reason=override_reason or None)
        elif step == "close":
            desk.close(escalation_id, user)
        elif step == "close_note":
            desk.close_without_answer(escalation_id, user, text)
        elif step == "follow_up":
            desk.follow_up(escalation_id, user, text)
        elif step == "correct":
            if not version.isdigit():
                raise DeskError("缺少答复版本：请刷新页面后再更正", status=422)
            desk.correct(
                escalation_id,
                user,
                text,
                version=int(version),
                override_reason=override_reason or None,
            )
        else:
            raise DeskError(f"未知操作 {step}", status=404)
    except DeskError as exc:
        if exc.status in (403, 404):
            raise
        return back(f"/escalations/{escalation_id}", request, str(exc))
    done = {
        "claim": "已认领",
        "answer": "答复已发送到对话",
        "close": "已关闭",
        "close_note": "已关闭（未答复，原因已记录）",
        "follow_up": "随访已记录",
        "correct": "更正已发送到对话",
    }[step]
    return back(f"/escalations/{escalation_id}", request, done)
