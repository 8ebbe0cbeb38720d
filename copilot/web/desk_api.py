"""JSON API for the pharmacy's chat system and the pages' scripts: incoming customer
messages, agent actions, pre-send verification, the escalation workflow."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, ConfigDict, Field

from copilot.desk.tables import SuggestionRow, User
from copilot.schemas import CartItem, Profile, Suggestion, Text, VerifierResult
from copilot.web.params import ConversationId, EscalationId, SuggestionId, UtcTime
from copilot.web.session import api_user

router = APIRouter(prefix="/v1", tags=["desk"])


class IncomingMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Text = Field(min_length=1, max_length=2000, description="The customer's message.")
    customer_ref: Text = Field(default="", max_length=64)
    profile: Profile | None = None
    cart: list[CartItem] | None = Field(default=None, max_length=100)


class EscalationOut(BaseModel):
    id: int
    tier: str
    status: str
    answer_version: int = Field(
        default=0, description="0 until answered, then 1, +1 for each correction."
    )
    sla_deadline: UtcTime
    follows_id: int | None = Field(
        default=None, description="The earlier case this one continues (customer wrote again)."
    )


class IncomingResult(BaseModel):
    conversation_id: str
    message_id: int = Field(description="The stored customer message (the same on a repeat).")
    suggestion: Suggestion
    escalation: EscalationOut | None = None


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: str = Field(pattern="^(accept|edit|reject|dismiss)$")
    final_text: Text | None = Field(default=None, max_length=4000)
    reason: Text | None = Field(default=None, max_length=500)
    confirm_warnings: bool = False


class TextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Text = Field(min_length=1, max_length=4000)


class AnswerIn(TextIn):
    override_reason: Text | None = Field(
        default=None,
        max_length=500,
        description="Send an answer the check blocked, with the reason (audited).",
    )


def _desk(request: Request):
    return request.app.state.desk


def _esc_out(esc) -> EscalationOut:
    return EscalationOut(
        id=esc.id,
        tier=esc.tier,
        status=esc.status,
        answer_version=esc.answer_version or 0,
        sla_deadline=esc.sla_deadline,
        follows_id=esc.follows_id,
    )


IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=128,
        pattern=r"^[\x21-\x7e]+$",
        description="The chat system's id of this message (printable ASCII, at most 128): "
        "sent again with the same key, the message is stored once and the first result is "
        "returned (same message id, same suggestion).",
    ),
]


@router.post("/conversations/{conversation_id}/messages", response_model=IncomingResult)
def incoming_message(
    conversation_id: ConversationId,
    body: IncomingMessage,
    request: Request,
    user: User = Depends(api_user),
    idempotency_key: IdempotencyKey = None,
) -> IncomingResult:
    """A customer message from the pharmacy's chat system: stores it, runs the copilot and
    returns the suggestion (and the escalation, when one was opened)."""
    row, esc = _desk(request).receive(
        conversation_id,
        body.text,
        user=user,
        profile=body.profile,
        cart=body.cart,
        customer_ref=body.customer_ref,
        idempotency_key=idempotency_key,
    )
    return IncomingResult(
        conversation_id=conversation_id,
        message_id=row.message_id,
        suggestion=Suggestion.model_validate(row.payload),
        escalation=_esc_out(esc) if esc else None,
    )


class MessageOut(BaseModel):
    role: str
    text: str
    created_at: UtcTime


@router.get("/conversations/{conversation_id}/messages", response_model=list[MessageOut])
def conversation_messages(
    conversation_id: ConversationId, request: Request, user: User = Depends(api_user)
) -> list[MessageOut]:
    from sqlalchemy import select

    from copilot.desk.common import DeskError
    from copilot.desk.tables import Conversation, Message

    with request.app.state.db.session() as s:
        if s.get(Conversation, conversation_id) is None:
            raise DeskError(f"找不到对话 {conversation_id}", status=404)
        rows = s.scalars(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
        )
        return [MessageOut(role=m.role, text=m.text, created_at=m.created_at) for m in rows]


@router.post("/suggestions/{suggestion_id}/verify", response_model=VerifierResult)
def verify_final_text(
    suggestion_id: SuggestionId, body: TextIn, request: Request, user: User = Depends(api_user)
) -> VerifierResult:
    """Check the text an agent is about to send against the suggestion's sources."""
    return _desk(request).verify_text(suggestion_id, body.text)


