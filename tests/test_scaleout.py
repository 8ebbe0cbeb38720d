"""Two uvicorn workers on PostgreSQL, as "Scaling out" documents them: both start on an empty
database and a fresh home (migrations, first admin and session key raced by two processes), and
the desk is driven concurrently from threads. Runs when COPILOT_TEST_POSTGRES_URL is set
(.ci/run sets it); a set URL that cannot be reached fails."""

from __future__ import annotations

import os
import queue
import secrets
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from desk_burst import (
    QUESTIONS,
    Ledger,
    accept_suggestions,
    check_database,
    pharmacist,
    post_messages,
)
from sqlalchemy import func, select

from copilot.bench.serverproc import ServerProcess
from copilot.desk.auth import add_user
from copilot.desk.db import Database, database_url
from copilot.desk.tables import User
from copilot.settings import ServerSettings, Settings

POSTGRES_URL = os.environ.get("COPILOT_TEST_POSTGRES_URL") or None


@pytest.fixture
def pg_database(tmp_path):
    """A database of its own beside the configured one (other tests reset `public` of theirs),
    dropped afterwards. Yields its SQLAlchemy URL."""
    if not POSTGRES_URL:
        pytest.skip("COPILOT_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(
        database_url(Settings(home=tmp_path, server=ServerSettings(database_url=POSTGRES_URL)))
    )
    name = f"copilot_scale_{secrets.token_hex(4)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_two_workers_on_postgres_serve_the_desk_concurrently(
    tmp_path, sample_settings, pg_database
):
    home = tmp_path / "home"
    shutil.copytree(sample_settings.index_dir, home / "index")
    shutil.copytree(sample_settings.home / "cache", home / "cache")  # jieba's, built once
    server = ServerProcess(
        home,
        workers=2,
        env={
            "COPILOT_SERVER__DATABASE_URL": pg_database,
            "COPILOT_KNOWLEDGE__DIR": str(sample_settings.knowledge.dir),
        },
    ).start(timeout=120)
    try:
        db = Database(pg_database)  # the workers have migrated it; users added while serving
        with db.session() as s:
            tokens = [
                add_user(s, username=f"agent{i}", role="agent", password="agent-password-1")[2]
                for i in range(3)
            ]
            add_user(s, username="ph", role="pharmacist", password="pharmacist-pw-1")
        db.engine.dispose()
        # 6 senders, 4 messages each; conversations shared by two senders (simultaneous first
        # messages) and questions that open cases
        jobs = [
            [(f"pg-{(n // 2) * 10 + j}", QUESTIONS[(n + j) % len(QUESTIONS)]) for j in range(4)]
            for n in range(6)
        ]
        ledger, accepts, stop = Ledger(), queue.Queue(), threading.Event()
        pids: set[int] = set()

        def sample_workers() -> None:
            while not stop.is_set():  # a new connection each time, so both workers get some
                pids.add(httpx.get(server.url + "/healthz", timeout=30).json()["worker_pid"])

        with ThreadPoolExecutor(max_workers=12) as pool:
            agents = [
                pool.submit(accept_suggestions, server.url, t, ledger, accepts) for t in tokens
            ]
            side = [
                pool.submit(pharmacist, server.url, "ph", "pharmacist-pw-1", ledger, stop),
                pool.submit(sample_workers),
            ]
            senders = [
                pool.submit(post_messages, server.url, tokens[n % 3], job, ledger, accepts)
                for n, job in enumerate(jobs)
            ]
            for f in senders:
                f.result()
            for _ in agents:
                accepts.put(None)
            for f in agents:
                f.result()
            stop.set()
            for f in side:
                f.result()
        assert not ledger.server_errors(), ledger.statuses
        assert not [k for k in ledger.statuses if k[1] == "transport"], ledger.statuses
        assert len(ledger.messages) == sum(len(j) for j in jobs)  # every message acknowledged
        assert ledger.accepted and ledger.answered
        assert len(pids) == 2, f"only worker(s) {pids} answered"
        counts = check_database(pg_database, ledger)
        assert counts["messages"] == len(ledger.messages)
        log = server.log.read_text(errors="replace")
        assert "Traceback" not in log, log[-3000:]  # no worker failed (uvicorn restarts them)
    finally:
        server.stop()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_workers_migrating_a_new_database_at_once_all_succeed(backend, tmp_path, request):
    """Four processes' worth of `upgrade` at the same moment on an empty database: one migrates,
    the others wait and find it done (unlocked, one died on Alembic's own table and uvicorn
    stopped the server)."""
    from copilot.desk.db import upgrade

    url = (
        f"sqlite:///{tmp_path / 'fresh.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("pg_database")
    )
    start = threading.Barrier(4)

    def migrate() -> None:
        start.wait()
        upgrade(url)

    with ThreadPoolExecutor(max_workers=4) as pool:
        for f in [pool.submit(migrate) for _ in range(4)]:
            f.result()
    db = Database(url, migrate=False)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(User)) == 0  # the schema is there
    db.engine.dispose()
