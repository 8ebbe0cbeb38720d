"""Suspected adverse drug reaction reports from a case (药品不良反应/事件报告表).

A pharmacist opens a report on an escalation; it is pre-filled from the case (the customer's
words, the products the safety layer linked with their route, maker and brand, the profile's
age, sex and weight, the other medicines on record), the label's 不良反应 section is shown beside
it for the new-or-known judgement, and the missing fields are listed. A report is saved as a
draft, submitted when the required fields are there, and after that only amended with a reason;
it is never deleted. Every change is audited, and saves are conditional on the version the
pharmacist read (two pharmacists editing one report: the second gets a conflict, nothing lost).
The due date comes from `knowledge/rules/adr.yaml`; several reports on one product (or batch)
inside the rules' window raise a cluster alert.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from copilot.desk.adr_facts import read_facts
from copilot.desk.adr_form import (
    ROUTE_CN,
    AdrDrug,
    AdrForm,
    hide_identity,
    keep_hidden_identity,
    missing_fields,
)
from copilot.desk.adr_view import AdrView
from copilot.desk.common import DeskError, audit, require
from copilot.desk.service import Desk
from copilot.desk.tables import AdrReport, Conversation, Escalation, Message, SuggestionRow, User
from copilot.ingest.products import load_products
from copilot.safety.adr_rules import AdrRules, ClusterRule, load_adr_rules
from copilot.safety.masking import mask_pii
from copilot.schemas import Suggestion


@lru_cache(maxsize=4)
def _rules(path: str, mtime: float) -> AdrRules:
    return load_adr_rules(Path(path))


def adr_rules(knowledge_dir: Path) -> AdrRules:
    path = knowledge_dir / "rules" / "adr.yaml"
    return _rules(str(path), path.stat().st_mtime if path.exists() else 0.0)


@lru_cache(maxsize=4)
def _makers(knowledge_dir: str) -> dict[str, tuple[str, str]]:
    """Product id → (first brand, its maker) from the product master."""
    out = {}
    for p in load_products(Path(knowledge_dir)):
        for b in p.brands:
            if not b.shared:
                out.setdefault(p.id, (b.name, b.maker or ""))
    return out


def _aware(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


_BEIJING = timezone(timedelta(hours=8))
_WORD = re.compile(r"[\u4e00-\u9fff]{2,4}")
_STOP = {"吃了", "之后", "以后", "怎么", "怎么办", "现在", "这个", "那个", "有点", "一直", "身上"}


def known_reactions(customer_text: str, label_text: str) -> list[str]:
    """Words of the customer's account that the label's 不良反应 section also names: a hint for
    the new-or-known judgement, which stays the pharmacist's."""
    found: list[str] = []
    for run in _WORD.findall(customer_text):
        for n in (4, 3, 2):
            for i in range(len(run) - n + 1):
                piece = run[i : i + n]
                if piece in _STOP or any(piece in f for f in found):
                    continue
                if piece in label_text:
                    found.append(piece)
    return found[:8]


