"""`copilot privacy purge`: delete a customer's personal data, or every conversation past the
retention period (COPILOT_PRIVACY__RETENTION_DAYS). Each run is recorded in the audit log with
counts, never the data."""

from __future__ import annotations

import typer

from copilot.cli.app import privacy
from copilot.errors import ConfigError
from copilot.settings import get_settings


@privacy.command("purge")
def purge(
    customer: str = typer.Option(
        None, "--customer", help="The chat system's customer id (customer_ref) whose data goes."
    ),
    older_than_days: int = typer.Option(
        None,
        "--older-than-days",
        min=1,
        help="Conversations with no open case and no message for this many days "
        "(default: COPILOT_PRIVACY__RETENTION_DAYS).",
    ),
) -> None:
    """Delete personal data (messages, profile and cart, suggestion texts, the health record);
    the audit log and ADR reports stay."""
    from copilot.desk.db import Database, database_url
    from copilot.desk.privacy import purge_customer, purge_expired

    settings = get_settings()
    if customer is not None and older_than_days is not None:
        raise typer.BadParameter("give --customer or --older-than-days, not both")
    days = older_than_days or settings.privacy.retention_days
    if customer is None and days is None:
        raise ConfigError(
            "nothing to purge: give --customer ID, --older-than-days N, or set "
            "COPILOT_PRIVACY__RETENTION_DAYS"
        )
    db = Database(database_url(settings))
    if customer is not None:
        report = purge_customer(db, customer)
        typer.echo(f"purged customer {customer}: {report.summary()}")
    else:
        report = purge_expired(db, days=days)
        typer.echo(f"purged conversations older than {days} days: {report.summary()}")
