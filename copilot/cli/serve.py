"""`copilot serve` and `copilot users add`: the web service and its users (the other
`copilot users` commands are in cli/users.py)."""

from __future__ import annotations

import typer

from copilot.cli.app import app, users
from copilot.settings import get_settings


@app.command("serve")
def serve(
    host: str = typer.Option(None, help="Bind address (default from settings)."),
    port: int = typer.Option(None, help="Port (default from settings)."),
    workers: int = typer.Option(1, help="uvicorn worker processes (each loads the index)."),
) -> None:
    """Start the web service (FastAPI under uvicorn)."""
    import uvicorn

    from copilot.web.app import create_app
    from copilot.web.logs import LOG_CONFIG  # every log line masked (access-log URLs too)

    settings = get_settings()
    host = host or settings.server.host
    port = port or settings.server.port
    if workers > 1:
        typer.echo(f"serving on http://{host}:{port}/ with {workers} workers")
        uvicorn.run(
            "copilot.web.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            timeout_graceful_shutdown=settings.server.shutdown_grace_seconds,
            log_config=LOG_CONFIG,
            proxy_headers=False,  # forwarded headers: only from server.trusted_proxies (web/proxy)
        )
        return
    application = create_app(settings)
    typer.echo(
        f"serving on http://{host}:{port}/  — log in at http://{host}:{port}/login "
        f"(API docs: /docs)"
    )
    uvicorn.run(
        application,
        host=host,
        port=port,
        log_level="info",
        log_config=LOG_CONFIG,
        proxy_headers=False,  # forwarded headers: only from server.trusted_proxies (web/proxy)
        # open pages hold event streams: a stop waits this long for requests, then ends them
        timeout_graceful_shutdown=settings.server.shutdown_grace_seconds,
    )


@users.command("add")
def users_add(
    username: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option(
        ...,
        help="agent, pharmacist, admin, or chat (the chat system: API token only, no sign-in).",
    ),
    name: str = typer.Option(None, help="Display name (default: the login name)."),
    password: str = typer.Option(
        None,
        help="Password (10–128 characters); when omitted a one-time password is generated and "
        "printed, to be changed at the first login (its API token works only after that).",
    ),
) -> None:
    """Create a user; prints the password (if generated) and an API bearer token, once."""
    from copilot.desk.accounts import create_account
    from copilot.desk.db import Database, database_url

    settings = get_settings()
    db = Database(database_url(settings))
    with db.session() as s:
        user, pw, token = create_account(
            s, actor=None, username=username, role=role, password=password, display_name=name
        )
    typer.echo(f"created {role} `{user.username}`")
    if password is None and user.role != "chat":
        hours = settings.server.one_time_password_hours
        typer.echo(f"one-time password (change it at the first login, within {hours} h): {pw}")
    typer.echo(f"API token (shown once): {token}")
