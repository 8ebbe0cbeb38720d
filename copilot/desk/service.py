"""The desk: what agents and pharmacists do, stored in transactions with an audit trail.

customer message → suggest → stored suggestion (+ escalation with SLA deadline)
agent: accept | edit (final text re-verified) | reject (reason)
pharmacist: claim → answer (delivered into the conversation) → close
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rapidfuzz.distance import Levenshtein
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from copilot.desk.db import Database
from copilot.desk.tables import (
    AgentAction,
    AuditEntry,
    Conversation,
    Escalation,
    Message,
    SuggestionRow,
    User,
)
from copilot.errors import CopilotError
from copilot.pipeline import Copilot, customer_text
from copilot.schemas import TIER_ORDER, CartItem, Profile, Suggestion, Turn, VerifierResult

MAX_MESSAGE = 2000


class DeskError(CopilotError):
    """A desk action that cannot be done; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def queue_rank(tier: str) -> int:
    """Stored with each escalation so the queue sorts ascending: emergency first."""
    return max(TIER_ORDER.values()) - TIER_ORDER[tier]


def aware(dt: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes: they are UTC."""
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def audit(session: Session, user: User | None, action: str, entity: str, entity_id, **detail):
    session.add(
        AuditEntry(
            user_id=user.id if user else None,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            detail=detail,
        )
    )


def require(user: User, *roles: str) -> None:
    if user.role not in roles and user.role != "admin":
        raise DeskError(f"需要{'或'.join(roles)}权限（当前：{user.role}）", status=403)


@dataclass
class Desk:
    db: Database
    copilot: Copilot

    # --- customer side -------------------------------------------------------------------------
    def receive(
        self,
        conversation_id: str,
        text: str,
        *,
        user: User | None = None,
        profile: Profile | None = None,
        cart: list[CartItem] | None = None,
        customer_ref: str = "",
    ) -> tuple[SuggestionRow, Escalation | None]:
        if not text.strip():
            raise DeskError("消息为空：请发送顾客的文字", status=422)
        if len(text) > MAX_MESSAGE:
            raise DeskError(f"消息过长（{len(text)}字，最多{MAX_MESSAGE}字）", status=422)
        # Read what the pipeline needs in a short read-only transaction, run the pipeline (an LLM
        # call may take seconds) with no transaction open, then write everything in one short
        # transaction: a slow draft never holds a write lock other agents wait on.
        with self.db.session() as s:
            conv = s.get(Conversation, conversation_id)
            stored_profile = Profile.model_validate(conv.profile) if conv else Profile()
            stored_cart = [CartItem.model_validate(c) for c in conv.cart] if conv else []
            history = [
                Turn(
                    role=m.role if m.role in ("customer", "agent", "pharmacist") else "agent",
                    text=m.text,
                )
                for m in s.scalars(
                    select(Message)
                    .where(Message.conversation_id == conversation_id)
                    .order_by(Message.id)
                )
            ]
        profile = profile if profile is not None else stored_profile
        cart = list(cart) if cart is not None else stored_cart
        suggestion = self.copilot.suggest(message=text, history=history, profile=profile, cart=cart)
        with self.db.session() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None:
                conv = Conversation(id=conversation_id, customer_ref=customer_ref)
                s.add(conv)
                audit(s, user, "conversation.opened", "conversation", conversation_id)
            conv.profile = profile.model_dump()
            conv.cart = [c.model_dump() for c in cart]
            msg = Message(conversation_id=conversation_id, role="customer", text=text)
            s.add(msg)
            s.flush()
            row = _suggestion_row(suggestion, conversation_id, msg.id)
            s.add(row)
            s.flush()  # the escalation refers to it
            conv.updated_at = datetime.now(UTC)
            audit(
                s,
                user,
                "suggestion.created",
                "suggestion",
                row.id,
                kind=row.kind,
                decision=row.decision,
                provider=row.provider,
            )
            esc = None
            if suggestion.verdict.escalation:
                e = suggestion.verdict.escalation
                esc = Escalation(
                    conversation_id=conversation_id,
                    suggestion_id=row.id,
                    tier=e.tier,
                    tier_rank=queue_rank(e.tier),
                    reasons=[r.model_dump() for r in e.reasons],
                    sla_deadline=datetime.now(UTC) + timedelta(minutes=e.sla_minutes),
                )
                s.add(esc)
                s.flush()
                audit(
                    s,
                    user,
                    "escalation.opened",
                    "escalation",
                    esc.id,
                    tier=e.tier,
                    rules=[r.id for r in e.reasons],
                )
            return row, esc

    # --- agent --------------------------------------------------------------------------------
    def verify_text(self, suggestion_id: str, text: str) -> VerifierResult:
        with self.db.session() as s:
            row = _get(s, SuggestionRow, suggestion_id, "建议")
            sug = Suggestion.model_validate(row.payload)
        return self.copilot.verify_text(text, sug.citations, require_citations=sug.kind == "draft")

    def act(
        self,
        suggestion_id: str,
        user: User,
        action: str,
        *,
        final_text: str | None = None,
        reason: str | None = None,
        confirm_warnings: bool = False,
    ) -> AgentAction:
        require(user, "agent")
        if action not in ("accept", "edit", "reject"):
            raise DeskError("action 必须是 accept、edit 或 reject", status=422)
        if final_text is not None:
            final_text = final_text.replace("\r\n", "\n")  # browsers send CRLF from textareas
        verification = None
        if action == "edit":
            if not final_text or not final_text.strip():
                raise DeskError("修改后的文字为空", status=422)
            verification = self.verify_text(suggestion_id, final_text)
            if verification.outcome == "block":
                details = "；".join(f.detail for f in verification.findings if f.level == "block")
                raise DeskError(f"发送前核查未通过：{details}", status=409)
            if verification.outcome == "warn" and not confirm_warnings:
                details = "；".join(f.detail for f in verification.findings)
                raise DeskError(f"发送前核查有提示，请确认后再发送：{details}", status=409)
        if action == "reject" and not (reason and reason.strip()):
            raise DeskError("拒绝时请填写原因", status=422)
        with self.db.session() as s:
            row = _get(s, SuggestionRow, suggestion_id, "建议")
            if row.status != "pending":
                raise DeskError(f"该建议已处理（{row.status}）", status=409)
            sent = None
            if action == "accept":
                sent = row.text
            elif action == "edit":
                sent = final_text
            distance = Levenshtein.distance(row.text, final_text) if action == "edit" else None
            created = aware(row.created_at)
            record = AgentAction(
                suggestion_id=row.id,
                user_id=user.id,
                action=action,
                final_text=sent,
                edit_distance=distance,
                reason=reason,
                verifier_outcome=verification.outcome if verification else None,
                seconds_to_action=(datetime.now(UTC) - created).total_seconds()
                if created
                else None,
            )
            s.add(record)
            row.status = {"accept": "accepted", "edit": "edited", "reject": "rejected"}[action]
            if sent:
                s.add(
                    Message(
                        conversation_id=row.conversation_id,
                        role="agent",
                        text=customer_text(sent),  # the customer gets no [n] markers
                        author_id=user.id,
                    )
                )
            audit(
                s,
                user,
                f"suggestion.{action}",
                "suggestion",
                row.id,
                edit_distance=distance,
                reason=reason,
            )
            s.flush()
            return record

    # --- pharmacist ---------------------------------------------------------------------------
    def claim(self, escalation_id: int, user: User) -> Escalation:
        require(user, "pharmacist")
        with self.db.session() as s:
            esc = _get(s, Escalation, escalation_id, "转药师工单")
            if esc.status not in ("open", "claimed"):
                raise DeskError(f"工单状态为{esc.status}，不能认领", status=409)
            if esc.status == "claimed" and esc.assignee_id != user.id:
                raise DeskError("工单已被其他药师认领", status=409)
            esc.status, esc.assignee_id, esc.claimed_at = "claimed", user.id, datetime.now(UTC)
            audit(s, user, "escalation.claimed", "escalation", esc.id)
            return esc

    def answer(self, escalation_id: int, user: User, text: str) -> Escalation:
        require(user, "pharmacist")
        if not text.strip():
            raise DeskError("答复为空", status=422)
        with self.db.session() as s:
            esc = _get(s, Escalation, escalation_id, "转药师工单")
            if esc.status not in ("open", "claimed"):
                raise DeskError(f"工单状态为{esc.status}，不能答复", status=409)
            if esc.assignee_id not in (None, user.id):
                raise DeskError("工单已被其他药师认领", status=409)
            esc.status, esc.answer = "answered", text
            esc.assignee_id = user.id
            esc.answered_at = datetime.now(UTC)
            esc.claimed_at = esc.claimed_at or esc.answered_at
            s.add(
                Message(
                    conversation_id=esc.conversation_id,
                    role="pharmacist",
                    text=text,
                    author_id=user.id,
                )
            )
            audit(s, user, "escalation.answered", "escalation", esc.id, length=len(text))
            return esc

    def close(self, escalation_id: int, user: User) -> Escalation:
        require(user, "pharmacist")
        with self.db.session() as s:
            esc = _get(s, Escalation, escalation_id, "转药师工单")
            if esc.status != "answered":
                raise DeskError("只有已答复的工单可以关闭", status=409)
            esc.status, esc.closed_at = "closed", datetime.now(UTC)
            audit(s, user, "escalation.closed", "escalation", esc.id)
            return esc

    # --- reading -------------------------------------------------------------------------------
    def queue(self, session: Session, *, include_closed: bool = False) -> list[Escalation]:
        stmt = select(Escalation)
        if not include_closed:
            stmt = stmt.where(Escalation.status != "closed")
        return list(session.scalars(stmt.order_by(Escalation.tier_rank, Escalation.sla_deadline)))


def _get(session: Session, model, key, what: str):
    obj = session.get(model, key)
    if obj is None:
        raise DeskError(f"找不到{what} {key}", status=404)
    return obj


def _suggestion_row(s: Suggestion, conversation_id: str, message_id: int) -> SuggestionRow:
    return SuggestionRow(
        id=s.id,
        conversation_id=conversation_id,
        message_id=message_id,
        kind=s.kind,
        text=s.text,
        provider=s.provider,
        decision=s.verdict.decision,
        intents=list(s.verdict.triage.intents),
        drugs=[d.doc_id for d in s.verdict.triage.drugs],
        payload=s.model_dump(mode="json"),
        total_ms=s.timings_ms.get("total", 0.0),
    )


def count(session: Session, stmt) -> int:
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
