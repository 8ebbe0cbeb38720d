"""FastAPI application: health and JSON search over the knowledge index."""

from __future__ import annotations

import time
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Query, Request
from pydantic import BaseModel, Field

from copilot import __version__
from copilot.errors import CopilotError
from copilot.retrieval import HybridRetriever
from copilot.schemas import DocKind, RetrievedChunk, SearchFilters
from copilot.settings import Settings, get_settings
from copilot.wiring import open_retriever


class SearchResponse(BaseModel):
    query: str
    took_ms: float
    results: list[RetrievedChunk]
    linked_drugs: list[str] = Field(description="Document ids the query's drug names linked to.")
    intents: list[str] = Field(description="Label sections or policies the question points at.")


def create_app(
    settings: Settings | None = None, retriever: HybridRetriever | None = None
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        cfg = settings or get_settings()
        app.state.settings = cfg
        app.state.retriever = retriever or open_retriever(cfg)
        yield

    app = FastAPI(
        title="药房客服助手 Pharmacy agent copilot",
        version=__version__,
        lifespan=lifespan,
    )

    @app.exception_handler(CopilotError)
    async def copilot_error(request: Request, exc: CopilotError):
        from fastapi.responses import JSONResponse

        return JSONResponse(
            status_code=500, content={"error": type(exc).__name__, "detail": str(exc)}
        )

    @app.get("/healthz")
    def healthz(request: Request) -> dict:
        index = request.app.state.retriever.index
        return {
            "status": "ok",
            "version": __version__,
            "index_build": index.manifest.build_id,
            "documents": index.manifest.documents,
            "chunks": index.manifest.chunks,
            "embedder": index.manifest.embedder,
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
        retriever: HybridRetriever = request.app.state.retriever
        started = time.perf_counter()
        results, trace = retriever.search(q, k, SearchFilters(kind=kind) if kind else None)
        return SearchResponse(
            query=q,
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            results=results,
            linked_drugs=[lk.doc_id for lk in trace.links],
            intents=trace.intents,
        )

    return app
