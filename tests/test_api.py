from __future__ import annotations

from fakes import agent_headers
from fastapi.testclient import TestClient

from copilot.ingest.build import build_index
from copilot.web.app import create_app
from copilot.wiring import open_copilot


def test_healthz_and_search(tiny_settings, embedder):
    build_index(settings=tiny_settings, embedder=embedder)
    app = create_app(tiny_settings, open_copilot(tiny_settings))
    with TestClient(app) as client:
        assert (
            client.get("/v1/search", params={"q": "布洛芬"}).status_code == 401
        )  # nobody anonymous
        client.headers.update(agent_headers(app))
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
        client.headers.update(agent_headers(app))
        assert client.get("/v1/search").status_code == 422
        assert client.get("/v1/search", params={"q": "  "}).status_code == 422
        assert client.get("/v1/search", params={"q": "x" * 501}).status_code == 422
        assert client.get("/v1/search", params={"q": "布洛芬", "k": 0}).status_code == 422
        assert client.get("/v1/search", params={"q": "布洛芬", "kind": "x"}).status_code == 422


def test_errors_answer_with_their_own_status(tiny_settings, embedder, monkeypatch):
    """One handler maps every CopilotError to its class's status: a missing index or an
    unusable provider is 503 with what to do, never a bare 500."""
    from copilot.errors import IndexMissingError, KnowledgeError, ProviderError

    build_index(settings=tiny_settings, embedder=embedder)
    copilot = open_copilot(tiny_settings)
    unset = create_app(tiny_settings, copilot, with_desk=False)
    with TestClient(unset) as client:  # stateless, no service token set: refused, says how
        r = client.get("/v1/search", params={"q": "布洛芬"})
        assert r.status_code == 401 and "COPILOT_SERVER__API_TOKEN" in r.json()["detail"]
    server = tiny_settings.server.model_copy(update={"api_token": "svc-token-1"})
    settings = tiny_settings.model_copy(update={"server": server})
    app = create_app(settings, copilot, with_desk=False)
    with TestClient(app, headers={"Authorization": "Bearer svc-token-1"}) as client:
        wrong = client.get(
            "/v1/search", params={"q": "布洛芬"}, headers={"Authorization": "Bearer x"}
        )
        assert wrong.status_code == 401
        for error, status in (
            (IndexMissingError("no knowledge index; run `copilot kb build` first"), 503),
            (ProviderError("cannot load the embedder; set COPILOT_EMBEDDINGS__PROVIDER"), 503),
            (KnowledgeError("bad label", path="labels/x.md", line=3), 422),
        ):

            def broken(*args, _error=error, **kwargs):
                raise _error

            monkeypatch.setattr(copilot, "search", broken)
            r = client.get("/v1/search", params={"q": "布洛芬"})
            assert r.status_code == status, r.text
            assert r.json()["detail"] == str(error)
        assert client.get("/healthz").json()["embedder"].startswith("hashing-")  # names it