@router.post("/suggestions/{suggestion_id}/actions")
def act(
    suggestion_id: SuggestionId, body: ActionIn, request: Request, user: User = Depends(api_user)
):
    record = _desk(request).act(
        suggestion_id,
        user,
        body.action,
        final_text=body.final_text,
        reason=body.reason,
        confirm_warnings=body.confirm_warnings,
    )
    return {"id": record.id, "action": record.action, "edit_distance": record.edit_distance}


class ReplyIn(TextIn):
    confirm_warnings: bool = Field(
        default=False, description="Send a text the check only warned about (not a blocked one)."
    )


@router.post("/suggestions/{suggestion_id}/reply", response_model=MessageOut)
def reply(
    suggestion_id: SuggestionId, body: ReplyIn, request: Request, user: User = Depends(api_user)
) -> MessageOut:
    """The agent's own reply after rejecting the suggestion: verified as an edit of it is,
    then sent as the agent's message (once per rejected suggestion)."""
    msg = _desk(request).reply(
        suggestion_id, user, body.text, confirm_warnings=body.confirm_warnings
    )
    return MessageOut(role=msg.role, text=msg.text, created_at=msg.created_at)


class ReferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tier: Literal["emergency", "priority", "routine"] = Field(
        description="How urgently the pharmacist must handle it (emergency: 120 script)."
    )
    note: Text = Field(min_length=1, max_length=200, description="Why (the pharmacist sees it).")


@router.post("/suggestions/{suggestion_id}/refer", response_model=IncomingResult)
def refer(
    suggestion_id: SuggestionId, body: ReferIn, request: Request, user: User = Depends(api_user)
) -> IncomingResult:
    """The agent sends the case to a pharmacist themself (转药师): the suggestion becomes the
    tier's holding reply (the draft kept for the pharmacist) and the case opens, or joins the
    open one and may raise its tier; 409 once the suggestion was acted on."""
    desk = _desk(request)
    esc = desk.refer(suggestion_id, user, body.tier, body.note)
    with request.app.state.db.session() as s:
        row = s.get(SuggestionRow, suggestion_id)
        return IncomingResult(
            conversation_id=row.conversation_id,
            message_id=row.message_id,
            suggestion=Suggestion.model_validate(row.payload),
            escalation=_esc_out(esc),
        )


@router.post("/escalations/{escalation_id}/claim", response_model=EscalationOut)
def claim(
    escalation_id: EscalationId, request: Request, user: User = Depends(api_user)
) -> EscalationOut:
    return _esc_out(_desk(request).claim(escalation_id, user))


@router.post("/escalations/{escalation_id}/answer", response_model=EscalationOut)
def answer(
    escalation_id: EscalationId, body: AnswerIn, request: Request, user: User = Depends(api_user)
) -> EscalationOut:
    return _esc_out(
        _desk(request).answer(escalation_id, user, body.text, override_reason=body.override_reason)
    )


class CorrectionIn(AnswerIn):
    version: int = Field(
        ge=1, le=2**31 - 1, description="The answer_version of the answer being corrected."
    )


@router.post("/escalations/{escalation_id}/correct", response_model=EscalationOut)
def correct(
    escalation_id: EscalationId,
    body: CorrectionIn,
    request: Request,
    user: User = Depends(api_user),
) -> EscalationOut:
    """Correct (更正) an answer already sent: checked as an answer is, delivered to the
    conversation as a new pharmacist message; 409 if someone corrected that version first."""
    return _esc_out(
        _desk(request).correct(
            escalation_id,
            user,
            body.text,
            version=body.version,
            override_reason=body.override_reason,
        )
    )


@router.post("/escalations/{escalation_id}/close", response_model=EscalationOut)
def close(
    escalation_id: EscalationId, request: Request, user: User = Depends(api_user)
) -> EscalationOut:
    return _esc_out(_desk(request).close(escalation_id, user))


class CloseNoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Text = Field(min_length=2, max_length=500, description="Why no answer is needed.")


@router.post("/escalations/{escalation_id}/close-without-answer", response_model=EscalationOut)
def close_without_answer(
    escalation_id: EscalationId,
    body: CloseNoteIn,
    request: Request,
    user: User = Depends(api_user),
) -> EscalationOut:
    """Close a claimed, non-emergency case that needs no answer (a thank-you), with a note."""
    return _esc_out(_desk(request).close_without_answer(escalation_id, user, body.note))


@router.get("/escalations", response_model=list[EscalationOut])
def queue(request: Request, user: User = Depends(api_user)) -> list[EscalationOut]:
    with request.app.state.db.session() as s:
        return [_esc_out(e) for e in _desk(request).queue(s)]
