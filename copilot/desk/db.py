"""Database engine and sessions (SQLAlchemy): SQLite in WAL mode under COPILOT_HOME by default,
PostgreSQL by URL. Schema changes go through Alembic (copilot/migrations)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from copilot.errors import ConfigError
from copilot.settings import Settings, private

MIGRATIONS = Path(str(resources.files("copilot.desk") / "migrations"))


def database_url(settings: Settings) -> str:
    if settings.server.database_url:
        url = settings.server.database_url
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url
    settings.ensure_home()
    return f"sqlite:///{settings.home / 'copilot.db'}"


def private_sqlite(url: str) -> None:
    """A SQLite database file created owner-only (0600) before SQLite opens it; its -wal and
    -shm files take the same mode from it. An existing file is tightened."""
    if not url.startswith("sqlite:///") or url.endswith(":memory:"):
        return
    path = Path(url.removeprefix("sqlite:///"))
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists():
            private(file)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


@contextmanager
def _migration_lock(url: str) -> Iterator[None]:
    """One migrating process at a time. Several workers start together on a new database: without
    the lock both create Alembic's table, one fails and uvicorn stops the whole server."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if not path or path.startswith(":memory:"):
            yield
            return
        with open(f"{path}.migrate-lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
            yield
        return
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
            yield  # the lock ends with the connection
    finally:
        engine.dispose()


_MIGRATION_LOCK_KEY = 0x636F70696C6F74  # "copilot"


def upgrade(url: str) -> None:
    """Bring the schema to the newest Alembic revision (every head: branches that add
    independent tables or columns may be merged in any order)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    try:
        with _migration_lock(url):
            command.upgrade(cfg, "head")
    except Exception as exc:
        raise ConfigError(f"cannot migrate the database at {url.split('@')[-1]}: {exc}") from exc


class Database:
    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        private_sqlite(url)
        if migrate:
            upgrade(url)
        self.engine = make_engine(url)
        self._factory = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed on success, rolled back on any error."""
        session = self._factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
