"""The desk: what agents and pharmacists do, stored in transactions with an audit trail.

customer message → suggest → stored suggestion (+ escalation with SLA deadline)
agent: accept | edit (final text re-verified) | reject (reason) → own reply (verified as an edit)
pharmacist: claim → answer (delivered into the conversation) → close; correct (更正) a sent answer

One case per conversation: while an escalation is open, a follow-up joins it (raising its tier
when more urgent) instead of opening another, and a medical follow-up gets the case's holding
reply. A suggestion goes stale once a pharmacist has answered after it. Case actions are
conditional updates (accept once, claim if unclaimed, answer only what I claimed): the second of
two concurrent actions gets 409 with who got there first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from rapidfuzz.distance import Levenshtein
from sqlalchemy import case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from copilot.desk import cases, corrections, records, replies
from copilot.desk.cases import (
    closer,
    holder,
    join_case,
    open_case,
    open_new_case,
    resolved_case,
    service_question,
    step,
)
from copilot.desk.common import (
    DeskError,
    agent_name,
    audit,
    aware,
    moved,
    require,
    require_licensed,
)
from copilot.desk.db import Database
from copilot.desk.tables import (
    AgentAction,
    CaseStep,
    Conversation,
    Escalation,
    Message,
    SuggestionRow,
    User,
)
from copilot.pipeline import Copilot, customer_text
from copilot.safety.masking import mask_pii
from copilot.schemas import (
    TIER_NAMES,
    TIER_ORDER,
    CartItem,
    Profile,
    Suggestion,
    Turn,
    VerifierResult,
)

MAX_MESSAGE = 2000
MAX_NOTE = 200  # an agent's reason for a referral


class RecordChanged(DeskError):
    """A record edit made from a version someone else has since replaced (409); `by` names who
    and when, so a page can say it in its own words."""

    def __init__(self, by: str) -> None:
        super().__init__(f"档案已被{by}修改，请刷新后在最新档案上修改", status=409)
        self.by = by


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
        idempotency_key: str | None = None,
    ) -> tuple[SuggestionRow, Escalation | None]:
        """Store a customer message and its suggestion (and open or join the case). With an
        `idempotency_key` (the chat system's Idempotency-Key), a repeat returns the first
        result and creates nothing; of two concurrent repeats, the unique key lets one insert
        and the other returns the winner's result."""
        if idempotency_key:
            with self.db.session() as s:
                first = _repeat(s, conversation_id, idempotency_key)
            if first is not None:
                return first
        try:
            return self._receive(
                conversation_id,
                text,
                user=user,
                profile=profile,
                cart=cart,
                customer_ref=customer_ref,
                idempotency_key=idempotency_key,
            )
        except IntegrityError:
            if not idempotency_key:
                raise
            with self.db.session() as s:
                first = _repeat(s, conversation_id, idempotency_key)
            if first is None:
                raise
            return first

    def _receive(
        self,
        conversation_id: str,
        text: str,
        *,
        user: User | None,
        profile: Profile | None,
        cart: list[CartItem] | None,
        customer_ref: str,
        idempotency_key: str | None,
    ) -> tuple[SuggestionRow, Escalation | None]:
        if not text.strip():
            raise DeskError("消息为空：请发送顾客的文字", status=422, field="text")
        if len(text) > MAX_MESSAGE:
            raise DeskError(
                f"消息过长（{len(text)}字，最多{MAX_MESSAGE}字）", status=422, field="text"
            )
        # Read what the pipeline needs in a short read-only transaction, run the pipeline (an LLM
        # call may take seconds) with no transaction open, then write everything in one short
        # transaction: a slow draft never holds a write lock other agents wait on.
        with self.db.session() as s:
            conv = s.get(Conversation, conversation_id)
            stored_profile, record = _profile_and_record(s, conv, customer_ref)
            stored_cart = [CartItem.model_validate(c) for c in conv.cart] if conv else []
            history = _turns(s, conversation_id)
        profile = profile if profile is not None else stored_profile
        cart = list(cart) if cart is not None else stored_cart
        suggestion = self.copilot.suggest(
            message=text, history=history, profile=records.merged(profile, record), cart=cart
        )
        with self.db.session() as s:
            case = open_case(s, conversation_id)
            medical = not service_question(suggestion)
            if case is not None and not suggestion.verdict.escalation and medical:
                suggestion = self._case_holding(suggestion, case)
            earlier = resolved_case(s, conversation_id) if case is None else None
            closing = earlier is not None and self.copilot.is_closing(text)
            # news after the answer, in set words (已经到医院了, 批号是…) for the case's reasons,
            # or in any words that ask nothing and raise nothing on their own (已经到医院了，医生在
            # 给孩子洗胃): the answered case's follow-up, acknowledged, not a new case
            report = (
                earlier is not None
                and not closing
                and (
                    (
                        self.copilot.is_status_report(text)
                        and (
                            suggestion.verdict.escalation is None
                            or _answered_reasons_only(suggestion, earlier)
                        )
                    )
                    or self.copilot.tells_only(text, records.merged(profile, record))
                )
            )
            if closing and _answered_reasons_only(suggestion, earlier):
                suggestion = self._closing_reply(suggestion)
            elif report:
                suggestion = self._closing_reply(suggestion, report=True)
        with self.db.session() as s:
            conv = _conversation(s, conversation_id, customer_ref, user)
            conv.profile = profile.model_dump()
            conv.cart = [c.model_dump() for c in cart]
            msg = Message(
                conversation_id=conversation_id,
                role="customer",
                text=text,
                idempotency_key=idempotency_key,
            )
            s.add(msg)
            s.flush()  # a concurrent repeat of the same key fails here: IntegrityError
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
            esc = open_case(s, conversation_id)
            if esc is not None:
                if suggestion.verdict.escalation:
                    join_case(s, user, esc, suggestion)
                return row, esc
            earlier = resolved_case(s, conversation_id)
            if earlier is not None:
                # the customer writes again after the pharmacist's answer: the case's follow-up;
                # a status report (到医院了, 退烧了, 批号是…) is recorded in their words, masked
                said = f"：{mask_pii(text)[:200]}" if report else ""
                # (the customer's words, not a message number, in the case's steps)
                step(s, earlier, "follow_up", None, note=f"顾客再次来信{said}")
            if suggestion.verdict.escalation:
                esc = open_new_case(s, user, row, suggestion, msg, follows=earlier)
            return row, esc

    def _closing_reply(self, suggestion: Suggestion, *, report: bool = False) -> Suggestion:
        """A thank-you (or a status report) after the pharmacist answered the case whose
        reasons still hold (the cart's allergy, the record's condition): the courteous close or
        the acknowledgement, not a new case; the alerts stay on the suggestion for the agent."""
        verdict = suggestion.verdict.model_copy(
            update={
                "decision": "allow_with_alerts" if suggestion.verdict.alerts else "allow",
                "escalation": None,
                "holding_reply": None,
            }
        )
        return suggestion.model_copy(
            update={
                "kind": "draft",
                "text": self.copilot.acknowledgement(case=True)
                if report
                else self.copilot.closing_reply(),
                "grounded": False,
                "citations": [],
                "verdict": verdict,
            }
        )

    def _case_holding(self, suggestion: Suggestion, case: Escalation) -> Suggestion:
        """A medical follow-up while the pharmacist has the case: the agent sends the case's
        holding reply (with the time left), never a new draft; the draft is kept for the
        pharmacist."""
        left = aware(case.sla_deadline) - datetime.now(UTC)
        minutes = max(5, int(left.total_seconds() // 60))
        text = self.copilot.case_holding_reply(minutes, emergency=case.tier == "emergency")
        return suggestion.model_copy(
            update={
                "kind": "holding",
                "text": text,
                "draft": suggestion.draft
                or (suggestion.text if suggestion.kind == "draft" else None),
                "citations": [],
            }
        )

    # --- agent --------------------------------------------------------------------------------
    def verify_text(self, suggestion_id: str, text: str) -> VerifierResult:
        with self.db.session() as s:
            row = _get(s, SuggestionRow, suggestion_id, "建议")
            sug = Suggestion.model_validate(row.payload)
        if sug.kind == "holding":
            # the case is with a pharmacist: an edit may greet or comfort, never add advice
            return self.copilot.verify_holding_edit(text, sug.text)
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
        if action not in ("accept", "edit", "reject", "dismiss"):
            raise DeskError("action 必须是 accept、edit、reject 或 dismiss", status=422)
        if final_text is not None:
            final_text = final_text.replace("\r\n", "\n")  # browsers send CRLF from textareas
        verification = None
        if action == "edit" and final_text is not None:
            with self.db.session() as s:
                unchanged = (
                    final_text.strip() == _get(s, SuggestionRow, suggestion_id, "建议").text.strip()
                )
            if unchanged:
                action, final_text = "accept", None  # "修改后发送" with the text as drafted
        if action == "edit":
            if not final_text or not final_text.strip():
                raise DeskError("修改后的文字为空", status=422, field="final_text")
            verification = self.verify_text(suggestion_id, final_text)
            _refuse_unchecked(verification, confirm_warnings)
        if action == "reject" and not (reason and reason.strip()):
            raise DeskError("拒绝时请填写原因", status=422, field="reason")
        with self.db.session() as s:
            row = _get(s, SuggestionRow, suggestion_id, "建议")
            if row.status != "pending":
                raise DeskError(_acted(s, row.id), status=409)
            answered_after = _answered_after(s, row)
            if action in ("accept", "edit") and answered_after:
                raise DeskError(
                    "药师已在此后答复该顾客，这条建议已过期，请勿再发送；请先阅读药师的答复",
                    status=409,
                )
            if action == "dismiss" and not (answered_after or _replied_after(s, row)):
                # only a suggestion made stale by a later reply (the pharmacist's answer, or an
                # agent's reply to a later message) is put away unjudged; any other is
                # accepted, edited or rejected with a reason
                raise DeskError(
                    "只有已被后续回复（药师答复或客服对后来消息的回复）覆盖的建议可以标记为已处理",
                    status=409,
                )
            new_status = {
                "accept": "accepted",
                "edit": "edited",
                "reject": "rejected",
                "dismiss": DISMISSED,
            }[action]
            # accept once: of two agents acting on one suggestion, the second gets 409
            if not moved(s, SuggestionRow, row.id, "pending", new_status):
                s.rollback()
                raise DeskError(_acted(s, row.id), status=409)
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

    def refer(self, suggestion_id: str, user: User, tier: str, note: str) -> Escalation:
        """The agent sends the case to a pharmacist themself (the layer let it through, or they
        judge it more urgent): a suggestion not sent yet becomes the tier's holding reply, the
        draft kept for the pharmacist; one already sent stays as sent. The case opens (or, with
        one open, joins it and may raise its tier). Only caution is added: a referral never
        lowers a tier."""
        require(user, "agent")
        if tier not in TIER_NAMES:
            raise DeskError(
                f"级别“{tier}”无效：请选择 "
                + "、".join(f"{k}（{v}）" for k, v in TIER_NAMES.items()),
                status=422,
                field="tier",
            )
        note = (note or "").strip()
        if not note:
            raise DeskError("请写明转药师的原因（药师会看到）", status=422, field="note")
        if len(note) > MAX_NOTE:
            raise DeskError(
                f"原因过长（{len(note)}字，最多{MAX_NOTE}字）", status=422, field="note"
            )
        with self.db.session() as s:
            row = _get(s, SuggestionRow, suggestion_id, "建议")
            sug = Suggestion.model_validate(row.payload)
            case = open_case(s, row.conversation_id)
            if row.status != "pending":
                # already sent (the holding reply, the agent's own reply): the case is opened or
                # raised all the same; what the customer was told stays as it is
                return self._refer_after_reply(s, user, row, sug, tier, note)
            # a case already at least this urgent keeps its own holding reply (an emergency's
            # 120 first); the note joins the case
            kept = (
                self._case_holding(sug, case).text
                if case is not None and TIER_ORDER[tier] <= TIER_ORDER[case.tier]
                else None
            )
        referred = self.copilot.referral(tier, note, sug)
        if kept is not None:
            referred = referred.model_copy(
                update={
                    "text": kept,
                    "verdict": referred.verdict.model_copy(update={"holding_reply": kept}),
                }
            )
        with self.db.session() as s:
            # the suggestion is rewritten only while nobody has sent it: one sent meanwhile (an
            # agent accepting the draft at the same moment) gets 409, and the agent refers again
            # on what was sent
            won = s.execute(
                update(SuggestionRow)
                .where(SuggestionRow.id == suggestion_id, SuggestionRow.status == "pending")
                .values(
                    kind=referred.kind,
                    text=referred.text,
                    decision=referred.verdict.decision,
                    payload=referred.model_dump(mode="json"),
                )
                .execution_options(synchronize_session=False)
            ).rowcount
            if won != 1:
                s.rollback()
                raise DeskError(_acted(s, suggestion_id), status=409)
            row = s.get(SuggestionRow, suggestion_id)
            return _file_referral(s, user, row, referred, tier, note)

    def _refer_after_reply(
        self, s: Session, user: User, row: SuggestionRow, sug: Suggestion, tier, note
    ) -> Escalation:
        return _file_referral(s, user, row, self.copilot.referral(tier, note, sug), tier, note)

    def reply(
        self, suggestion_id: str, user: User, text: str, *, confirm_warnings: bool = False
    ) -> Message:
        """The agent's own reply after rejecting the suggestion, checked as an edit of it is:
        on a case with the pharmacist, only what may be added to a holding reply passes."""
        require(user, "agent")
        text = text.replace("\r\n", "\n")
        if not text.strip():
            raise DeskError("回复为空：请输入要发送给顾客的文字", status=422, field="text")
        with self.db.session() as s:
            row = _get(s, SuggestionRow, suggestion_id, "建议")
            if row.status == "pending":
                raise DeskError("请先拒绝这条建议，再自行回复", status=409)
            if row.status != "rejected":
                who = replies.replier(s, row.id) if row.status == replies.REPLIED else None
                raise DeskError(
                    f"{who}已自行回复该顾客，请勿重复发送" if who else _acted(s, row.id),
                    status=409,
                )
            if _answered_after(s, row):
                raise DeskError(
                    "药师已在此后答复该顾客，请先阅读药师的答复，不要再就此条消息回复", status=409
                )
        verification = self.verify_text(suggestion_id, text)
        _refuse_unchecked(verification, confirm_warnings)
        with self.db.session() as s:
            row = _get(s, SuggestionRow, suggestion_id, "建议")
            return replies.send(s, row, user, text, verification)

    # --- pharmacist ---------------------------------------------------------------------------
    def claim(self, escalation_id: int, user: User) -> Escalation:
        require_licensed(user)
        with self.db.session() as s:
            esc = _get(s, Escalation, escalation_id, "转药师工单")
            if esc.status not in ("open", "claimed"):
                raise DeskError(f"工单{_status_cn(esc.status)}，不能认领", status=409)
            won = s.execute(
                update(Escalation)
                .where(
                    Escalation.id == esc.id,
                    or_(
                        Escalation.status == "open",
                        (Escalation.status == "claimed") & (Escalation.assignee_id == user.id),
                    ),
                )
                .values(status="claimed", assignee_id=user.id, claimed_at=datetime.now(UTC))
                .execution_options(synchronize_session=False)
            ).rowcount
            if won != 1:
                s.rollback()
                raise DeskError(f"工单已被{holder(s, escalation_id)}认领", status=409)
            audit(s, user, "escalation.claimed", "escalation", esc.id)
            step(s, esc, "analyse", user)
            s.flush()
            s.refresh(esc)
            return esc

    def _case_context(self, escalation_id: int) -> tuple[list[Turn], Profile]:
        """The customer's turns of the case's conversation and their record: what a pharmacist's
        answer is checked against (the child's age and weight, the product in question)."""
        with self.db.session() as s:
            esc = _get(s, Escalation, escalation_id, "转药师工单")
            stored, record = _profile_and_record(s, s.get(Conversation, esc.conversation_id))
            turns = [t for t in _turns(s, esc.conversation_id) if t.role == "customer"]
        return turns, records.merged(stored, record)

    def answer(
        self, escalation_id: int, user: User, text: str, *, override_reason: str | None = None
    ) -> Escalation:
        """Deliver a pharmacist's answer to a case they claimed. A blocked answer is sent only
        with an explicit override and its reason, recorded in the audit log."""
        require_licensed(user)
        # the customer gets no [n] markers, from anyone; and one line ending (browsers send CRLF)
        text = customer_text(text.replace("\r\n", "\n"))
        overridden = self._checked_answer(escalation_id, text, override_reason)
        with self.db.session() as s:
            esc = _get(s, Escalation, escalation_id, "转药师工单")
            if esc.status not in ("open", "claimed"):
                raise DeskError(
                    f"工单已由{holder(s, esc.id)}答复（{_status_cn(esc.status)}），不能再答复",
                    status=409,
                )
            if esc.status == "open":
                raise DeskError("请先认领工单再答复", status=409)
            now = datetime.now(UTC)
            # answer only what I claimed and is still open: of two answers, one is delivered
            won = s.execute(
                update(Escalation)
                .where(
                    Escalation.id == esc.id,
                    Escalation.status == "claimed",
                    Escalation.assignee_id == user.id,
                )
                .values(status="answered", answer=text, answer_version=1, answered_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if won != 1:
                s.rollback()
                raise DeskError(f"工单已由{holder(s, escalation_id)}处理", status=409)
            s.add(
                Message(
                    conversation_id=esc.conversation_id,
                    role="pharmacist",
                    text=text,
                    author_id=user.id,
                )
            )
            audit(s, user, "escalation.answered", "escalation", esc.id, length=len(text))
            step(s, esc, "resolve", user)
            if overridden:
                _audit_override(s, user, esc, overridden, override_reason)
            s.flush()
            s.refresh(esc)
            return esc

    def correct(
        self,
        escalation_id: int,
        user: User,
        text: str,
        *,
        version: int,
        override_reason: str | None = None,
    ) -> Escalation:
        """A pharmacist's correction (更正) of an answer already sent, made from answer
        `version`: checked as an answer is, delivered as a new message (see corrections)."""
        require_licensed(user)
        text = customer_text(text.replace("\r\n", "\n"))
        overridden = self._checked_answer(escalation_id, text, override_reason)
        with self.db.session() as s:
            esc = _get(s, Escalation, escalation_id, "转药师工单")
            if esc.answer is not None and text.strip() == esc.answer.strip():
                raise DeskError("更正后的答复与原答复相同", status=422, field="text")
            esc = corrections.correct(s, esc, user, text, version=version)
            if overridden:
                _audit_override(s, user, esc, overridden, override_reason)
            return esc

    def _checked_answer(
        self, escalation_id: int, text: str, override_reason: str | None
    ) -> list[str] | None:
        """Check a pharmacist's answer (or correction) against the case: a blocked one passes
        only with an override reason; returns the findings overridden."""
        if not text.strip():
            raise DeskError("答复为空", status=422, field="text")
        history, profile = self._case_context(escalation_id)
        checked = self.copilot.verify_pharmacist_answer(text, history=history, profile=profile)
        if checked.outcome != "block":
            return None
        details = "；".join(dict.fromkeys(f.detail for f in checked.findings if f.level == "block"))
        if not (override_reason and override_reason.strip()):
            raise DeskError(
                f"答复核查未通过：{details}。如确需按原文发送，请填写覆盖原因", status=409
            )
        return [f.code for f in checked.findings if f.level == "block"]

    def close(self, escalation_id: int, user: User) -> Escalation:
        require(user, "pharmacist")
        with self.db.session() as s:
            esc = _get(s, Escalation, escalation_id, "转药师工单")
            if esc.status == "closed":
                raise DeskError(f"工单已由{closer(s, esc.id)}关闭", status=409)
            if esc.status != "answered":
                raise DeskError("只有已答复的工单可以关闭", status=409)
            # close once: of two concurrent closes, the second gets 409 naming the first
            won = s.execute(
                update(Escalation)
                .where(Escalation.id == esc.id, Escalation.status == "answered")
                .values(status="closed", closed_at=datetime.now(UTC))
                .execution_options(synchronize_session=False)
            ).rowcount
            if won != 1:
                s.rollback()
                raise DeskError(f"工单已由{closer(s, esc.id)}关闭", status=409)
            s.refresh(esc)
            audit(s, user, "escalation.closed", "escalation", esc.id)
            step(s, esc, "archive", user)
            return esc

    def close_without_answer(self, escalation_id: int, user: User, note: str) -> Escalation:
        """Close a case the pharmacist claimed that needs no answer (the customer only thanked
        or said goodbye), with a note saying why, recorded as the archive step and audited. An
        emergency is always answered."""
        require_licensed(user)
        note = note.strip()
        if len(note) < 2:
            raise DeskError(
                "请填写不答复即关闭的原因（如：顾客仅致谢，无需答复）", status=422, field="note"
            )
        with self.db.session() as s:
            esc = _get(s, Escalation, escalation_id, "转药师工单")
            if esc.tier == "emergency":
                raise DeskError("紧急工单必须答复顾客后才能关闭", status=409)
            if esc.status == "open":
                raise DeskError("请先认领工单再关闭", status=409)
            # close only what I claimed and is still unanswered: a concurrent answer or close wins
            won = s.execute(
                update(Escalation)
                .where(
                    Escalation.id == esc.id,
                    Escalation.status == "claimed",
                    Escalation.assignee_id == user.id,
                )
                .values(status="closed", closed_at=datetime.now(UTC))
                .execution_options(synchronize_session=False)
            ).rowcount
            if won != 1:
                s.rollback()
                raise DeskError(f"工单已由{holder(s, escalation_id)}处理", status=409)
            s.refresh(esc)
            audit(s, user, "escalation.closed_without_answer", "escalation", esc.id, note=note)
            step(s, esc, "archive", user, note=f"未答复即关闭：{note}")
            return esc

    def follow_up(self, escalation_id: int, user: User, note: str) -> Escalation:
        """The pharmacist's follow-up of an answered case (随访: how the customer is doing),
        recorded as a step with its note."""
        require(user, "pharmacist")
        if not note.strip():
            raise DeskError("请填写随访记录", status=422)
        with self.db.session() as s:
            esc = _get(s, Escalation, escalation_id, "转药师工单")
            if esc.status not in ("answered", "closed"):
                raise DeskError("工单答复后才能记录随访", status=409)
            step(s, esc, "follow_up", user, note=note.strip())
            audit(s, user, "escalation.follow_up", "escalation", esc.id)
            return esc

    def steps(self, session: Session, escalation_id: int) -> list[CaseStep]:
        return cases.steps(session, escalation_id)

    # --- the customer's record -------------------------------------------------------------------
    def record(self, customer_ref: str, user: User) -> records.RecordView | None:
        require(user, "agent", "pharmacist")
        with self.db.session() as s:
            return records.read(s, customer_ref)

    def save_record(
        self, customer_ref: str, user: User, record: records.HealthRecord, *, version: int
    ) -> records.RecordView:
        """Save an edit made from `version` (0 for a new record); a later save by someone else
        in between gets 409 naming them. Audited with the names of the fields changed."""
        require(user, "agent", "pharmacist")
        if not customer_ref.strip():
            raise DeskError("没有顾客编号：请先由聊天系统传入顾客编号（customer_ref）", status=422)
        with self.db.session() as s:
            try:
                view, changed = records.save(s, user, customer_ref, record, version=version)
            except records.RecordConflict as exc:
                # the pharmacy reads Beijing time, as on every page
                at = aware(exc.at).astimezone(timezone(timedelta(hours=8))) if exc.at else None
                when = f"（北京时间{at:%H:%M}）" if at else ""
                raise RecordChanged(f"{exc.who}{when}") from None
            audit(
                s,
                user,
                "record.updated" if version else "record.created",
                "customer",
                customer_ref,
                fields=changed,
                version=view.version,
            )
            return view

    # --- reading -------------------------------------------------------------------------------
    def queue(self, session: Session, *, include_closed: bool = False) -> list[Escalation]:
        stmt = select(Escalation)
        if not include_closed:
            stmt = stmt.where(Escalation.status != "closed")
        # within a tier: cases nobody holds first, then those being worked, then those answered
        # and waiting to be closed; the earliest deadline first in each
        status_rank = case(
            _QUEUE_STATUS_RANK, value=Escalation.status, else_=len(_QUEUE_STATUS_RANK)
        )
        return list(
            session.scalars(
                stmt.order_by(Escalation.tier_rank, status_rank, Escalation.sla_deadline)
            )
        )


_QUEUE_STATUS_RANK = {"open": 0, "claimed": 1, "answered": 2, "closed": 3}

# A suggestion the pharmacist's answer made stale, put away by the agent: neither sent nor
# rejected (the agent did not judge the draft), so it counts in no acceptance or reject rate.
DISMISSED = "dismissed"
_STATUS_CN = {
    "open": "待认领",
    "claimed": "已认领",
    "answered": "已答复",
    "closed": "已关闭",
    "pending": "待处理",
    "accepted": "已采纳发送",
    "edited": "已修改发送",
    "rejected": "已拒绝",
    "replied": "已拒绝并自行回复",
    DISMISSED: "药师已答复，已标记为已处理",
}


def _file_referral(
    s: Session, user: User, row: SuggestionRow, referred: Suggestion, tier: str, note: str
) -> Escalation:
    """An agent's referral onto the conversation's case: joins the open one (it may rise, never
    fall) or opens one, a case step and the audit entry."""
    esc = open_case(s, row.conversation_id)
    if esc is not None:
        join_case(s, user, esc, referred)
    else:
        msg = s.get(Message, row.message_id)
        esc = open_new_case(
            s, user, row, referred, msg, follows=resolved_case(s, row.conversation_id)
        )
    step(s, esc, "register", user, note=f"客服转药师（{TIER_NAMES[tier]}）：{note[:60]}")
    audit(s, user, "escalation.referred", "escalation", esc.id, tier=tier, note=note)
    s.flush()
    s.refresh(esc)
    return esc


def _audit_override(session: Session, user: User, esc, findings: list[str], reason) -> None:
    audit(
        session,
        user,
        "escalation.answer_override",
        "escalation",
        esc.id,
        findings=findings,
        reason=reason.strip(),
    )


def _refuse_unchecked(verification: VerifierResult, confirm_warnings: bool) -> None:
    """A text the verifier blocks is never sent; one it warns about only once confirmed."""
    if verification.outcome == "block":
        details = "；".join(
            dict.fromkeys(f.detail for f in verification.findings if f.level == "block")
        )
        raise DeskError(f"发送前核查未通过：{details}", status=409)
    if verification.outcome == "warn" and not confirm_warnings:
        details = "；".join(dict.fromkeys(f.detail for f in verification.findings))
        raise DeskError(f"发送前核查有提示，请确认后再发送：{details}", status=409)


def _answered_reasons_only(suggestion: Suggestion, earlier: Escalation) -> bool:
    """For a message that only thanks or says goodbye: every reason the pipeline would open a
    case for was a reason of the case the pharmacist answered in the last week (they have dealt
    with it). A new reason (a symptom, another medicine) still opens a case."""
    esc = suggestion.verdict.escalation
    if esc is None:
        return False
    handled = {r.get("id") for r in earlier.reasons}
    return all(r.id in handled for r in esc.reasons)


def _status_cn(status: str) -> str:
    return _STATUS_CN.get(status, status)


def _conversation(session: Session, conversation_id: str, customer_ref: str, user) -> Conversation:
    """The conversation, created if new. Several first messages may arrive at once: the insert
    runs in a savepoint, and whoever loses the race reads the winner's row (an upsert)."""
    conv = session.get(Conversation, conversation_id)
    if conv is not None:
        if customer_ref and not conv.customer_ref:
            conv.customer_ref = customer_ref  # the chat system names the customer later
        return conv
    try:
        with session.begin_nested():
            session.add(Conversation(id=conversation_id, customer_ref=customer_ref))
            session.flush()
        audit(session, user, "conversation.opened", "conversation", conversation_id)
    except IntegrityError:
        pass  # another request opened it first
    return session.get(Conversation, conversation_id, populate_existing=True)


def _written_after(session: Session, row: SuggestionRow, roles: tuple[str, ...]) -> bool:
    """Someone in `roles` has written to the customer after the message `row` answers."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Message)
            .where(
                Message.conversation_id == row.conversation_id,
                Message.role.in_(roles),
                Message.id > row.message_id,
            )
        )
        or 0
    ) > 0


def _answered_after(session: Session, row: SuggestionRow) -> bool:
    """A pharmacist has written to the customer after the message this suggestion answers."""
    return _written_after(session, row, ("pharmacist",))


def _replied_after(session: Session, row: SuggestionRow) -> bool:
    """The customer got a reply after the message this suggestion answers (an agent answered
    their later message): the suggestion is covered, not waiting."""
    return _written_after(session, row, ("agent", "pharmacist"))


def _acted(session: Session, suggestion_id: str) -> str:
    """Who acted on the suggestion first, and how (for 409 messages)."""
    session.expire_all()
    row = session.get(SuggestionRow, suggestion_id)
    first = session.scalars(
        select(AgentAction).where(AgentAction.suggestion_id == suggestion_id).limit(1)
    ).first()
    user = session.get(User, first.user_id) if first else None
    who = agent_name(user.display_name) if user else "其他客服"
    return f"该建议已处理（{who}：{_status_cn(row.status)}），请勿重复发送"


def _repeat(
    session: Session, conversation_id: str, key: str
) -> tuple[SuggestionRow, Escalation | None] | None:
    """The first result of a customer message sent again with the same Idempotency-Key: its
    suggestion, and the case it opened or joined (as the first answer returned it)."""
    msg = session.scalars(
        select(Message).where(
            Message.conversation_id == conversation_id, Message.idempotency_key == key
        )
    ).first()
    if msg is None:
        return None
    row = session.scalars(select(SuggestionRow).where(SuggestionRow.message_id == msg.id)).first()
    if row is None:
        return None
    at = aware(msg.created_at)
    for esc in session.scalars(
        select(Escalation)
        .where(Escalation.conversation_id == conversation_id)
        .order_by(Escalation.id.desc())
    ):
        opened_by = session.get(SuggestionRow, esc.suggestion_id)
        if opened_by.message_id > msg.id:
            continue  # a later message's case
        answered = aware(esc.answered_at)
        if answered is None or answered > at:
            return row, esc  # opened by this message, or open when it came
        break
    return row, None


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


def _turns(s: Session, conversation_id: str) -> list[Turn]:
    """The conversation's messages as turns, oldest first (system messages read as the agent's)."""
    return [
        Turn(role=m.role if m.role in ("customer", "agent", "pharmacist") else "agent", text=m.text)
        for m in s.scalars(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
        )
    ]


def _profile_and_record(
    s: Session, conv: Conversation | None, customer_ref: str = ""
) -> tuple[Profile, Profile | None]:
    """The profile stored with the conversation and the customer's health record, which is
    checked on every message of any of their conversations."""
    stored = Profile.model_validate(conv.profile) if conv else Profile()
    ref = (conv.customer_ref if conv else "") or customer_ref
    return stored, records.profile_for(s, ref)
