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

A deletion on request from the pages or the API (`erase_on_request`) is an admin's: it names the
customer id again as confirmation and a reason, runs `purge_customer`, and the audit entry says
who, when, why and how many rows (`preview_customer` counts them beforehand the same way).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.orm import Session

from copilot.desk.common import DeskError, require
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
MAX_REASON = 200  # characters of an admin's reason for a deletion on request


@dataclass
class PurgeReport:
    """How many rows had personal data removed (ADR reports: kept, counted). `audit_id` is the
    `privacy.purged` entry that recorded the deletion (None when nothing was audited)."""

    conversations: int = 0
    messages: int = 0
    suggestions: int = 0
    actions: int = 0
    answers: int = 0
    notes: int = 0
    records: int = 0
    adr_reports_kept: int = 0
    audit_id: int | None = field(default=None, compare=False)

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in asdict(self).items() if k != "audit_id"}

    def summary(self) -> str:
        return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in self.counts().items())


@dataclass
class Preview:
    """What deleting a customer's data would remove (counted as the purge counts) and what
    stays: the audit entries about the customer, their conversations and cases, and the ADR
    reports (in `would_remove.adr_reports_kept`)."""

    would_remove: PurgeReport
    audit_entries: int


def purge_customer(
    db: Database,
    customer_ref: str,
    *,
    user: User | None = None,
    reason: str = "customer request",
    via: str = "cli",
) -> PurgeReport:
    """Remove the personal data of one customer (every conversation with that customer_ref,
    and the health record), and audit the deletion with who, the reason and the counts."""
    ref = customer_ref.strip()
    if not ref:
        raise DeskError("没有顾客编号：请给出聊天系统的顾客编号（--customer）", status=422)
    with db.session() as s:
        ids = _conversations_of(s, ref)
        report = _purge(s, ids)
        report.records = s.execute(
            delete(CustomerRecord).where(CustomerRecord.customer_ref == ref)
        ).rowcount
        report.audit_id = _audit(
            s, user, "customer", entity_of(ref), report, reason=reason, via=via
        )
    return report


def entity_of(customer_ref: str) -> str:
    """How the audit log names a customer whose data was deleted (masked: an id may be a phone
    number)."""
    return mask_pii(customer_ref.strip())[:64]


def preview_customer(session: Session, customer_ref: str) -> Preview | None:
    """What `purge_customer` would remove now, without changing anything; None when nothing
    is stored about the customer (no conversation names them and there is no record)."""
    ref = customer_ref.strip()
    ids = _conversations_of(session, ref)
    has_record = session.get(CustomerRecord, ref) is not None
    if not ids and not has_record:
        return None
    report = PurgeReport(conversations=len(ids), records=int(has_record))
    if ids:
        for name, (model, where) in _targets(ids).items():
            setattr(report, name, _count(session, model, where))
        report.adr_reports_kept = _count(session, AdrReport, [AdrReport.conversation_id.in_(ids)])
    return Preview(would_remove=report, audit_entries=_audit_entries(session, ref, ids))


def erase_on_request(
    db: Database, customer_ref: str, *, user: User, confirm: str, reason: str, via: str
) -> PurgeReport:
    """An admin deletes one customer's personal data on the customer's request (PIPL Art. 47):
    `confirm` must repeat the customer id and `reason` say why; 404 when nothing is stored
    about the customer. Runs `purge_customer` (which audits it)."""
    require(user, "admin")
    ref = customer_ref.strip()
    with db.session() as s:
        if preview_customer(s, ref) is None:
            raise DeskError(
                f"找不到顾客 {ref} 的个人信息：没有对话或用药档案（可能已删除）", status=404
            )
    if confirm.strip() != ref:
        raise DeskError(
            "确认编号与顾客编号不一致：请输入该顾客的编号以确认删除，未删除任何内容",
            status=422,
            field="confirm",
        )
    why = reason.strip()
    if not why:
        raise DeskError(
            "请填写删除原因（如顾客删除请求的工单号），未删除任何内容", 422, field="reason"
        )
    if len(why) > MAX_REASON:
        raise DeskError(f"删除原因最多{MAX_REASON}字", status=422, field="reason")
    return purge_customer(db, ref, user=user, reason=mask_pii(why), via=via)


def erasure(session: Session, customer_ref: str, audit_id: int) -> AuditEntry | None:
    """The audit entry of a deletion of this customer's data (for the result page)."""
    entry = session.get(AuditEntry, audit_id)
    if (
        entry is None
        or entry.action != "privacy.purged"
        or entry.entity != "customer"
        or entry.entity_id != entity_of(customer_ref)
    ):
        return None
    return entry


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


def _conversations_of(session: Session, ref: str) -> list[str]:
    return list(session.scalars(select(Conversation.id).where(Conversation.customer_ref == ref)))


