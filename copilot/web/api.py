"""The stateless JSON API: knowledge search and the suggest pipeline (JSON and server-sent
events). Request and response bodies are the shared schemas."""

from __future__ import annotations

import time
from collections.abc import Iterator

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, Field

from copilot.pipeline import Copilot
from copilot.schemas import DocKind, RetrievedChunk, SearchFilters, Suggestion, SuggestRequest
from copilot.web.session import api_caller

# Every route needs a caller (a user's bearer token or session, or the service token).
router = APIRouter(prefix="/v1", tags=["copilot"], dependencies=[Depends(api_caller)])


class SearchResponse(BaseModel):
    query: str
    took_ms: float
    results: list[RetrievedChunk]
    linked_drugs: list[str] = Field(description="Document ids the query's drug names linked to.")
    intents: list[str] = Field(description="Label sections or policies the question points at.")


def _copilot(request: Request) -> Copilot:
    return request.app.state.copilot


@router.get("/search", response_model=SearchResponse)
def search(
    request: Request,
    q: str = Query(
        min_length=1,
        max_length=500,
        pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f\uFFFD]*$",
        description="Customer question.",
    ),
    k: int = Query(default=5, ge=1, le=50),
    kind: DocKind | None = Query(default=None, description="label, policy or document."),
) -> SearchResponse:
    if not q.strip():
        raise RequestValidationError(
            [{"loc": ("query", "q"), "msg": "问题为空：请发送顾客的问题", "type": "value_error"}]
        )
    started = time.perf_counter()
    results, trace = _copilot(request).search(q, k, SearchFilters(kind=kind) if kind else None)
    return SearchResponse(
        query=q,
        took_ms=round((time.perf_counter() - started) * 1000, 2),
        results=results,
        linked_drugs=[lk.doc_id for lk in trace.links],
        intents=trace.intents,
    )


@router.post("/suggest", response_model=Suggestion)
def suggest(req: SuggestRequest, request: Request) -> Suggestion:
    """Draft (or holding reply) with citations, alerts and the safety verdict."""
    return _copilot(request).suggest(
        message=req.message,
        history=req.history,
        profile=req.profile,
        cart=req.cart,
        provider=req.provider,
    )


@router.post("/suggest/stream", response_class=EventSourceResponse)
def suggest_stream(req: SuggestRequest, request: Request) -> Iterator[ServerSentEvent]:
    """Server-sent events: `delta` events carry the LLM's unverified text as it is written
    (openai provider only); the last event, `suggestion`, is the verified Suggestion."""
    for name, payload in _copilot(request).stream(
        message=req.message,
        history=req.history,
        profile=req.profile,
        cart=req.cart,
        provider=req.provider,
    ):
        if name == "suggestion":
            yield ServerSentEvent(event=name, raw_data=payload.model_dump_json())
        else:
            yield ServerSentEvent(event=name, data={"text": payload})
