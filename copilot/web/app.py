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
from starlette.exceptions import HTTPException as StarletteHTTPException

from copilot import __version__
from copilot.errors import CopilotError
from copilot.pipeline import Copilot
from copilot.safety.masking import mask_pii
from copilot.settings import Settings, get_settings
from copilot.web import api, favicon
from copilot.web.docs import mount_docs
from copilot.web.logs import install_log_masking
from copilot.web.proxy import ProxyHeaders
from copilot.web.ratelimit import RateLimit
from copilot.web.security import SecurityHeaders
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
    install_log_masking()

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
        docs_url=None,  # served from local assets (web/docs.py), not a CDN
        redoc_url=None,
    )
    mount_docs(app)
    # order: the rate limit inside the session middleware (it counts a page session by its
    # user), the security headers around both (they go on every response, a 429 included),
    # the proxy headers outermost (every layer sees the client's address and scheme)
    app.add_middleware(RateLimit, settings=cfg.server)
    if with_desk:
        _mount_desk(app, cfg)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(ProxyHeaders, trusted=cfg.server.trusted_proxies)
    app.include_router(api.router)
    app.include_router(favicon.router)

    _error_handlers(app)

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


def error_body(error: str, detail: str, fields: list[dict] | None = None) -> dict:
    """The one JSON error shape of every 4xx and 5xx: the error's name, what to do (Chinese),
    and the fields at fault. Personal data in the message is masked (an id may be a phone
    number); the values sent are never echoed."""
    return {"error": error, "detail": mask_pii(detail), "fields": fields or []}


# Starlette's own English phrases for routing errors, said in Chinese with what to do.
_HTTP_DETAIL = {
    404: "找不到该地址：请检查 URL（接口见 /docs）",
    405: "该地址不支持此请求方法：请按接口说明使用 GET/POST/PUT",
}
_HTTP_CODE = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    413: "TooLarge",
    429: "RateLimited",
}


def _wants_page(request: Request) -> bool:
    """A browser asking for a page (not the API): errors come as the Chinese error page."""
    return not request.url.path.startswith("/v1") and "text/html" in request.headers.get(
        "accept", ""
    )


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CopilotError)
    async def copilot_error(request: Request, exc: CopilotError):
        """Every deliberate error → its class's HTTP status; pages get the Chinese error page."""
        status = exc.status
        if status >= 500:
            log.error("%s on %s: %s", type(exc).__name__, request.url.path, exc)
        if _wants_page(request):
            from copilot.web.pages.render import page_text, render
            from copilot.web.session import session_user

            return render(
                request,
                "error.html",
                session_user(request),
                status_code=status,
                message=page_text(mask_pii(str(exc))),
                status=status,
            )
        field = getattr(exc, "field", None)
        fields = [{"field": field, "problem": getattr(exc, "problem", "")}] if field else []
        return JSONResponse(
            status_code=status, content=error_body(type(exc).__name__, str(exc), fields)
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        """401/403 from the login and CSRF checks, 404/405 from routing: the same shape."""
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code in _HTTP_DETAIL and detail in ("Not Found", "Method Not Allowed"):
            detail = _HTTP_DETAIL[exc.status_code]
        if exc.status_code == 404 and _wants_page(request):
            from copilot.web.pages.render import render
            from copilot.web.session import session_user

            return render(
                request,
                "error.html",
                session_user(request),
                status_code=404,
                message="找不到该页面：请检查地址，或从上方菜单进入",
                status=404,
            )
        return JSONResponse(
            status_code=exc.status_code,
            # a code named for the status, not the framework's class name
            content=error_body(_HTTP_CODE.get(exc.status_code, "HttpError"), detail),
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        """422 naming each field and what is wrong with it. The values sent are never echoed
        (they may hold a phone number, or NaN, which JSON cannot carry)."""
        fields = [
            {
                "field": ".".join(str(part) for part in err.get("loc", ())),
                "problem": mask_pii(str(err.get("msg", ""))),
            }
            for err in exc.errors()
        ]
        summary = "；".join(f"{f['field']}：{f['problem']}" for f in fields[:5])
        return JSONResponse(
            status_code=422,
            content=error_body(
                "RequestValidationError",
                f"请求内容有误（{summary}），请按接口说明修改后重试",
                fields,
            ),
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        """A bug: the same shape, nothing of the exception in the body (the server logs the
        traceback, masked)."""
        log.error("unexpected %s on %s", type(exc).__name__, request.url.path)
        return JSONResponse(
            status_code=500,
            content=error_body(
                "InternalError", "服务器内部错误：请稍后重试；如一再出现，请联系管理员查看日志"
            ),
        )


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
    if cfg.privacy.retention_days:
        from copilot.desk.privacy import purge_expired

        purged = purge_expired(app.state.db, days=cfg.privacy.retention_days)
        if purged.conversations:
            log.info("retention: %s", purged.summary())
    with app.state.db.session() as s:
        created = ensure_first_admin(s)
    if created:
        # On the console only, once: never through logging (log files and collectors keep it).
        hours = cfg.server.one_time_password_hours
        print(
            f"first run: created user `{created[0]}` with the one-time password {created[1]} "
            f"— log in and set your own password within {hours} h (required at the first login; "
            f"after that `copilot users reset-password {created[0]}` issues a new one); then add "
            "users on the 用户管理 page or with `copilot users add`",
            flush=True,
        )


def _mount_desk(app: FastAPI, cfg: Settings) -> None:
    from copilot.web import adr_api, desk_api, live, pages, records_api
    from copilot.web.session import (
        LoginRequired,
        PasswordChangeRequired,
        SessionCookies,
        session_secret,
    )

    app.add_middleware(
        SessionCookies,
        always_secure=cfg.server.secure_cookies,  # else Secure on requests that came by HTTPS
        secret_key=session_secret(cfg),
        same_site="lax",  # and HttpOnly, always (Starlette)
        session_cookie="copilot_session",
        max_age=12 * 3600,
    )
    app.mount("/static", StaticFiles(packages=[("copilot.web", "static")]), name="static")
    app.include_router(desk_api.router)
    app.include_router(records_api.router)
    app.include_router(live.router)
    app.include_router(adr_api.router)
    app.include_router(pages.router)

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(PasswordChangeRequired)
    async def to_password(request: Request, exc: PasswordChangeRequired):
        return RedirectResponse("/account/password", status_code=303)
