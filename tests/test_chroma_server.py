"""The index on a real Chroma server (`chroma run` from the chromadb package), as
COPILOT_STORE__CHROMA_URL documents it: the build writes its collection there, retrieval reads it
back, rebuilds reuse its vectors and pruning drops old collections. A server that cannot start
fails the test (only a chromadb without its CLI skips, saying so)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from copilot.bench.serverproc import free_port
from copilot.evals.retrieval import load_cases
from copilot.ingest.build import build_index
from copilot.ingest.index_store import builds_dir, current_build, read_manifest
from copilot.retrieval.embeddings import HashingEmbedder
from copilot.settings import Settings
from copilot.wiring import open_retriever

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHROMA_CLI = Path(sys.executable).parent / "chroma"
CORE = [c for c in load_cases() if c.id.startswith("core-")]


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    """A Chroma server on a free port with its own data folder; stopped afterwards."""
    if not CHROMA_CLI.exists():
        pytest.skip(f"chromadb is installed without its CLI ({CHROMA_CLI} missing)")
    data = tmp_path_factory.mktemp("chroma-data")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = data.parent / f"chroma-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(CHROMA_CLI),
                "run",
                "--path",
                str(data),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"`chroma run` exited with {proc.returncode}:\n{log.read_text()[-2000:]}"
                )
            try:
                if httpx.get(url + "/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"`chroma run` gave no heartbeat in 30 s:\n{log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def server_settings(chroma_url, tmp_path_factory) -> Settings:
    """The sample knowledge base built once on the server (hashing embedder)."""
    settings = Settings(
        home=tmp_path_factory.mktemp("chroma-home"),
        knowledge={"dir": PROJECT_ROOT / "knowledge"},
        embeddings={"provider": "hashing"},
        store={"chroma_url": chroma_url},
    )
    build_index(settings=settings, embedder=HashingEmbedder(dim=settings.embeddings.dim))
    return settings


def _collections(url: str) -> set[str]:
    import chromadb

    port = int(url.rsplit(":", 1)[1])
    client = chromadb.HttpClient(host="127.0.0.1", port=port)
    return {c.name for c in client.list_collections()}


def test_build_writes_its_collection_to_the_server(server_settings, chroma_url):
    index_dir = server_settings.index_dir
    manifest = read_manifest(index_dir, current_build(index_dir))
    assert manifest.chroma_url == chroma_url
    assert not (builds_dir(index_dir) / manifest.build_id / "chroma").exists()  # nothing embedded
    assert manifest.collection in _collections(chroma_url)
    retriever = open_retriever(server_settings)
    assert retriever.index.store.count() == manifest.chunks


def test_retrieval_on_the_server_finds_what_the_embedded_index_finds(
    server_settings, sample_retriever
):
    """Same chunks, same hashing vectors: the server's nearest neighbours are the embedded
    store's (HNSW is approximate on both sides, so near-ties may swap), and every core question
    finds its expected section in the top 5."""
    on_server = open_retriever(server_settings)
    overlap = []
    for case in CORE:
        found = on_server.retrieve(case.question, 5)
        got = [f"{r.chunk.doc_id} · {r.chunk.section}" for r in found]
        assert any(case.matches(r.chunk.doc_id, r.chunk.section) for r in found), got
        vector = on_server.embedder.embed_query(case.question)
        near = {cid for cid, _ in on_server.index.store.query(vector, 10)}
        overlap.append(
            len(near & {cid for cid, _ in sample_retriever.index.store.query(vector, 10)})
        )
    assert sum(overlap) / len(overlap) >= 9, overlap


def test_rebuilds_on_the_server_prune_old_collections(tiny_settings, chroma_url):
    settings = tiny_settings.model_copy(
        update={"store": tiny_settings.store.model_copy(update={"chroma_url": chroma_url})}
    )
    embedder = HashingEmbedder(dim=settings.embeddings.dim)
    before = _collections(chroma_url)
    builds = [build_index(settings=settings, embedder=embedder).build_id for _ in range(3)]
    made = _collections(chroma_url) - before
    assert made == {f"kb-{b}".lower() for b in builds[1:]}  # keep_builds = 2
    assert current_build(settings.index_dir) == builds[-1]


def test_moving_between_embedded_and_server_reuses_vectors_both_ways(tiny_settings, chroma_url):
    """Embedded → server → embedded in one process: each build reads the previous build's
    vectors from where they are and writes to where it is told (chromadb's HttpClient once
    rewired every later embedded client of the process to the server)."""
    embedder = HashingEmbedder(dim=tiny_settings.embeddings.dim)
    on_server = tiny_settings.model_copy(
        update={"store": tiny_settings.store.model_copy(update={"chroma_url": chroma_url})}
    )
    steps = [(tiny_settings, None), (on_server, chroma_url), (tiny_settings, None)]
    for i, (settings, url) in enumerate(steps):
        report = build_index(settings=settings, embedder=embedder)
        manifest = read_manifest(settings.index_dir, report.build_id)
        embedded = builds_dir(settings.index_dir) / report.build_id / "chroma"
        assert manifest.chroma_url == url and embedded.exists() == (url is None)
        assert (manifest.collection in _collections(chroma_url)) == (url is not None)
        if i:
            assert report.added == 0 and report.unchanged == report.chunks
    assert open_retriever(tiny_settings).retrieve("开瑞坦一天吃几片", 3)  # embedded again


def test_an_unreachable_server_is_a_clear_error(tmp_path):
    from copilot.errors import CopilotError

    url = f"http://127.0.0.1:{free_port()}"
    settings = Settings(
        home=tmp_path / "home",
        knowledge={"dir": PROJECT_ROOT / "knowledge"},
        embeddings={"provider": "hashing"},
        store={"chroma_url": url},
    )
    with pytest.raises(CopilotError, match=re.escape(f"cannot open Chroma at {url}")):
        build_index(settings=settings, embedder=HashingEmbedder(dim=settings.embeddings.dim))
    assert current_build(settings.index_dir) is None
    assert not list(builds_dir(settings.index_dir).glob("*"))  # nothing half-built left
