"""Records and the escalation queue survive a server restart, and a `kill -9` in a write burst
loses nothing acknowledged (a real server process)."""

from __future__ import annotations

import queue
import shutil
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from desk_burst import QUESTIONS, Ledger, accept_suggestions, check_database, post_messages

from copilot.bench.serverproc import ServerProcess
from copilot.desk.auth import add_user
from copilot.desk.db import Database, database_url


def test_queue_survives_restart(tmp_path, sample_settings):
    home = tmp_path / "home"
    shutil.copytree(sample_settings.index_dir, home / "index")
    settings = sample_settings.model_copy(update={"home": home})
    with Database(database_url(settings)).session() as s:
        _, _, token = add_user(s, username="ph", role="pharmacist", password="pharmacist-pw-1")
    auth = {"Authorization": f"Bearer {token}"}
    server = ServerProcess(home).start()
    try:
        r = httpx.post(
            server.url + "/v1/conversations/r1/messages",
            headers=auth,
            timeout=30,
            json={"text": "我怀孕了能吃感冒灵吗"},
        )
        assert r.status_code == 200, r.text
        esc_id = r.json()["escalation"]["id"]
    finally:
        server.stop()
    server = ServerProcess(home, server.port).start()
    try:
        queue = httpx.get(server.url + "/v1/escalations", headers=auth, timeout=30).json()
        assert [e["id"] for e in queue] == [esc_id]
        messages = httpx.get(
            server.url + "/v1/conversations/r1/messages", headers=auth, timeout=30
        ).json()
        assert messages[0]["text"] == "我怀孕了能吃感冒灵吗"
    finally:
        server.stop()


def test_kill_9_during_a_write_burst_loses_nothing_acknowledged(tmp_path, sample_settings):
    """SQLite (the default): customer messages from 4 threads and accepts from 2 (two tries
    per suggestion); the server gets SIGKILL mid-burst. After the restart every acknowledged
    write is there once, and nothing is half-written (a message without its suggestion, an
    accept without its message to the customer)."""
    home = tmp_path / "home"
    shutil.copytree(sample_settings.index_dir, home / "index")
    shutil.copytree(sample_settings.home / "cache", home / "cache")  # jieba's, built once
    url = database_url(sample_settings.model_copy(update={"home": home}))
    with Database(url).session() as s:
        token = add_user(s, username="agent", role="agent", password="agent-password-1")[2]
    ledger, accepts = Ledger(), queue.Queue()
    jobs = [
        [(f"k{n}-{j % 3}", QUESTIONS[(n + j) % len(QUESTIONS)]) for j in range(60)]
        for n in range(4)
    ]
    server = ServerProcess(home).start()
    try:
        with ThreadPoolExecutor(max_workers=6) as pool:
            agents = [
                pool.submit(accept_suggestions, server.url, token, ledger, accepts)
                for _ in range(2)
            ]
            senders = [
                pool.submit(post_messages, server.url, token, job, ledger, accepts) for job in jobs
            ]
            deadline = time.monotonic() + 60
            while len(ledger.messages) < 20 and time.monotonic() < deadline:
                time.sleep(0.05)  # well inside the burst
            server.proc.kill()  # SIGKILL: no shutdown, nothing flushed
            server.proc.wait()
            for f in senders:
                f.result()
            for _ in agents:
                accepts.put(None)
            for f in agents:
                f.result()
        assert len(ledger.messages) >= 20 and ledger.unknown, ledger.statuses  # cut mid-burst
        assert not ledger.server_errors(), ledger.statuses
        server = ServerProcess(home, server.port).start()
        check_database(url, ledger)
        r = httpx.post(
            server.url + "/v1/conversations/after/messages",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            json={"text": "开瑞坦一天吃几片"},
        )
        assert r.status_code == 200, r.text  # and the restarted server takes writes
    finally:
        server.stop()
