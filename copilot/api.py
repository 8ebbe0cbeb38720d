"""FastAPI application: health, knowledge search, and the suggest pipeline (JSON and
server-sent events). Request and response bodies are the shared schemas."""

from __future__ import annotations

import json
import time
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from copilot import __version__
from copilot.errors import CopilotError
from copilot.pipeline import Copilot
from copilot.schemas import DocKind, RetrievedChunk, SearchFilters, Suggestion, SuggestRequest
from copilot.settings import Settings, get_settings
from copilot.wiring import open_copilot


class SearchResponse(BaseModel):
    query: str
    took_ms: float
    results: list[RetrievedChunk]
    linked_drugs: list[str] = Field(description="Document ids the query's drug names linked to.")
    intents: list[str] = Field(description="Label sections or policies the question points at.")


def create_app(settings: Settings | None = None, copilot: Copilot | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        cfg = settings or get_settings()
        app.state.settings = cfg
        app.state.copilot = copilot or open_copilot(cfg)
        yield

    app = FastAPI(
        title="药房客服助手 Pharmacy agent copilot",
        version=__version__,
        lifespan=lifespan,
    )

    @app.exception_handler(CopilotError)
    async def copilot_error(request: Request, exc: CopilotError):
        return JSONResponse(
            status_code=500, content={"error": type(exc).__name__, "detail": str(exc)}
        )

    @app.get("/healthz")
    def healthz(request: Request) -> dict:
        cp: Copilot = request.app.state.copilot
        manifest = cp.retriever.index.manifest
        return {
            "status": "ok",
            "version": __version__,
            "index_build": manifest.build_id,
            "documents": manifest.documents,
            "chunks": manifest.chunks,
            "embedder": manifest.embedder,
            "llm_provider": cp.settings.llm.provider,
        }

    @app.get("/v1/search", response_model=SearchResponse)
    def search(
        request: Request,
        q: str = Query(min_length=1, max_length=500, description="Customer question."),
        k: int = Query(default=5, ge=1, le=50),
        kind: DocKind | None = Query(default=None, description="label, policy or document."),
    ) -> SearchResponse:
        if not q.strip():
            raise HTTPException(status_code=422, detail="q is blank: send the customer's question")
        retriever = request.app.state.copilot.retriever
        started = time.perf_counter()
        results, trace = retriever.search(q, k, SearchFilters(kind=kind) if kind else None)
        return SearchResponse(
            query=q,
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            results=results,
            linked_drugs=[lk.doc_id for lk in trace.links],
            intents=trace.intents,
        )

    def _check(req: SuggestRequest) -> None:
        if not req.message.strip():
            raise HTTPException(
                status_code=422, detail="message is blank: send the customer's text"
            )

    @app.post("/v1/suggest", response_model=Suggestion)
    def suggest(req: SuggestRequest, request: Request) -> Suggestion:
        """Draft (or holding reply) with citations, alerts and the safety verdict."""
        _check(req)
        return request.app.state.copilot.suggest(
            message=req.message,
            history=req.history,
            profile=req.profile,
            cart=req.cart,
            provider=req.provider,
        )

    @app.post("/v1/suggest/stream")
    def suggest_stream(req: SuggestRequest, request: Request) -> StreamingResponse:
        """Server-sent events: `delta` events carry the LLM's unverified text as it is written
        (openai provider only); the last event, `suggestion`, is the verified Suggestion."""
        _check(req)
        cp: Copilot = request.app.state.copilot

        def events():
            for name, payload in cp.stream(
                message=req.message,
                history=req.history,
                profile=req.profile,
                cart=req.cart,
                provider=req.provider,
            ):
                data = (
                    payload.model_dump_json()
                    if name == "suggestion"
                    else json.dumps({"text": payload}, ensure_ascii=False)
                )
                yield f"event: {name}\ndata: {data}\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app
