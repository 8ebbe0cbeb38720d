"""The one orchestrator. The CLI, the API, the pages and the eval runner all call
`Copilot.suggest` (DESIGN.md, "The flow"):

    safety (triage → check → escalate?) → retrieve → draft → verify → Suggestion
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel

from copilot.drafting.chain import DraftError, draft_with_llm, parse_llm_output, stream_llm
from copilot.drafting.chat_model import make_chat_model, provider_name
from copilot.drafting.composer import CANNOT_DRAFT, choose_sources, compose
from copilot.retrieval.hybrid import HybridRetriever
from copilot.safety.gate import SafetyGate
from copilot.safety.verifier import verify_draft
from copilot.schemas import (
    CartItem,
    Chunk,
    Citation,
    Profile,
    RetrievedChunk,
    RetrievedRef,
    Suggestion,
    Triage,
    Turn,
    VerifierResult,
)
from copilot.settings import Settings

ChatModelFactory = Callable[[], BaseChatModel]


def is_strong(hit: RetrievedChunk) -> bool:
    """A hit the draft may rest on: it matched the drug or the question's section cue, or both
    lexical and dense retrieval rank it near the top."""
    ranks = hit.ranks
    if "entity" in ranks or "intent" in ranks:
        return True
    return ranks.get("bm25", 99) <= 3 and ranks.get("dense", 99) <= 3


@dataclass
class Copilot:
    settings: Settings
    retriever: HybridRetriever
    gate: SafetyGate
    chat_model: ChatModelFactory | None = None
    _model: BaseChatModel | None = field(default=None, init=False, repr=False)

    def _llm(self) -> BaseChatModel:
        if self._model is None:
            factory = self.chat_model or (lambda: make_chat_model(self.settings.llm))
            self._model = factory()
        return self._model

    def retrieval_query(self, message: str, triage: Triage) -> str:
        """The message plus drug names carried forward from earlier turns ("那这个能吃吗")."""
        carried = [d.name for d in triage.drugs if d.source == "history"]
        if carried and not any(d.source == "message" for d in triage.drugs):
            return message + " " + " ".join(dict.fromkeys(carried))
        return message

    def _population_chunks(self, doc_ids: list[str]) -> dict[str, Chunk]:
        index = self.retriever.index
        out: dict[str, Chunk] = {}
        for doc_id in doc_ids[:1]:
            for i in index.by_doc.get(doc_id, []):
                chunk = index.chunks[i]
                out.setdefault(chunk.section, chunk)
        return out

    def _prepare(self, message, history, profile, cart, lap):
        verdict = self.gate.assess(message=message, history=history, profile=profile, cart=cart)
        lap("safety")
        retrieved = self.retriever.retrieve(self.retrieval_query(message, verdict.triage))
        strong = [r for r in retrieved if is_strong(r)]
        lap("retrieve")
        draft_text, citations = None, []
        if strong:
            sources = choose_sources(strong, verdict.triage)
            linked = [d.doc_id for d in verdict.triage.drugs]
            draft_text, citations = compose(
                message=message,
                triage=verdict.triage,
                sources=sources,
                extra=self._population_chunks(linked),
                tokenizer=self.retriever.index.tokenizer,
            )
        refs = [
            RetrievedRef(
                chunk_id=r.chunk.id,
                doc_id=r.chunk.doc_id,
                section=r.chunk.section,
                score=r.score,
                strong=is_strong(r),
            )
            for r in retrieved
        ]
        return verdict, strong, draft_text, citations, refs

    def _llm_inputs(self, message, history, profile, cart, citations, verdict) -> dict:
        turns = self.settings.llm.history_turns
        return {
            "question": message,
            "history": history[-turns:] if turns else [],
            "profile": profile,
            "cart": cart,
            "sources": citations,
            "alerts": verdict.alerts,
        }

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
        history = list(history or [])
        profile = profile or Profile()
        cart = list(cart or [])
        provider = provider or self.settings.llm.provider
        timings: dict[str, float] = {}
        clock = time.perf_counter()

        def lap(stage: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            timings[stage] = round((now - clock) * 1000, 3)
            clock = now

        verdict, strong, draft_text, citations, refs = self._prepare(
            message, history, profile, cart, lap
        )
        used, fallback = "extractive", None
        if draft_text is not None and provider == "openai" and verdict.decision != "escalate":
            inputs = self._llm_inputs(message, history, profile, cart, citations, verdict)
            try:
                if stream_tokens:
                    pieces = []
                    for piece in stream_llm(self._llm(), **inputs):
                        pieces.append(piece)
                        yield "delta", piece
                    llm = parse_llm_output("".join(pieces))
                else:
                    llm = draft_with_llm(self._llm(), **inputs)
                draft_text, used = llm.reply, provider_name(self.settings.llm)
            except DraftError as exc:
                fallback = str(exc)
        lap("draft")

        verification = None
        if draft_text is not None:
            verification, draft_text, fallback, used = self._verify(
                draft_text, citations, fallback, used, verdict.triage, strong, message
            )
        lap("verify")

        if verdict.decision == "escalate":
            kind, text = "holding", verdict.holding_reply or ""
        elif draft_text is None:
            kind, text = "cannot_draft", CANNOT_DRAFT
        else:
            kind, text = "draft", draft_text
        yield (
            "suggestion",
            Suggestion(
                id=uuid.uuid4().hex,
                kind=kind,
                text=text,
                draft=draft_text if kind == "holding" else None,
                citations=citations if draft_text is not None else [],
                alerts=verdict.alerts,
                verdict=verdict,
                verification=verification,
                provider=used,
                fallback=fallback,
                timings_ms=timings | {"total": round(sum(timings.values()), 3)},
                retrieved=refs,
            ),
        )

    def _verify(
        self,
        text: str,
        citations: list[Citation],
        fallback: str | None,
        used: str,
        triage: Triage,
        strong: list[RetrievedChunk],
        message: str,
    ) -> tuple[VerifierResult, str | None, str | None, str]:
        by_n = {c.n: c.as_chunk() for c in citations}
        result = verify_draft(self.gate.sk, text, by_n)
        if result.outcome == "block" and all(
            f.code == "invented_citation" for f in result.findings if f.level == "block"
        ):
            # The LLM cited sources it was not given: drop those markers and check again.
            cleaned = verify_draft(self.gate.sk, result.cleaned_text, by_n)
            if cleaned.outcome != "block":
                note = "invented citations removed: " + "; ".join(
                    f.detail for f in result.findings if f.code == "invented_citation"
                )
                return cleaned, result.cleaned_text, fallback or note, used
        if result.outcome == "block" and used != "extractive":
            reasons = "; ".join(f"{f.code}: {f.detail}" for f in result.findings)
            fallback = f"LLM draft blocked by the verifier ({reasons})"
            sources = choose_sources(strong, triage)
            text, _ = compose(
                message=message,
                triage=triage,
                sources=sources,
                extra={},
                tokenizer=self.retriever.index.tokenizer,
            )
            used = "extractive"
            result = verify_draft(self.gate.sk, text, by_n)
        if result.outcome == "block":
            return result, None, fallback, used
        return result, text, fallback, used
