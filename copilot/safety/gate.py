"""The safety gate: triage → medication checks → escalation rules → verdict (and, on escalate,
the holding reply for the tier). Anything that raises escalates; the error is logged."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from copilot.drafting.prompts import load_prompt
from copilot.ingest.lexicon import normalize
from copilot.retrieval.linking import DrugLink
from copilot.safety.checks import run_checks
from copilot.safety.expected_effects import drop_expected
from copilot.safety.knowledge import SafetyKnowledge
from copilot.safety.label_silence import unanswered_usage
from copilot.safety.patient import child_mentioned
from copilot.safety.rules import Facts, RuleSet, fire_rules, load_rules
from copilot.safety.semantic_net import SemanticNet
from copilot.safety.tense import OVER
from copilot.safety.triage import SERVICE_INTENTS
from copilot.safety.triage import triage as run_triage
from copilot.safety.verifier import verify_draft, verify_holding_edit, verify_pharmacist_answer
from copilot.schemas import (
    TIER_ORDER,
    Alert,
    CartItem,
    Chunk,
    Document,
    Escalation,
    FiredRule,
    Profile,
    Tier,
    Triage,
    Turn,
    Verdict,
    VerifierFinding,
    VerifierResult,
    response_time,
)

log = logging.getLogger(__name__)

# The customer already has a prescription (医生开的, 有处方): not asked to upload one first.
_HAS_PRESCRIPTION = re.compile(r"(有处方|开了处方|处方开了|(医生|医院|大夫)(给)?开(了|的))")
# ... unless they ask how to buy it here: uploading it is the answer (立普妥怎么买？我有处方).
_PURCHASE = re.compile(r"(怎么|如何|咋|在哪)(买|购买|下单)|能买吗|可以买吗|想买|购买")


SAFETY_ERROR_RULE = FiredRule(
    id="safety-error",
    tier="priority",
    topic="用药安全核对",
    reason="安全检查出错，按规定转执业药师人工处理",
    template="holding_priority",
)


def _dosed_product(tri: Triage) -> str | None:
    """The one product a dose question is about: named in the message, else in earlier turns."""
    for source in ("message", "history"):
        ids = {d.doc_id for d in tri.drugs if d.source == source and not (d.past or d.others)}
        if ids:
            return next(iter(ids)) if len(ids) == 1 else None
    return None


# The rule id of a case an agent sent to a pharmacist themself (desk: Desk.refer).
AGENT_REFERRAL = "agent-referral"


@dataclass
class SafetyGate:
    sk: SafetyKnowledge
    rules: RuleSet
    net: SemanticNet | None = None  # may only add caution (safety/semantic_net.py)

    @classmethod
    def from_index(cls, index, knowledge_dir: Path) -> SafetyGate:
        return cls(
            sk=SafetyKnowledge.from_index(index, knowledge_dir),
            rules=load_rules(knowledge_dir / "rules" / "escalation.yaml"),
        )

    def document(self, doc_id: str) -> Document | None:
        """A label or policy the gate knows, by id."""
        return self.sk.documents.get(doc_id)

    def knowledge(self) -> SafetyKnowledge:
        """The declarative safety data the gate runs on (for the knowledge lint)."""
        return self.sk

    def resolve_products(self, text: str) -> list[str]:
        """Label ids for a cart or profile entry (an id, or a name)."""
        return self.sk.resolve_products(text)

    def verify(
        self, text: str, citations: Mapping[int, Chunk], *, require_citations: bool = True
    ) -> VerifierResult:
        """The draft verifier over this gate's knowledge (drafts and agents' final texts)."""
        return verify_draft(self.sk, text, citations, require_citations=require_citations)

    def case_holding_reply(self, minutes_left: int, *, emergency: bool = False) -> str:
        """A follow-up while a pharmacist has the case: it has joined the case; on an emergency
        case the reply keeps 120 first, whatever the follow-up says."""
        return load_prompt("holding_case_open").render(
            response_time=response_time(minutes_left), emergency=emergency
        )

    def referral(self, tier: Tier, note: str, tri: Triage) -> tuple[Escalation, str]:
        """An agent's own judgement that a case needs a pharmacist (the layer let it through):
        the escalation at the tier the agent chose, with their note as its reason, and the
        holding reply for that tier. It only ever adds caution."""
        rule = FiredRule(
            id=AGENT_REFERRAL,
            tier=tier,
            topic="用药问题",
            reason=f"客服判断需药师处理：{note}",
            template=self.rules.tiers[tier].template,
        )
        sla = self.rules.tiers[tier].sla_minutes
        holding = self._render([rule], tri, sla)
        return (
            Escalation(
                tier=tier,
                sla_minutes=sla,
                reasons=[rule],
                customer_advice=holding if tier == "emergency" else None,
            ),
            holding,
        )

    def verify_holding_edit(self, text: str, holding: str) -> VerifierResult:
        """An agent's edit of a holding reply (see verifier.verify_holding_edit)."""
        return verify_holding_edit(self.sk, text, holding)

    def verify_pharmacist_answer(
        self,
        text: str,
        *,
        history: list[Turn] | None = None,
        profile: Profile | None = None,
    ) -> VerifierResult:
        """A pharmacist's answer before it is delivered (see verifier.verify_pharmacist_answer),
        and its doses against the label for this patient: the answer is read as the dose checks
        read a message, with the case's customer turns and record as its context (美林每次15毫升 for
        a 3-year-old of 15 kg → above the table's 4 ml; 一天6次 → above 24小时内不超过4次). A dose
        above the label blocks until the pharmacist overrides it with a reason."""
        result = verify_pharmacist_answer(self.sk, text)
        if history is None and profile is None:
            return result
        try:
            verdict = self.assess(message=text, history=history or [], profile=profile)
        except Exception as exc:  # a check that cannot run escalates: here, it blocks
            log.exception("dose check of a pharmacist answer failed")
            finding = VerifierFinding(
                level="block",
                code="dose_check_failed",
                sentence="",
                detail=f"未能核对答复中的用量（{type(exc).__name__}），请人工核对后填写覆盖原因",
            )
            return result.model_copy(
                update={"outcome": "block", "findings": [*result.findings, finding]}
            )
        over = [a for a in verdict.alerts if a.kind == "overdose"]
        if not over:
            return result
        findings = [
            *result.findings,
            *(
                VerifierFinding(
                    level="block",
                    code="dose_over_label",
                    sentence="",
                    detail=f"答复中的用量超过说明书（{'、'.join(a.drugs)}）：{a.effect}",
                )
                for a in over
            ),
        ]
        return result.model_copy(update={"outcome": "block", "findings": findings})

    def assess(
        self,
        *,
        message: str,
        history: list[Turn] | None = None,
        profile: Profile | None = None,
        cart: list[CartItem] | None = None,
        links: list[DrugLink] | None = None,
        cues: list[str] | None = None,
        service: bool = False,
    ) -> Verdict:
        """The verdict on one message. `links` and `cues` are the message's drug links and
        section cues when the caller has already found them (the pipeline's run state);
        `service`: a service question, whose scope leaves out earlier turns' people and drugs."""
        profile = profile or Profile()
        cart = cart or []
        errors: list[str] = []
        try:
            tri = run_triage(
                self.sk,
                message,
                history=history,
                profile=profile,
                links=links,
                cues=cues,
                service=service,
                cart_ids=frozenset(
                    doc_id for item in cart for doc_id in self.sk.resolve_products(item.product)
                ),
            )
        except Exception as exc:
            log.exception("triage failed")
            errors.append(f"triage: {type(exc).__name__}: {exc}")
            tri = Triage(message_class="consultation", intents=["other"], drugs=[])
        tri = self._without_expected_effects(tri, message, profile, cart)
        alerts: list[Alert] = []
        try:
            earlier = [t.text for t in (history or []) if t.role == "customer" and not service]
            alerts, check_errors = run_checks(self.sk, tri, profile, cart, message, earlier)
            errors += check_errors
        except Exception as exc:
            log.exception("medication checks failed")
            errors.append(f"checks: {type(exc).__name__}: {exc}")
        # (the cart is checked at checkout; a service question is not about it)
        in_play = [d for d in tri.drugs if d.source in ("message", "history") and not d.past]
        # (service asked in the triage's own reading too: 维生素C片的包裹到哪了 names the product
        # only as the order's)
        asks_service = service or (bool(tri.intents) and set(tri.intents) <= SERVICE_INTENTS)
        if asks_service and not in_play and not tri.drug_classes:
            # a question about an order, a refund, an invoice … names no medicine: who the
            # customer is (pregnant, elderly, a condition), on record or in the message (去年孩子
            # 发高烧 早就好了 … 体温计能退吗), does not make it a pharmacist's case; a red flag in
            # the message still does
            if OVER.search(normalize(message)):
                # only when the message tells its medical part as over: 宝宝退烧的 吃完多久能退
                # is a fever question however 能退 reads
                tri = tri.model_copy(update={"populations": [], "child_age_years": None})
            profile = profile.model_copy(
                update={
                    "pregnant": False,
                    "trying_to_conceive": False,
                    "breastfeeding": False,
                    "conditions": [],
                    "age_years": None,
                }
            )
        facts = Facts(
            earlier="\n".join(
                normalize(t.text) for t in (history or []) if t.role == "customer" and not service
            ),
            message=message,
            triage=tri,
            alerts=alerts,
            profile=profile,
            cart=cart,
            profile_populations=self.sk.populations_for_conditions(profile.conditions),
            dosed_product=(dosed := _dosed_product(tri)),
            usage_unanswered=unanswered_usage(
                normalize(message),
                [d.doc_id for d in tri.drugs if d.source == "message" and not (d.past or d.others)]
                or ([dosed] if dosed else []),
                self.sk.documents,
            ),
            child_dose_age=self.sk.child_dose_ages.get(dosed) if dosed else None,
            course_limit_days=min(
                (
                    self.sk.course_limits[d.doc_id]
                    for d in tri.drugs
                    if d.source in ("message", "history")
                    and not d.past
                    and d.doc_id in self.sk.course_limits
                ),
                default=None,
            ),
            profile_classes={
                c
                for text in profile.current_medicines
                for doc_id in self.sk.resolve_products(text)
                if (doc := self.sk.documents.get(doc_id)) and doc.label
                for ing in doc.label.ingredients
                for c in ing.classes
            },
        )
        fired, rule_errors = fire_rules(self.rules, facts)
        errors += rule_errors
        if self.net is not None:
            try:
                similar = self.net.fire(
                    message,
                    {p.population for p in tri.populations if not p.negated},
                    {c for d in tri.drugs if not d.others for c in d.classes}
                    | {c for m in tri.drug_classes for c in m.classes}
                    | facts.profile_classes,
                )
            except Exception as exc:  # the net failing must not hide the deterministic verdict
                log.exception("semantic safety net failed")
                errors.append(f"semantic net: {type(exc).__name__}: {exc}")
                similar = None
            if similar is not None and similar.tier == "emergency" and tri.asked_only:
                # a question about what might happen (还没开始吃, 听说…): a pharmacist should
                # answer it, but no 120 script for a question; the word rules still fire
                similar = similar.model_copy(
                    update={"tier": "priority", "template": "holding_priority"}
                )
            top = max((TIER_ORDER[r.tier] for r in fired), default=-1)
            if similar is not None and TIER_ORDER[similar.tier] > top:
                fired.append(similar)  # raises the tier; never lowers it
        if errors and not any(r.tier in ("priority", "emergency") for r in fired):
            fired.append(SAFETY_ERROR_RULE)
        fired.sort(key=lambda r: -TIER_ORDER[r.tier])
        escalation, holding = None, None
        if fired:
            tier = fired[0].tier
            holding = self._render(fired, tri, self.rules.tiers[tier].sla_minutes, message, alerts)
            escalation = Escalation(
                tier=tier,
                sla_minutes=self.rules.tiers[tier].sla_minutes,
                reasons=fired,
                customer_advice=holding if tier == "emergency" else None,
            )
        decision = "escalate" if escalation else ("allow_with_alerts" if alerts else "allow")
        return Verdict(
            decision=decision,
            triage=tri,
            alerts=alerts,
            escalation=escalation,
            holding_reply=holding,
            errors=errors,
        )

    def _without_expected_effects(
        self, tri: Triage, message: str, profile: Profile, cart: list[CartItem]
    ) -> Triage:
        """Without red flags whose sign the named product's label calls harmless (see
        safety/expected_effects.py)."""
        if not tri.red_flags:
            return tri
        named = [d.doc_id for d in tri.drugs if d.source == "message"]
        # a medicine named by its class (补铁的药, 铁剂, 止疼药): every label of that class
        said = {c for m in tri.drug_classes if m.source == "message" for c in m.classes}
        if said:
            named += [
                doc_id
                for doc_id, doc in self.sk.documents.items()
                if doc.label and any(said & set(i.classes) for i in doc.label.ingredients)
            ]
        in_play = [*named, *(d.doc_id for d in tri.drugs)]
        for text in [*profile.current_medicines, *(c.product for c in cart)]:
            in_play += self.sk.resolve_products(text)
        kept = drop_expected(self.sk, tri.red_flags, normalize(message), named, in_play)
        if len(kept) == len(tri.red_flags):
            return tri
        message_class = tri.message_class
        if message_class == "emergency" and not any(f.tier == "emergency" for f in kept):
            message_class = "complaint" if "complaint" in tri.intents else "consultation"
        return tri.model_copy(update={"red_flags": kept, "message_class": message_class})

    def _render(
        self,
        fired: list[FiredRule],
        tri: Triage,
        sla_minutes: int,
        message: str = "",
        alerts: list[Alert] | None = None,
    ) -> str:
        top = fired[0]
        said = _label_contraindication(fired, alerts or [])
        if said is not None:  # the label's own 禁用 line for this customer comes first
            product, sentence = said
            return load_prompt("holding_label_contraindication").render(
                label_says=sentence, product=product, response_time=response_time(sla_minutes)
            )
        same_tier = [r for r in fired if r.tier == top.tier]
        template = top.template
        asked_rx = [d for d in tri.drugs if d.category == "Rx" and not d.taking]
        if template == "holding_prescription" and not asked_rx:
            template = "holding_priority"  # only drugs the customer already takes are Rx
        reported_reaction = any(r.id == "suspected-adverse-reaction" for r in same_tier)
        if (
            top.tier == "priority"
            and asked_rx
            and any(r.id == "rx-before-review" for r in same_tier)
            and not reported_reaction  # a side effect of an Rx drug: stop it, not "upload"
            and (not _HAS_PRESCRIPTION.search(message) or _PURCHASE.search(message))
        ):
            template = "holding_prescription"
        elif template == "holding_prescription":
            template = "holding_priority"
        never_online = [
            d for d in tri.drugs if d.never_online and not (d.taking or d.past or d.others)
        ]
        if top.tier == "priority" and reported_reaction:
            template = "holding_adverse"  # stop the drug and what to watch for come first
        elif top.tier == "priority" and any(r.id == "never-online" for r in same_tier):
            template = "holding_never_online"  # not sold online: where to get it, no upload
        elif top.tier == "priority" and tri.fever and _child(tri):
            template = "holding_child_fever"  # what a parent can safely do while waiting
        skip = {"rx-before-review"} if template == "holding_prescription" else set()
        topics = "、".join(dict.fromkeys(r.topic for r in same_tier if r.id not in skip))
        prompt = load_prompt(template)
        when = response_time(sla_minutes)
        if template == "holding_emergency":
            advice = next(
                (f.advice for f in tri.red_flags if f.tier == "emergency" and f.advice), ""
            )
            return prompt.render(advice=advice, response_time=when)
        if template == "holding_prescription":
            # A name several products share (同仁堂, 阿司匹林) is told by the Rx product's own name.
            shared = {d.name for d in tri.drugs if sum(x.name == d.name for x in tri.drugs) > 1}
            names = "、".join(
                dict.fromkeys(
                    self.sk.documents[d.doc_id].label.generic_name if d.name in shared else d.name
                    for d in asked_rx
                )
            )
            return prompt.render(drugs=names, topics=topics, response_time=when)
        if template == "holding_child_fever":
            # ask only for what the conversation has not told (no re-asking a known age)
            ask = [
                word
                for word, have in (
                    ("年龄", tri.child_age_years is not None),
                    ("体重", any(q.kind == "weight" for q in tri.quantities)),
                    ("体温", tri.temperature is not None),
                )
                if not have
            ]
            ask.append("已经用过的药（药名、用量、时间）")
            return prompt.render(topics=topics, response_time=when, ask="、".join(ask))
        if template == "holding_adverse":
            topics = next(r.topic for r in same_tier if r.id == "suspected-adverse-reaction")
        if template == "holding_never_online" and never_online:
            topics = "、".join(dict.fromkeys(d.name for d in never_online))
        return prompt.render(topics=topics or top.topic, response_time=when)


# Label checks whose alert quotes the label's own sentence (effect "说明书：…").
_LABEL_QUOTING = ("label-condition-", "label-age-limit")


def _label_contraindication(fired: list[FiredRule], alerts: list[Alert]) -> tuple[str, str] | None:
    """(product, the label's sentence) when the case is a priority one only because the
    product's label contraindicates it for this customer: the holding reply can say so."""
    top = fired[0]
    if top.tier != "priority" or any(
        r.tier == "priority" and r.id != "population-contraindication" for r in fired
    ):
        return None
    for a in alerts:
        if (
            a.kind == "population"
            and a.severity == "contraindicated"
            and (a.rule_id or "").startswith(_LABEL_QUOTING)
            and a.effect.startswith("说明书：")
        ):
            sentence = a.effect.removeprefix("说明书：").split("；顾客")[0].strip("。 ")
            sentence = re.sub(r"^\d+[.、．]\s*", "", sentence)
            return a.drugs[0], sentence
    return None


def _child(tri: Triage) -> bool:
    """A child is who the message is about (an age, or 孩子/宝宝 not negated)."""
    said = {p.population for p in tri.populations if not p.negated}
    return child_mentioned(said, tri.child_age_years)
