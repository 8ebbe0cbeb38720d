"""The one orchestrator. The CLI, the API, the pages and the eval runner all call
`Copilot.suggest` (DESIGN.md, "The flow"):

    read → safety (triage → check → escalate?) → retrieve → compose → draft → verify → Suggestion

State moves through the stages in one `RunState`: what one stage finds (linked drugs, section
cues, tokens) is computed once and read by the next.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel

from copilot.drafting.answer import Request
from copilot.drafting.aspects import load_aspects
from copilot.drafting.chain import DraftError, draft_with_llm, parse_llm_output, stream_llm
from copilot.drafting.chat_model import make_chat_model, provider_name
from copilot.drafting.composer import CANNOT_DRAFT, AnswerComposer
from copilot.drafting.emergency import emergency_script  # noqa: F401  (the case page's)
from copilot.drafting.indications import condition_terms
from copilot.drafting.prompts import load_prompt
from copilot.drafting.unit_vectors import UnitVectors
from copilot.drafting.units import cut_units
from copilot.retrieval.hybrid import HybridRetriever, Reading, RetrievalTrace
from copilot.retrieval.naming import Naming, name_products
from copilot.safety.closing import is_closing, is_status_report, tells_only
from copilot.safety.gate import SafetyGate
from copilot.safety.triage import SERVICE_INTENTS  # noqa: F401  (re-exported for the desk)
from copilot.schemas import (
    CartItem,
    Citation,
    Clarification,
    Document,
    ProductChoice,
    Profile,
    RetrievedChunk,
    RetrievedRef,
    SearchFilters,
    Suggestion,
    Tier,
    Turn,
    Verdict,
    VerifierResult,
    two_names,
)
from copilot.settings import Settings

ChatModelFactory = Callable[[], BaseChatModel]
_MARKER = re.compile(r"\s?(?:\[\d+(?:\s*[,，、]\s*\d+)*\]|【\d+】)")


def customer_text(text: str) -> str:
    """A reply as the customer receives it: the [n] source markers are for the agent's panel
    and are removed from what is sent."""
    return _MARKER.sub("", text)


def is_strong(hit: RetrievedChunk) -> bool:
    """A hit the draft may rest on: it matched the drug or the question's section cue, or both
    lexical and dense retrieval rank it near the top."""
    ranks = hit.ranks
    if "entity" in ranks or "intent" in ranks:
        return True
    return ranks.get("bm25", 99) <= 3 and ranks.get("dense", 99) <= 3


@dataclass
class RunState:
    """One message on its way through the pipeline. Each stage reads what earlier stages
    wrote and adds its own part; nothing is recomputed."""

    message: str
    history: list[Turn]
    profile: Profile
    cart: list[CartItem]
    provider: str
    reading: Reading
    verdict: Verdict | None = None
    naming: Naming | None = None
    service: bool = False  # a question for a policy, not a label (see service_question)
    closing: bool = False  # asks nothing: thanks, goodbye or a status report (safety/closing.py)
    report: bool = False  # of those, tells where things stand (到医院了, 退烧了, 批号是…)
    retrieved: list[RetrievedChunk] = field(default_factory=list)
    strong: list[RetrievedChunk] = field(default_factory=list)
    query_vector: list[float] | None = None  # retrieval's embedding of the query
    draft: str | None = None
    citations: list[Citation] = field(default_factory=list)
    used: str = "extractive"
    fallback: str | None = None
    verification: VerifierResult | None = None
    timings: dict[str, float] = field(default_factory=dict)
    _clock: float = field(default_factory=time.perf_counter, repr=False)

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round((now - self._clock) * 1000, 3)
        self._clock = now

    @property
    def escalated(self) -> bool:
        return self.verdict is not None and self.verdict.decision == "escalate"


@dataclass
class Copilot:
    settings: Settings
    retriever: HybridRetriever
    gate: SafetyGate
    chat_model: ChatModelFactory | None = None
    composer: AnswerComposer | None = None
    _model: BaseChatModel | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.composer is None:
            policies = {d.doc_id for d in self.retriever.documents() if d.kind == "policy"}
            indications = (
                c.text
                for d in self.retriever.documents()
                if d.kind == "label"
                for c in self.retriever.chunks_of(d.doc_id)
                if c.section in ("适应症", "功能主治")
            )
            policy_units = [
                u
                for d in sorted(policies)
                for c in self.retriever.chunks_of(d)
                for u in cut_units(c)
            ]
            self.composer = AnswerComposer(
                load_aspects(self.settings.knowledge.dir),
                policies,
                self.retriever.chunks_of,
                words=self.retriever.query_words,
                clinical=self.retriever.clinical_words,
                conditions=condition_terms(indications),
                synonyms=self.retriever.synonyms(),
                policy_vectors=UnitVectors(
                    self.retriever.embedder,
                    policy_units,
                    cache_dir=self.settings.home / "cache",
                ),
            )

    # --- what front doors may ask besides a suggestion ----------------------------------------
    def search(
        self, query: str, k: int | None = None, filters: SearchFilters | None = None
    ) -> tuple[list[RetrievedChunk], RetrievalTrace]:
        return self.retriever.search(query, k, filters)

    def documents(self) -> list[Document]:
        return self.retriever.documents()

    def document(self, doc_id: str) -> Document | None:
        return self.retriever.document(doc_id)

    def manifest(self):
        return self.retriever.manifest

    def verify_text(
        self, text: str, citations: list[Citation], *, require_citations: bool = True
    ) -> VerifierResult:
        """The verifier on a text an agent is about to send, against the draft's citations."""
        by_n = {c.n: c.as_chunk() for c in citations}
        return self.gate.verify(text, by_n, require_citations=require_citations)

    def is_closing(self, message: str) -> bool:
        """The message only thanks, acknowledges or says goodbye (safety/closing.py)."""
        return is_closing(message)

    def tells_only(self, message: str, profile: Profile | None = None) -> bool:
        """News after the pharmacist's answer, in any words (已经到医院了，医生在洗胃): no question,
        no sign, no worsening, no medicine, and no red flag or alert the message raises on its
        own (read without the earlier turns, with the record); who it is about (a child) is
        not news that needs a pharmacist."""
        if not tells_only(message):
            return False
        verdict = self.gate.assess(message=message, profile=profile or Profile())
        return not verdict.triage.red_flags and not verdict.alerts and not verdict.triage.drugs

    def is_status_report(self, message: str) -> bool:
        """The message only tells where things stand: care sought, better, stopped, a pack's
        batch number (safety/closing.py)."""
        return is_status_report(message)

    def closing_reply(self) -> str:
        """The courteous close to a message that only thanks or says goodbye."""
        return load_prompt("closing").render().strip()

    def acknowledgement(self, *, case: bool = False) -> str:
        """The reply to a status report: received (and passed on to the pharmacist, when it is
        an answered case's follow-up)."""
        return load_prompt("acknowledge").render(case=case).strip()

    def case_holding_reply(self, minutes_left: int, *, emergency: bool = False) -> str:
        """The reply to a follow-up while a pharmacist has the case (minutes to the deadline)."""
        return self.gate.case_holding_reply(minutes_left, emergency=emergency)

    def referral(self, tier: Tier, note: str, suggestion: Suggestion) -> Suggestion:
        """The suggestion turned into a holding reply because the agent judged that a
        pharmacist must handle it (at the tier they chose, their note as the reason); the draft
        is kept for the pharmacist. Caution is only ever added."""
        escalation, holding = self.gate.referral(tier, note, suggestion.verdict.triage)
        verdict = suggestion.verdict.model_copy(
            update={"decision": "escalate", "escalation": escalation, "holding_reply": holding}
        )
        return suggestion.model_copy(
            update={
                "kind": "holding",
                "text": holding,
                "draft": suggestion.draft
                or (suggestion.text if suggestion.kind == "draft" else None),
                "citations": [],
                "grounded": False,
                "verdict": verdict,
            }
        )

    def verify_holding_edit(self, text: str, holding: str) -> VerifierResult:
        """An agent's edit of a holding reply: no medical content may be added."""
        return self.gate.verify_holding_edit(text, holding)

    def verify_pharmacist_answer(
        self, text: str, *, history: list[Turn] | None = None, profile: Profile | None = None
    ) -> VerifierResult:
        """A pharmacist's answer: nothing anybody may never send (promises, PII asks …), and,
        with the case's turns and record, no dose above the label for this patient."""
        return self.gate.verify_pharmacist_answer(text, history=history, profile=profile)

    # --- the flow -------------------------------------------------------------------------------
    def suggest(
        self,
        *,
        message: str,
        history: list[Turn] | None = None,
        profile: Profile | None = None,
        cart: list[CartItem] | None = None,
        provider: str | None = None,
    ) -> Suggestion:
        """One customer message → what the agent sees (draft, holding reply or cannot-draft)."""
        events = list(
            self.stream(
                message=message,
                history=history,
                profile=profile,
                cart=cart,
                provider=provider,
                stream_tokens=False,
            )
        )
        return events[-1][1]

    def assess(
        self,
        *,
        message: str,
        history: list[Turn] | None = None,
        profile: Profile | None = None,
        cart: list[CartItem] | None = None,
    ) -> Verdict:
        """The safety verdict on one message, exactly as `suggest` decides it (the same reading
        and scope), without drafting: `copilot check` and the safety evals use it."""
        state = RunState(
            message=message,
            history=list(history or []),
            profile=profile or Profile(),
            cart=list(cart or []),
            provider=self.settings.llm.provider,
            reading=self.retriever.read(message),
        )
        self._assess(state)
        return state.verdict

    def stream(
        self,
        *,
        message: str,
        history: list[Turn] | None = None,
        profile: Profile | None = None,
        cart: list[CartItem] | None = None,
        provider: str | None = None,
        stream_tokens: bool = True,
    ) -> Iterator[tuple[str, object]]:
        """Events: ("delta", text piece) while an LLM writes (unverified preview), then one
        ("suggestion", Suggestion) with the verified result."""
        state = RunState(
            message=message,
            history=list(history or []),
            profile=profile or Profile(),
            cart=list(cart or []),
            provider=provider or self.settings.llm.provider,
            reading=self.retriever.read(message),
        )
        self._assess(state)
        self._name(state)
        self._retrieve(state)
        self._compose(state)
        yield from self._draft_with_llm(state, stream_tokens)
        self._verify(state)
        yield "suggestion", self._result(state)

    # --- stages ---------------------------------------------------------------------------------
    def _assess(self, state: RunState) -> None:
        state.service = self.service_question(state)
        state.report = is_status_report(state.message)
        state.closing = state.report or is_closing(state.message)
        state.verdict = self.gate.assess(
            message=state.message,
            history=state.history,
            profile=state.profile,
            cart=state.cart,
            links=state.reading.links,
            cues=state.reading.cues,
            # a closing asks nothing: earlier turns' people and products are out of its scope
            service=state.service or state.closing,
        )
        state.lap("safety")

    def service_question(self, state: RunState) -> bool:
        """A question for a policy (returns, delivery, coupons, prescriptions …) rather than a
        label: a policy is cued and either no product is named or nothing about using one is
        asked ("布洛芬拆了能退吗"). Which product it is does not matter then, and a product of
        earlier turns is not carried into it."""
        if not any(c in self.composer.policy_ids for c in state.reading.cues):
            return False
        named = any(lk.strength >= 2 for lk in state.reading.links)
        return not named or not self.composer.asked(state.message)

    def _name(self, state: RunState) -> None:
        """Which products the question is about (see retrieval/naming.py)."""
        if state.service or state.closing:
            state.naming = Naming()
            state.lap("name")
            return
        context: dict[str, str] = {}
        for item in state.cart:
            for doc_id in self.gate.resolve_products(item.product):
                context.setdefault(doc_id, "cart")
        for med in state.profile.current_medicines:
            for doc_id in self.gate.resolve_products(med):
                context.setdefault(doc_id, "profile")
        history = [d.doc_id for d in state.verdict.triage.drugs if d.source == "history"]
        state.naming = name_products(
            text=state.message,
            links=state.reading.links,
            words=state.reading.segments,
            known_word=self.retriever.knows_word,
            context=context,
            history_products=list(dict.fromkeys(history)),
            intents=list(state.verdict.triage.intents),
            maker_brands=self.retriever.maker_brands(),
            forms=self.retriever.product_forms(),
            siblings=self.retriever.product_siblings(),
        )
        state.lap("name")

    def _retrieve(self, state: RunState) -> None:
        """Retrieval for the message; products resolved from the context or carried from
        earlier turns ("那这个能吃吗") are added to the query. A label may support the draft
        only when it is the label of a product the question is about."""
        if state.closing:
            state.lap("retrieve")  # nothing asked: no passage to look up
            return
        naming = state.naming
        in_message = {lk.doc_id for lk in state.reading.links}
        carried = [d for d in naming.products if d not in in_message]
        query, reading = state.message, state.reading
        if carried and not naming.must_ask:
            names = [doc.label.generic_name for d in carried if (doc := self.document(d))]
            query = state.message + " " + " ".join(dict.fromkeys(names))
            reading = None  # another text: read it in retrieval
        filters = SearchFilters(kind="policy") if state.service else None
        state.retrieved, trace = self.retriever.search(query, filters=filters, reading=reading)
        state.query_vector = trace.vector
        allowed = set(naming.products)
        restrict = naming.must_ask or bool(allowed)
        state.strong = [
            r
            for r in state.retrieved
            if is_strong(r)
            and not (restrict and self._is_label(r) and r.chunk.doc_id not in allowed)
        ]
        state.lap("retrieve")

    def _is_label(self, hit: RetrievedChunk) -> bool:
        return hit.chunk.kind == "label"

    def _words_of(self, name: str) -> list[str]:
        """A medicine the customer takes, as the words a label may use for it: the name, the
        generic names and ingredients of the products it resolves to."""
        words = [name]
        for doc_id in self.gate.resolve_products(name):
            doc = self.document(doc_id)
            if doc is not None and doc.label is not None:
                words.append(doc.label.generic_name)
                words += [i.name for i in doc.label.ingredients]
        return list(dict.fromkeys(words))

    def _extractive(self, state: RunState):
        triage = state.verdict.triage
        products = list(state.naming.products) if not state.naming.must_ask else []
        if not products:
            products = [d.doc_id for d in triage.drugs if d.source == "message"][:1]
        focus = set(products)
        others = [m for m in state.profile.current_medicines] + [i.product for i in state.cart]
        medicines = {
            name: words
            for name in dict.fromkeys(others)
            if not focus & set(self.gate.resolve_products(name)) and (words := self._words_of(name))
        }
        names = {}
        for doc_id in products:
            doc = self.document(doc_id)
            if doc is not None:
                label = doc.label
                brand = label.brand_names[0] if label and label.brand_names else None
                names[doc_id] = two_names(label.generic_name, brand) if label else doc.title
        request = Request(
            message=state.message,
            triage=triage,
            profile=state.profile,
            products=products,
            product_chunks={d: self.retriever.chunks_of(d) for d in products[:2]},
            product_names=names,
            strong=state.strong,
            cues=list(state.reading.cues),
            query_words=state.reading.words,
            history=state.history,
            medicines=medicines,
            query_vector=state.query_vector,
        )
        text, citations = self.composer.compose(request)
        return (text or None), citations

    def _compose(self, state: RunState) -> None:
        if state.closing and not state.escalated:
            state.draft = self.acknowledgement() if state.report else self.closing_reply()
            return
        if state.strong:
            state.draft, state.citations = self._extractive(state)

    def _llm(self) -> BaseChatModel:
        if self._model is None:
            factory = self.chat_model or (lambda: make_chat_model(self.settings.llm))
            self._model = factory()
        return self._model

    def _draft_with_llm(self, state: RunState, stream_tokens: bool) -> Iterator[tuple[str, str]]:
        if state.draft is None or state.provider != "openai" or state.escalated or state.closing:
            state.lap("draft")
            return
        turns = self.settings.llm.history_turns
        inputs = {
            "question": state.message,
            "history": state.history[-turns:] if turns else [],
            "profile": state.profile,
            "cart": state.cart,
            # the units the answer rests on, not whole sections: the model answers from what the
            # composer chose for this question and this person (a child's row, not the table)
            "sources": [c.selected() for c in state.citations],
            "alerts": state.verdict.alerts,
        }
        try:
            if stream_tokens:
                pieces = []
                for piece in stream_llm(self._llm(), **inputs):
                    pieces.append(piece)
                    yield "delta", piece
                llm = parse_llm_output("".join(pieces))
            else:
                llm = draft_with_llm(self._llm(), **inputs)
            state.draft, state.used = llm.reply, provider_name(self.settings.llm)
        except DraftError as exc:
            state.fallback = str(exc)
        state.lap("draft")

    def _verify(self, state: RunState) -> None:
        if state.draft is None:
            state.lap("verify")
            return
        by_n = {c.n: c.as_chunk() for c in state.citations}
        # an LLM's numbers are held to the units it was given (the selected row), not to every
        # number elsewhere in the section
        given = (
            by_n
            if state.used == "extractive"
            else {c.n: c.selected().as_chunk() for c in state.citations}
        )
        result = self.gate.verify(state.draft, given, require_citations=not state.closing)
        text = state.draft
        blocks = [f for f in result.findings if f.level == "block"]
        if result.outcome == "block" and all(f.code == "invented_citation" for f in blocks):
            # The LLM cited sources it was not given: drop those markers and check again.
            cleaned = self.gate.verify(result.cleaned_text, given)
            if cleaned.outcome != "block":
                note = "invented citations removed: " + "; ".join(
                    f.detail for f in result.findings if f.code == "invented_citation"
                )
                state.verification, state.draft = cleaned, result.cleaned_text
                state.fallback = state.fallback or note
                state.lap("verify")
                return
        if result.outcome == "block" and state.used != "extractive":
            reasons = "; ".join(f"{f.code}: {f.detail}" for f in result.findings)
            state.fallback = f"LLM draft blocked by the verifier ({reasons})"
            text, _ = self._extractive(state)
            state.used = "extractive"
            result = self.gate.verify(text, by_n)
        state.verification = result
        state.draft = None if result.outcome == "block" else text
        state.lap("verify")

    def _clarification(self, naming: Naming) -> tuple[Clarification, str]:
        choices = [
            ProductChoice(doc_id=d, name=doc.label.generic_name if doc.label else doc.title)
            for d in naming.candidates[:6]
            if (doc := self.document(d)) is not None
        ]
        text = load_prompt("clarify_product").render(
            reason=naming.reason,
            mention=naming.mention or "",
            candidates="、".join(c.name for c in choices),
        )
        return Clarification(reason=naming.reason, mention=naming.mention, candidates=choices), text

    def _result(self, state: RunState) -> Suggestion:
        verdict, draft = state.verdict, state.draft
        clarification = None
        if state.naming.must_ask:
            clarification, asking = self._clarification(state.naming)
        if verdict.decision == "escalate":
            kind, text = "holding", verdict.holding_reply or ""
            if (
                clarification is not None
                and clarification.reason == "unknown"
                and "药盒" not in text  # the holding reply already asks for the box
            ):
                # The pharmacist needs the product too: the holding reply also asks for the
                # name on the box (for an emergency: bring the box to the doctor).
                ask = load_prompt("holding_ask_product").render(
                    emergency=bool(verdict.escalation and verdict.escalation.tier == "emergency"),
                    mention=clarification.mention or "",
                )
                text = f"{text}\n{ask.strip()}" if text else ask.strip()
        elif clarification is not None and draft is None:
            kind, text = "clarify", asking
        elif draft is None:
            kind, text = "cannot_draft", CANNOT_DRAFT
        else:
            kind, text = "draft", draft
        refs = [
            RetrievedRef(
                chunk_id=r.chunk.id,
                doc_id=r.chunk.doc_id,
                section=r.chunk.section,
                score=r.score,
                strong=is_strong(r),
            )
            for r in state.retrieved
        ]
        return Suggestion(
            id=uuid.uuid4().hex,
            kind=kind,
            clarification=clarification,
            text=text,
            grounded=not (state.closing and kind == "draft"),
            draft=draft if kind == "holding" else None,
            citations=state.citations if draft is not None else [],
            alerts=verdict.alerts,
            verdict=verdict,
            verification=state.verification,
            provider=state.used,
            fallback=state.fallback,
            timings_ms=state.timings | {"total": round(sum(state.timings.values()), 3)},
            retrieved=refs,
        )