@dataclass
class AdrDesk:
    """The report operations beside the desk (its database, and its copilot, which a knowledge
    update may swap)."""

    desk: Desk

    @property
    def db(self):
        return self.desk.db

    @property
    def copilot(self):
        return self.desk.copilot

    @property
    def rules(self) -> AdrRules:
        return adr_rules(self.copilot.settings.knowledge.dir)

    # --- creating ----------------------------------------------------------------------------
    def prefill(self, s: Session, esc: Escalation) -> AdrForm:
        conv = s.get(Conversation, esc.conversation_id)
        row = s.get(SuggestionRow, esc.suggestion_id)
        suggestion = Suggestion.model_validate(row.payload) if row else None
        profile = (conv.profile if conv else {}) or {}
        said = self._customer_messages(s, esc.conversation_id)
        texts = [text for text, _ in said]
        makers = _makers(str(self.copilot.settings.knowledge.dir))
        drugs: list[AdrDrug] = []
        seen: set[str] = set()
        if suggestion is not None:
            for d in suggestion.verdict.triage.drugs:
                if d.doc_id in seen or d.source == "cart":
                    continue
                seen.add(d.doc_id)
                doc = self.copilot.document(d.doc_id)
                brand, maker = makers.get(d.doc_id, ("", ""))
                route = self.copilot.gate.sk.route(d.doc_id) or ""
                drugs.append(
                    AdrDrug(
                        role="suspected" if d.source in ("message", "history") else "concomitant",
                        product_id=d.doc_id,
                        generic_name=doc.label.generic_name if doc and doc.label else d.doc_id,
                        trade_name=brand,
                        maker=maker,
                        route=ROUTE_CN.get(route, route),
                    )
                )
        for med in profile.get("current_medicines") or []:
            if med not in seen:
                seen.add(med)
                doc = self.copilot.document(med)
                name = doc.label.generic_name if doc and doc.label else str(med)
                drugs.append(AdrDrug(role="concomitant", product_id=med, generic_name=name))
        sex = {"female": "女", "male": "男"}.get(profile.get("sex") or "", "")
        conditions = "、".join(str(c) for c in profile.get("conditions") or [])
        allergies = "、".join(str(a) for a in profile.get("allergies") or [])
        history = "；".join(
            x
            for x in (
                f"基础疾病：{conditions}" if conditions else "",
                f"过敏史：{allergies}" if allergies else "",
                "妊娠" if profile.get("pregnant") else "",
            )
            if x
        )
        form = AdrForm(
            sex=sex,
            age_years=profile.get("age_years"),
            weight_kg=profile.get("weight_kg"),
            disease=conditions[:200],
            history=history,
            drugs=drugs,
            # The customer's own words, masked (phone numbers, ids): the pharmacist writes the
            # course in the form's terms from them.
            event_course=mask_pii("\n".join(texts))[:4000],
        )
        return self._with_chat_facts(form, said)[0]

    @staticmethod
    def _customer_messages(s: Session, conversation_id: str) -> list[tuple[str, datetime]]:
        """The customer's messages with when they arrived, on the pharmacy's clock (Beijing):
        昨天 in a message is the day before it was sent there."""
        rows = s.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.role == "customer")
            .order_by(Message.id)
        )
        return [(m.text, _aware(m.created_at).astimezone(_BEIJING)) for m in rows]

    def _drug_names(self, drug: AdrDrug) -> list[str]:
        names = [drug.generic_name, drug.trade_name]
        doc = self.copilot.document(drug.product_id) if drug.product_id else None
        if doc and doc.label:
            names += [doc.label.generic_name, *doc.label.brand_names, *doc.label.aliases]
        return [n for n in dict.fromkeys(names) if n and len(n) >= 2]

    def _with_chat_facts(
        self, form: AdrForm, said: list[tuple[str, datetime]]
    ) -> tuple[AdrForm, list[tuple[str, str]]]:
        """`form` with what the customer said in the chat (batch number, maker, start date,
        dose) in the medicines' fields that are still empty (adr_facts.py); and which were
        filled (medicine, field). What a pharmacist wrote is never replaced."""
        suspected = [i for i, d in enumerate(form.drugs) if d.role == "suspected"]
        facts = read_facts(said, [self._drug_names(d) for d in form.drugs], suspected)
        drugs, filled = list(form.drugs), []
        for i, found in facts.by_drug.items():
            empty = {k: v for k, v in found.fields().items() if not getattr(drugs[i], k)}
            if empty:
                drugs[i] = drugs[i].model_copy(update=empty)
                filled += [(drugs[i].generic_name or drugs[i].trade_name, k) for k in empty]
        return form.model_copy(update={"drugs": drugs}), filled

    def fill_from_chat(
        self, report_id: int, user: User, version: int
    ) -> tuple[AdrView, list[tuple[str, str]]]:
        """Fill the report's empty medicine fields from what the customer has said in the chat
        since (the answer to the report page's ready question), as a save at `version`."""
        require(user, "pharmacist")
        with self.db.session() as s:
            report = self._report(s, report_id)
            if report.status != "draft":
                raise DeskError("已提交的报告请在表中修订并填写原因", status=409)
            form, filled = self._with_chat_facts(
                AdrForm.model_validate(report.form),
                self._customer_messages(s, report.conversation_id),
            )
            if not filled:
                return self.view(s, report), []
            before, after = self._apply_at(s, report, form, version)
            audit(
                s, user, "adr.filled_from_chat", "adr_report", report.id, before=before, after=after
            )
            s.flush()
            return self.view(s, report), filled

    def open_report(self, s: Session, esc: Escalation, user: User) -> tuple[AdrReport, bool]:
        """The case's report, and whether it was created now."""
        existing = s.scalar(select(AdrReport).where(AdrReport.escalation_id == esc.id))
        if existing is not None:
            return existing, False
        form = self.prefill(s, esc)
        learned = _aware(esc.created_at) or datetime.now(UTC)
        rule, due = self.rules.deadline(form.seriousness, form.is_new, learned)
        report = AdrReport(
            escalation_id=esc.id,
            conversation_id=esc.conversation_id,
            status="draft",
            version=1,
            form=form.model_dump(mode="json"),
            learned_at=learned,
            due_at=due,
            due_rule=rule.id,
            created_by=user.id,
        )
        s.add(report)
        s.flush()
        return report, True

    # --- changing ----------------------------------------------------------------------------
    def apply(
        self, s: Session, report: AdrReport, form: AdrForm, version: int
    ) -> tuple[dict, dict]:
        """Store `form` if the report is still at `version`; returns (before, after) of the
        fields that changed. Raises ValueError on a stale version."""
        before = AdrForm.model_validate(report.form).model_dump(mode="json")
        after = form.model_dump(mode="json")
        rule, due = self.rules.deadline(form.seriousness, form.is_new, _aware(report.learned_at))
        won = s.execute(
            update(AdrReport)
            .where(AdrReport.id == report.id, AdrReport.version == version)
            .values(
                form=after,
                version=version + 1,
                due_at=due,
                due_rule=rule.id,
                updated_at=datetime.now(UTC),
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if won != 1:
            raise ValueError("stale")
        s.refresh(report)
        changed = {k for k in after if after[k] != before.get(k)}
        return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}

    # --- the operations (roles checked, audited) ---------------------------------------------
    def open_for(self, escalation_id: int, user: User) -> AdrView:
        """Open (or return the existing) report on a case; pharmacists only."""
        require(user, "pharmacist")
        with self.db.session() as s:
            esc = s.get(Escalation, escalation_id)
            if esc is None:
                raise DeskError(f"找不到转药师工单 {escalation_id}", status=404)
            report, created = self.open_report(s, esc, user)
            if created:
                audit(s, user, "adr.opened", "adr_report", report.id, escalation=esc.id)
            return self.view(s, report)

    def get(
        self, report_id: int, user: User, *, reveal: bool = False, purpose: str = "查看"
    ) -> AdrView:
        """The report; the patient's name and contact masked unless a pharmacist asks to see
        them (audited with the purpose: 查看, 导出, 打印)."""
        with self.db.session() as s:
            report = self._report(s, report_id)
            if reveal:
                require(user, "pharmacist")
                audit(s, user, "adr.revealed", "adr_report", report.id, purpose=purpose)
            return self.view(s, report, reveal=reveal)

    def save(
        self,
        report_id: int,
        user: User,
        form: AdrForm,
        version: int,
        *,
        reason: str | None = None,
        follow_up_on: date | None = None,
    ) -> AdrView:
        """Save a draft, or amend a submitted report (a reason is required; audited with the
        fields before and after)."""
        require(user, "pharmacist")
        with self.db.session() as s:
            report = self._report(s, report_id)
            form = keep_hidden_identity(form, AdrForm.model_validate(report.form))
            amending = report.status == "submitted"
            if amending and not (reason or "").strip():
                raise DeskError("已提交的报告只能修订，请填写修订原因", status=422)
            before, after = self._apply_at(s, report, form, version)
            if follow_up_on is not None and follow_up_on != report.follow_up_on:
                report.follow_up_on = follow_up_on
                before["follow_up_on"], after["follow_up_on"] = None, follow_up_on.isoformat()
            audit(
                s,
                user,
                "adr.amended" if amending else "adr.saved",
                "adr_report",
                report.id,
                before=before,
                after=after,
                reason=(reason or "").strip() or None,
            )
            s.flush()
            return self.view(s, report)

    def _apply_at(
        self, s: Session, report: AdrReport, form: AdrForm, version: int
    ) -> tuple[dict, dict]:
        """`apply`, or 409 when someone saved the report since `version` was read."""
        try:
            return self.apply(s, report, form, version)
        except ValueError:
            raise DeskError("报告已被他人修改（版本已变化），本次修改未保存", status=409) from None

    def submit(self, report_id: int, user: User, version: int) -> AdrView:
        require(user, "pharmacist")
        with self.db.session() as s:
            report = self._report(s, report_id)
            if report.status == "submitted":
                raise DeskError("报告已提交；如需更改请修订并填写原因", status=409)
            required, _ = missing_fields(AdrForm.model_validate(report.form))
            if required:
                raise DeskError("还缺必填项：" + "、".join(required), status=422)
            won = s.execute(
                update(AdrReport)
                .where(
                    AdrReport.id == report.id,
                    AdrReport.version == version,
                    AdrReport.status == "draft",
                )
                .values(status="submitted", submitted_at=datetime.now(UTC), version=version + 1)
                .execution_options(synchronize_session=False)
            ).rowcount
            if won != 1:
                raise DeskError("报告已被他人修改或提交，请刷新后再试", status=409)
            s.refresh(report)
            audit(s, user, "adr.submitted", "adr_report", report.id)
            return self.view(s, report)

    def listing(self, user: User, *, reveal: bool = False) -> list[AdrView]:
        with self.db.session() as s:
            rows = list(s.scalars(select(AdrReport).order_by(AdrReport.status, AdrReport.due_at)))
            if reveal:
                require(user, "pharmacist")
                ids = [r.id for r in rows]
                audit(s, user, "adr.revealed", "adr_report", "*", purpose="导出", reports=ids)
            return [self.view(s, r, reveal=reveal) for r in rows]

    def cluster_alerts(self, user: User) -> list[dict]:
        require(user, "pharmacist")
        with self.db.session() as s:
            return self.clusters(s)

    @staticmethod
    def _report(s: Session, report_id: int) -> AdrReport:
        report = s.get(AdrReport, report_id)
        if report is None:
            raise DeskError(f"找不到不良反应报告 {report_id}", status=404)
        return report

    # --- reading -----------------------------------------------------------------------------
    def view(self, s: Session, report: AdrReport, *, reveal: bool = False) -> AdrView:
        form = AdrForm.model_validate(report.form)
        required, recommended = missing_fields(form)
        if not reveal:
            form = hide_identity(form)
        rule = next((r for r in self.rules.deadlines if r.id == report.due_rule), None)
        label_adverse: dict[str, str] = {}
        for d in form.drugs:
            if d.role != "suspected" or not d.product_id:
                continue
            doc = self.copilot.document(d.product_id)
            for sec in getattr(doc, "sections", []) or []:
                if sec.heading == "不良反应":
                    label_adverse[d.generic_name or d.product_id] = sec.text
        hint = known_reactions(form.event_course, "\n".join(label_adverse.values()))
        due = _aware(report.due_at)
        return AdrView(
            id=report.id,
            escalation_id=report.escalation_id,
            conversation_id=report.conversation_id,
            status=report.status,
            version=report.version,
            form=form,
            identity_shown=reveal,
            due_at=due,
            due_rule=report.due_rule,
            due_label=rule.label if rule else report.due_rule,
            immediate=bool(rule and rule.immediate),
            overdue=report.status != "submitted" and due < datetime.now(UTC),
            follow_up_on=report.follow_up_on,
            missing_required=required,
            missing_recommended=recommended,
            label_adverse=label_adverse,
            known_hint=hint,
            created_at=_aware(report.created_at),
            submitted_at=_aware(report.submitted_at),
        )

    def clusters(self, s: Session, now: datetime | None = None) -> list[dict]:
        """Products (and batches) with at least the rules' number of reports in the window."""
        rule, now = self.rules.cluster, now or datetime.now(UTC)
        since = now - timedelta(
            days=rule.window_days
        )  # the live banner polls this: the window only
        rows = s.scalars(select(AdrReport).where(AdrReport.learned_at >= since))
        reports = [(r.id, _aware(r.learned_at), AdrForm.model_validate(r.form)) for r in rows]
        return find_clusters(reports, rule, now)


def find_clusters(
    reports: list[tuple[int, datetime, AdrForm]], rule: ClusterRule, now: datetime
) -> list[dict]:
    """Cluster alerts from (report id, learned at, form) by the rules' window and thresholds:
    one per product with enough reports, one per product and batch with enough."""
    since = now - timedelta(days=rule.window_days)
    by_product: dict[str, set[int]] = {}
    by_batch: dict[tuple[str, str], set[int]] = {}
    names: dict[str, str] = {}
    for report_id, learned_at, form in reports:
        if learned_at < since:
            continue
        for d in form.drugs:
            key = d.product_id or d.generic_name
            if d.role != "suspected" or not key:
                continue
            names.setdefault(key, d.generic_name or key)
            by_product.setdefault(key, set()).add(report_id)
            if d.batch_no.strip():
                by_batch.setdefault((key, d.batch_no.strip()), set()).add(report_id)
    out = [
        {"product": key, "name": names[key], "batch": None, "reports": sorted(ids)}
        for key, ids in sorted(by_product.items())
        if len(ids) >= rule.min_reports_same_product
    ]
    out += [
        {"product": key, "name": names[key], "batch": batch, "reports": sorted(ids)}
        for (key, batch), ids in sorted(by_batch.items())
        if len(ids) >= rule.min_reports_same_batch
    ]
    return out
