"""ORM tables: users, conversations, messages, suggestions, agent actions, escalations and the
append-only audit log."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))  # agent | pharmacist | admin
    password_hash: Mapped[str] = mapped_column(String(128))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Raised on logout and password change: every session cookie carrying an older value is
    # refused (a copied cookie stops working once its user logs out).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A one-time password (the first admin's, a new user's generated one, an admin's reset):
    # nothing but the password change works until its owner sets their own.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    # When that one-time password was issued (None once its owner has set their own): after
    # `server.one_time_password_hours` it no longer logs in.
    one_time_password_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Conversation(Base):
    __tablename__ = "conversations"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_ref: Mapped[str] = mapped_column(String(64), default="", index=True)
    profile: Mapped[dict] = mapped_column(JSON, default=dict)
    cart: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | archived
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, index=True)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "idempotency_key", name="uq_messages_idempotency_key"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # customer | agent | pharmacist
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    # The chat system's Idempotency-Key of a customer message: a repeat returns the first result.
    idempotency_key: Mapped[str | None] = mapped_column(String(128), nullable=True)


class SuggestionRow(Base):
    __tablename__ = "suggestions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(24))
    intents: Mapped[list] = mapped_column(JSON, default=list)
    drugs: Mapped[list] = mapped_column(JSON, default=list)
    payload: Mapped[dict] = mapped_column(JSON)  # the whole Suggestion
    total_ms: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(
        String(16), default="pending", index=True
    )  # pending | accepted | edited | rejected | replied | dismissed
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class AgentAction(Base):
    __tablename__ = "agent_actions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    suggestion_id: Mapped[str] = mapped_column(ForeignKey("suggestions.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(16))  # accept | edit | reject
    final_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    edit_distance: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    verifier_outcome: Mapped[str | None] = mapped_column(String(8), nullable=True)
    seconds_to_action: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class Escalation(Base):
    __tablename__ = "escalations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    suggestion_id: Mapped[str] = mapped_column(ForeignKey("suggestions.id"))
    tier: Mapped[str] = mapped_column(String(16))
    tier_rank: Mapped[int] = mapped_column(Integer)  # 0 emergency, 1 priority, 2 routine
    reasons: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    sla_deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    # 0 until answered, 1 for the answer, +1 for each correction (更正): corrections are
    # conditional on the version the pharmacist read
    answer_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # A case the customer reopened after the pharmacist had answered: the earlier case.
    follows_id: Mapped[int | None] = mapped_column(ForeignKey("escalations.id"), nullable=True)


class CaseStep(Base):
    """One step of a case as the business names them (receive → register → analyse → resolve
    → follow up → archive), with who and when. Append-only, like the audit log."""

    __tablename__ = "case_steps"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id"), index=True)
    step: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class CustomerRecord(Base):
    """A customer's health record, keyed by the chat system's customer id; it outlives any one
    conversation and is read for every suggestion of that customer. `version` makes edits
    conditional (two people editing at once: the second gets 409)."""

    __tablename__ = "customer_records"
    customer_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    birth_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sex: Mapped[str | None] = mapped_column(String(8), nullable=True)
    pregnant_noted_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    breastfeeding_noted_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    allergies: Mapped[list] = mapped_column(JSON, default=list)
    conditions: Mapped[list] = mapped_column(JSON, default=list)
    current_medicines: Mapped[list] = mapped_column(JSON, default=list)
    do_not_use: Mapped[list] = mapped_column(JSON, default=list)
    medication_history: Mapped[list] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class AuditEntry(Base):
    """Append-only: rows are inserted, never updated or deleted (see common.audit)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(48))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class AdrReport(Base):
    """A suspected adverse drug reaction report (药品不良反应/事件报告表) opened on a case.
    Never deleted; after submission only amended with a reason (see desk.adr)."""

    __tablename__ = "adr_reports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id"), unique=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)  # | submitted
    version: Mapped[int] = mapped_column(Integer, default=1)
    form: Mapped[dict] = mapped_column(JSON)
    learned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    due_rule: Mapped[str] = mapped_column(String(32))
    follow_up_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