def _targets(ids: list[str]) -> dict[str, tuple[type, list]]:
    """The rows of these conversations that still hold personal data, by PurgeReport count:
    the purge empties exactly these, and the preview counts exactly these."""
    suggestion_ids = select(SuggestionRow.id).where(SuggestionRow.conversation_id.in_(ids))
    escalation_ids = select(Escalation.id).where(Escalation.conversation_id.in_(ids))
    return {
        "messages": (Message, [Message.conversation_id.in_(ids), Message.text != REDACTED]),
        "suggestions": (
            SuggestionRow,
            [SuggestionRow.conversation_id.in_(ids), SuggestionRow.text != REDACTED],
        ),
        "actions": (
            AgentAction,
            [
                AgentAction.suggestion_id.in_(suggestion_ids),
                or_(AgentAction.final_text != REDACTED, AgentAction.reason.is_not(None)),
            ],
        ),
        "answers": (
            Escalation,
            [
                Escalation.conversation_id.in_(ids),
                Escalation.answer.is_not(None),
                Escalation.answer != REDACTED,
            ],
        ),
        "notes": (
            CaseStep,
            [CaseStep.escalation_id.in_(escalation_ids), CaseStep.note.is_not(None)],
        ),
    }


def _count(session: Session, model, where: list) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _purge(s: Session, ids: list[str]) -> PurgeReport:
    report = PurgeReport(conversations=len(ids))
    if not ids:
        return report
    targets = _targets(ids)
    report.messages = s.execute(
        update(Message).where(*targets["messages"][1]).values(text=REDACTED)
    ).rowcount
    s.execute(
        update(Conversation)
        .where(Conversation.id.in_(ids))
        .values(profile={}, cart=[], customer_ref="")
    )
    rows = s.scalars(select(SuggestionRow).where(*targets["suggestions"][1])).all()
    for row in rows:
        row.text, row.payload = REDACTED, _emptied(row.payload)
    report.suggestions = len(rows)
    report.actions = s.execute(
        update(AgentAction)
        .where(*targets["actions"][1])
        .values(
            final_text=case((AgentAction.final_text.is_(None), None), else_=REDACTED),
            reason=None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    report.answers = s.execute(
        update(Escalation).where(*targets["answers"][1]).values(answer=REDACTED)
    ).rowcount
    report.notes = s.execute(
        update(CaseStep)
        .where(*targets["notes"][1])
        .values(note=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    # nothing of the deleted conversations can be sent or worked on afterwards: drafts still
    # waiting for an agent are withdrawn (an agent would otherwise send the placeholder) and
    # open cases are closed (they would stay in the pharmacists' queue with their SLA running)
    s.execute(
        update(SuggestionRow)
        .where(SuggestionRow.conversation_id.in_(ids), SuggestionRow.status == "pending")
        .values(status="rejected")
        .execution_options(synchronize_session=False)
    )
    s.execute(
        update(Escalation)
        .where(Escalation.conversation_id.in_(ids), Escalation.status.in_(("open", "claimed")))
        .values(status="closed", closed_at=datetime.now(UTC))
        .execution_options(synchronize_session=False)
    )
    report.adr_reports_kept = _count(s, AdrReport, [AdrReport.conversation_id.in_(ids)])
    return report


def _audit_entries(session: Session, ref: str, ids: list[str]) -> int:
    """Audit entries about the customer, their conversations, suggestions, cases and ADR
    reports: they stay (they record who did what, not what the customer said)."""
    names = sorted({ref, entity_of(ref)})
    about = [(AuditEntry.entity == "customer") & AuditEntry.entity_id.in_(names)]
    if ids:
        suggestions = select(SuggestionRow.id).where(SuggestionRow.conversation_id.in_(ids))
        escalations = [
            str(i)
            for i in session.scalars(
                select(Escalation.id).where(Escalation.conversation_id.in_(ids))
            )
        ]
        reports = [
            str(i)
            for i in session.scalars(select(AdrReport.id).where(AdrReport.conversation_id.in_(ids)))
        ]
        about += [
            (AuditEntry.entity == "conversation") & AuditEntry.entity_id.in_(ids),
            (AuditEntry.entity == "suggestion") & AuditEntry.entity_id.in_(suggestions),
            (AuditEntry.entity == "escalation") & AuditEntry.entity_id.in_(escalations),
            (AuditEntry.entity == "adr_report") & AuditEntry.entity_id.in_(reports),
        ]
    return _count(session, AuditEntry, [or_(*about)])


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


def _audit(
    s: Session,
    user,
    entity: str,
    entity_id: str,
    report: PurgeReport,
    *,
    reason: str,
    via: str | None = None,
) -> int:
    """The deletion, with who, why and the counts only: never the data (nor a value read from
    it). Returns the entry's id."""
    entry = AuditEntry(
        user_id=user.id if user else None,
        action="privacy.purged",
        entity=entity,
        entity_id=entity_id,
        detail={"reason": reason, **({"via": via} if via else {}), **report.counts()},
    )
    s.add(entry)
    s.flush()
    return entry.id
