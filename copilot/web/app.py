"""The FastAPI application: lifespan (pipeline, desk), one error handler for every
`CopilotError`, health, the JSON API and the desk's pages and API."""

from __future__ import annotations

import logging
import os
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from copilot import __version__
from copilot.errors import CopilotError
from copilot.pipeline import Copilot
from copilot.settings import Settings, get_settings
from copilot.web import api
from copilot.wiring import open_copilot

log = logging.getLogger("copilot")


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
    app.include_router(api.router)

    @app.exception_handler(CopilotError)
    async def copilot_error(request: Request, exc: CopilotError):
        """Every deliberate error → its class's HTTP status; pages get the Chinese error page."""
        status = exc.status
        if status >= 500:
            log.error("%s on %s: %s", type(exc).__name__, request.url.path, exc)
        if not request.url.path.startswith("/v1") and "text/html" in request.headers.get(
            "accept", ""
        ):
            from copilot.web.pages import render
            from copilot.web.session import session_user

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

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        """422 naming each field and what is wrong with it. The values sent are never echoed
        (they may hold a phone number, or NaN, which JSON cannot carry)."""
        fields = [
            {
                "field": ".".join(str(part) for part in err.get("loc", ())),
                "problem": str(err.get("msg", "")),
            }
            for err in exc.errors()
        ]
        summary = "；".join(f"{f['field']}：{f['problem']}" for f in fields[:5])
        return JSONResponse(
            status_code=422,
            content={
                "error": "RequestValidationError",
                "detail": f"请求内容有误（{summary}），请按接口说明修改后重试",
                "fields": fields,
            },
        )

    @app.get("/healthz")
    def healthz(request: Request) -> dict:
        cp: Copilot = request.app.state.copilot
        manifest = cp.manifest()
        return {
            "status": "ok",
            "version": __version__,
            "index_build": manifest.build_id,
            "documents": manifest.documents,
            "chunks": manifest.chunks,
            "embedder": manifest.embedder,
            "llm_provider": cp.settings.llm.provider,
            "worker_pid": os.getpid(),  # which uvicorn worker answered (several may serve)
        }

    return app


def _open_desk(app: FastAPI, cfg: Settings) -> None:
    from copilot.desk.adr import AdrDesk
    from copilot.desk.auth import ensure_first_admin
    from copilot.desk.db import Database, database_url
    from copilot.desk.knowledge_updates import KnowledgeUpdates
    from copilot.desk.service import Desk
    from copilot.wiring import build_with_configured_embedder

    app.state.db = Database(database_url(cfg))
    app.state.desk = Desk(db=app.state.db, copilot=app.state.copilot)
    app.state.adr = AdrDesk(app.state.desk)

    def swap(fresh: Copilot) -> None:
        app.state.copilot = fresh
        app.state.desk.copilot = fresh

    app.state.kb_updates = KnowledgeUpdates(
        settings=cfg,
        db=app.state.db,
        build=build_with_configured_embedder(cfg, app.state.copilot),
        reopen=lambda: open_copilot(
            cfg,
            chat_model=app.state.copilot.chat_model,
            embedder=app.state.copilot.retriever.embedder,
        ),
        on_swap=swap,
    )
    with app.state.db.session() as s:
        created = ensure_first_admin(s)
    if created:
        message = (
            f"first run: created user `{created[0]}` with the one-time password "
            f"{created[1]} (log in, then add users with `copilot users add`)"
        )
        log.info(message)
        print(message, flush=True)


def _mount_desk(app: FastAPI, cfg: Settings) -> None:
    from copilot.web import adr_api, desk_api, pages
    from copilot.web.session import LoginRequired, session_secret

    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(cfg),
        same_site="lax",
        session_cookie="copilot_session",
        max_age=12 * 3600,
    )
    app.mount("/static", StaticFiles(packages=[("copilot.web", "static")]), name="static")
    app.include_router(desk_api.router)
    app.include_router(adr_api.router)
    app.include_router(pages.router)

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
