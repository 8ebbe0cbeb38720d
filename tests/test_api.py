from __future__ import annotations

from fastapi.testclient import TestClient

from copilot.ingest.build import build_index
from copilot.web.app import create_app
from copilot.wiring import open_copilot


def test_healthz_and_search(tiny_settings, embedder):
    build_index(settings=tiny_settings, embedder=embedder)
    app = create_app(tiny_settings, open_copilot(tiny_settings))
    with TestClient(app) as client:
        health = client.get("/healthz").json()
        assert health["status"] == "ok" and health["documents"] == 4
        body = client.get("/v1/search", params={"q": "芬必得孕妇能吃吗", "k": 3}).json()
        assert body["linked_drugs"] == ["ibuprofen-test"]
        assert "孕妇及哺乳期妇女用药" in body["intents"]
        top = body["results"][0]["chunk"]
        assert (top["doc_id"], top["section"]) == ("ibuprofen-test", "孕妇及哺乳期妇女用药")
        only_policies = client.get("/v1/search", params={"q": "药能退吗", "kind": "policy"}).json()
        assert {r["chunk"]["kind"] for r in only_policies["results"]} == {"policy"}


def test_search_rejects_bad_input(tiny_settings, embedder):
    build_index(settings=tiny_settings, embedder=embedder)
    app = create_app(tiny_settings, open_copilot(tiny_settings))
    with TestClient(app) as client:
        assert client.get("/v1/search").status_code == 422
        assert client.get("/v1/search", params={"q": "  "}).status_code == 422
        assert client.get("/v1/search", params={"q": "x" * 501}).status_code == 422
        assert client.get("/v1/search", params={"q": "布洛芬", "k": 0}).status_code == 422
        assert client.get("/v1/search", params={"q": "布洛芬", "kind": "x"}).status_code == 422
