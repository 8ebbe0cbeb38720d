"""`copilot users list|deactivate|activate|reset-password|rotate-token`: account management
from the server's console, the same actions as the 用户管理 page (copilot.desk.accounts),
audited as done from the command line. `copilot users add` is in cli/serve.py."""

from __future__ import annotations

import typer

from copilot.cli.app import users
from copilot.desk.tables import User
from copilot.settings import get_settings

_WHO = typer.Argument(..., help="Login name.")


def _db():
    from copilot.desk.db import Database, database_url

    return Database(database_url(get_settings()))


@users.command("list")
def users_list() -> None:
    """Every user: role, active, must change password (or one-time password expired), token,
    last account change."""
    from copilot.desk.accounts import list_users
    from copilot.web.pages.render import beijing

    hours = get_settings().server.one_time_password_hours
    with _db().session() as s:
        rows = list_users(s, actor=None, one_time_password_hours=hours)
    for r in rows:
        flags = ["active" if r.active else "deactivated"]
        if r.must_change_password:
            expired = r.one_time_password_expired
            flags.append("one-time password expired" if expired else "must change password")
        flags += ["no token"] * (r.active and not r.has_token)
        typer.echo(
            f"{r.username:<20} {r.role:<10} {', '.join(flags):<40} "
            f"{beijing(r.changed_at)} {r.change}"
        )


@users.command("deactivate")
def users_deactivate(username: str = _WHO) -> None:
    """Deactivate a user: their sessions end and their API token stops working."""
    user = _set_active(username, active=False)
    typer.echo(f"deactivated `{user.username}`: sessions ended, API token dropped")


@users.command("activate")
def users_activate(username: str = _WHO) -> None:
    """Reactivate a user (their password still works; give them a new token if needed)."""
    user = _set_active(username, active=True)
    typer.echo(f"activated `{user.username}` (rotate-token gives them a new API token)")


def _set_active(username: str, *, active: bool) -> User:
    from copilot.desk.accounts import set_active

    with _db().session() as s:
        return set_active(s, actor=None, ref=username, active=active)


@users.command("reset-password")
def users_reset_password(username: str = _WHO) -> None:
    """A new one-time password, printed once; the user must change it at the next login, within
    server.one_time_password_hours (also renews an expired one)."""
    from copilot.desk.accounts import reset_password

    hours = get_settings().server.one_time_password_hours
    with _db().session() as s:
        user, password = reset_password(s, actor=None, ref=username)
    typer.echo(f"one-time password for `{user.username}` (shown once): {password}")
    typer.echo(
        f"their sessions ended; they must log in and set their own password within {hours} h"
    )


@users.command("rotate-token")
def users_rotate_token(username: str = _WHO) -> None:
    """A new API token for the user, printed once; the old one stops working."""
    from copilot.desk.accounts import rotate_account_token

    with _db().session() as s:
        user, token = rotate_account_token(s, actor=None, ref=username)
    typer.echo(f"API token for `{user.username}` (shown once): {token}")
