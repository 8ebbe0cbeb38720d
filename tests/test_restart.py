"""Records and the escalation queue survive a server restart (a real server process)."""

from __future__ import annotations

import shutil

import httpx

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
