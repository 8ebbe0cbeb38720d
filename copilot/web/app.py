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


def create_app(
    settings: Settings | None = None,
    copilot: Copilot | None = None,
    *,
    with_desk: bool = True,
) -> FastAPI:
    """The web service. `with_desk=False` serves only the stateless API (search, suggest)."""
    cfg = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.settings = cfg
        app.state.copilot = copilot or open_copilot(cfg)
        if with_desk:
            _open_desk(app, cfg)
        yield

    app = FastAPI(
        title="药房客服助手 Pharmacy agent copilot",
        version=__version__,
        lifespan=lifespan,
    )
    if with_desk:
        _mount_desk(app, cfg)

    @app.exception_handler(CopilotError)
    async def copilot_error(request: Request, exc: CopilotError):
        status = getattr(exc, "status", 500)
        if not request.url.path.startswith("/v1") and "text/html" in request.headers.get(
            "accept", ""
        ):
            from copilot.web.pages import render, session_user

            return render(
                request,
                "error.html",
                session_user(request),
                status_code=status,
                message=str(exc),
                status=status,
            )
        return JSONResponse(
            status_code=status, content={"error": type(exc).__name__, "detail": str(exc)}
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


def _open_desk(app: FastAPI, cfg: Settings) -> None:
    import logging

    from copilot.desk.auth import ensure_first_admin
    from copilot.desk.db import Database, database_url
    from copilot.desk.service import Desk

    app.state.db = Database(database_url(cfg))
    app.state.desk = Desk(db=app.state.db, copilot=app.state.copilot)
    with app.state.db.session() as s:
        created = ensure_first_admin(s)
    if created:
        message = (
            f"first run: created user `{created[0]}` with the one-time password "
            f"{created[1]} (log in, then add users with `copilot users add`)"
        )
        logging.getLogger("copilot").info(message)
        print(message, flush=True)

    def rebuild_with_upload(name: str, data: bytes, user):
        """Save an uploaded label, rebuild incrementally, swap the running copilot. A file the
        build rejects is removed again (or restored) so the uploads folder stays usable."""
        from copilot.desk.service import audit
        from copilot.ingest.build import build_index
        from copilot.retrieval.embeddings import make_embedder

        uploads = cfg.uploads_dir
        uploads.mkdir(parents=True, exist_ok=True)
        target = uploads / name
        previous = target.read_bytes() if target.exists() else None
        tmp = uploads / f".{name}.part"
        tmp.write_bytes(data)
        tmp.replace(target)

        def undo() -> None:
            if previous is None:
                target.unlink(missing_ok=True)
            else:
                target.write_bytes(previous)

        try:
            report = build_index(settings=cfg, embedder=make_embedder(cfg.embeddings))
        except CopilotError as exc:
            undo()
            return None, str(exc)
        mine = [p.message for p in report.skipped if p.path.endswith(name)]
        if mine:
            undo()
        fresh = open_copilot(cfg)
        app.state.copilot = fresh
        app.state.desk.copilot = fresh
        with app.state.db.session() as s:
            audit(s, user, "kb.upload", "document", name, build=report.build_id, rejected=mine)
        return report, ("；".join(mine) if mine else None)

    app.state.rebuild_with_upload = rebuild_with_upload


def _mount_desk(app: FastAPI, cfg: Settings) -> None:
    from pathlib import Path

    from fastapi.responses import RedirectResponse
    from fastapi.staticfiles import StaticFiles
    from starlette.middleware.sessions import SessionMiddleware

    from copilot.web import desk_api as web_api
    from copilot.web import pages as web_pages
    from copilot.web.session import LoginRequired, session_secret

    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(cfg),
        same_site="lax",
        session_cookie="copilot_session",
        max_age=12 * 3600,
    )
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    app.include_router(web_api.router)
    app.include_router(web_pages.router)

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
