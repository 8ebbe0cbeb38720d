"""Deleting personal data (个人信息保护法 Art. 19, 47): a customer's, on request, and every
conversation past the retention period.

What goes: the text of every message (customer, agent, pharmacist), the profile and cart
stored with the conversation and the link to the customer (customer_ref), the texts of the
suggestions (reply, draft, what triage read from the message, alerts, citations), the final
texts and reasons of agent actions, pharmacists' answers and case-step notes, and — for a
customer's request — the health record (用药档案). Rows stay, emptied, so counts and the
dashboard still add up (tier, rule ids, intents, drug ids, timings).

What stays: the audit log, which is never updated or deleted (each purge adds one entry with
the counts, never the data), and suspected adverse drug reaction reports, which the law makes
the pharmacy keep (药品不良反应报告和监测管理办法 Art. 18); they are counted in the entry.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.orm import Session

from copilot.desk.common import DeskError
from copilot.desk.db import Database
from copilot.desk.tables import (
    AdrReport,
    AgentAction,
    AuditEntry,
    CaseStep,
    Conversation,
    CustomerRecord,
    Escalation,
    Message,
    SuggestionRow,
    User,
)
from copilot.safety.masking import mask_pii
from copilot.schemas import Suggestion, Triage

REDACTED = "（已按个人信息删除要求清除）"


@dataclass
class PurgeReport:
    """How many rows had personal data removed (ADR reports: kept, counted)."""

    conversations: int = 0
    messages: int = 0
    suggestions: int = 0
    actions: int = 0
    answers: int = 0
    records: int = 0
    adr_reports_kept: int = 0

    def summary(self) -> str:
        return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in asdict(self).items())


def purge_customer(db: Database, customer_ref: str, *, user: User | None = None) -> PurgeReport:
    """Remove the personal data of one customer (every conversation with that customer_ref,
    and the health record), and audit the deletion."""
    ref = customer_ref.strip()
    if not ref:
        raise DeskError("没有顾客编号：请给出聊天系统的顾客编号（--customer）", status=422)
    with db.session() as s:
        ids = list(s.scalars(select(Conversation.id).where(Conversation.customer_ref == ref)))
        report = _purge(s, ids)
        report.records = s.execute(
            delete(CustomerRecord).where(CustomerRecord.customer_ref == ref)
        ).rowcount
        _audit(s, user, "customer", mask_pii(ref)[:64], report, reason="customer request")
    return report


def purge_expired(
    db: Database, *, days: int, now: datetime | None = None, user: User | None = None
) -> PurgeReport:
    """Remove the personal data of conversations with no open case whose last message is
    older than `days`. Audited once per run that removed something."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    with db.session() as s:
        active = select(Escalation.conversation_id).where(
            Escalation.status.in_(("open", "claimed", "answered"))
        )
        recent = select(Message.conversation_id).where(Message.created_at >= cutoff)
        unpurged = select(Message.conversation_id).where(Message.text != REDACTED)
        ids = list(
            s.scalars(
                select(Conversation.id).where(
                    Conversation.updated_at < cutoff,
                    Conversation.id.not_in(active),
                    Conversation.id.not_in(recent),
                    or_(Conversation.id.in_(unpurged), Conversation.customer_ref != ""),
                )
            )
        )
        report = _purge(s, ids)
        if report.conversations:
            _audit(s, user, "retention", f"{days}d", report, reason=f"retention {days} days")
    return report


def _purge(s: Session, ids: list[str]) -> PurgeReport:
    report = PurgeReport(conversations=len(ids))
    if not ids:
        return report
    report.messages = s.execute(
        update(Message)
        .where(Message.conversation_id.in_(ids), Message.text != REDACTED)
        .values(text=REDACTED)
    ).rowcount
    s.execute(
        update(Conversation)
        .where(Conversation.id.in_(ids))
        .values(profile={}, cart=[], customer_ref="")
    )
    rows = s.scalars(
        select(SuggestionRow).where(
            SuggestionRow.conversation_id.in_(ids), SuggestionRow.text != REDACTED
        )
    ).all()
    for row in rows:
        row.text, row.payload = REDACTED, _emptied(row.payload)
    report.suggestions = len(rows)
    suggestion_ids = select(SuggestionRow.id).where(SuggestionRow.conversation_id.in_(ids))
    report.actions = s.execute(
        update(AgentAction)
        .where(
            AgentAction.suggestion_id.in_(suggestion_ids),
            or_(AgentAction.final_text != REDACTED, AgentAction.reason.is_not(None)),
        )
        .values(
            final_text=case((AgentAction.final_text.is_(None), None), else_=REDACTED),
            reason=None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    escalations = select(Escalation.id).where(Escalation.conversation_id.in_(ids))
    report.answers = s.execute(
        update(Escalation)
        .where(Escalation.conversation_id.in_(ids), Escalation.answer.is_not(None))
        .where(Escalation.answer != REDACTED)
        .values(answer=REDACTED)
    ).rowcount
    s.execute(
        update(CaseStep)
        .where(CaseStep.escalation_id.in_(escalations), CaseStep.note.is_not(None))
        .values(note=None)
    )
    report.adr_reports_kept = int(
        s.scalar(
            select(func.count()).select_from(AdrReport).where(AdrReport.conversation_id.in_(ids))
        )
        or 0
    )
    return report


def _emptied(payload: dict) -> dict:
    """The stored Suggestion with everything read from or written for the customer removed;
    what the dashboard counts (kind, decision, tier, rule ids, intents) stays."""
    sug = Suggestion.model_validate(payload)
    verdict = sug.verdict.model_copy(
        update={
            "triage": Triage(
                message_class=sug.verdict.triage.message_class,
                intents=sug.verdict.triage.intents,
                drugs=[],
            ),
            "alerts": [],
            "holding_reply": REDACTED if sug.verdict.holding_reply else None,
        }
    )
    return sug.model_copy(
        update={
            "text": REDACTED,
            "draft": None,
            "clarification": None,
            "citations": [],
            "alerts": [],
            "verdict": verdict,
            "verification": None,
            "retrieved": [],
        }
    ).model_dump(mode="json")


def _audit(s: Session, user, entity: str, entity_id: str, report: PurgeReport, *, reason: str):
    """The deletion, with counts only: never the data (nor a value read from it)."""
    s.add(
        AuditEntry(
            user_id=user.id if user else None,
            action="privacy.purged",
            entity=entity,
            entity_id=entity_id,
            detail={"reason": reason, **asdict(report)},
        )
    )
