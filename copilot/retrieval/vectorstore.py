"""Chroma, embedded (persistent folder) or a server by URL. The only module importing chromadb."""

from __future__ import annotations

import contextlib
from pathlib import Path
from urllib.parse import urlparse

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings

from copilot.errors import ProviderError


def _chroma_settings() -> ChromaSettings:
    """A fresh settings object per client: chromadb's HttpClient writes the server's address and
    its HTTP implementation into the object it is given, so a shared one turned every later
    "embedded" client of the process into a client of that server."""
    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def make_client(*, path: Path | None, url: str | None) -> chromadb.ClientAPI:
    try:
        if url:
            parsed = urlparse(url)
            return chromadb.HttpClient(
                host=parsed.hostname or "127.0.0.1",
                port=parsed.port or 8000,
                ssl=parsed.scheme == "https",
                settings=_chroma_settings(),
            )
        assert path is not None
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=_chroma_settings())
    except Exception as exc:
        where = url or str(path)
        raise ProviderError(f"cannot open Chroma at {where}: {exc}") from None


class VectorStore:
    """One Chroma collection per index build (cosine space)."""

    def __init__(self, client: chromadb.ClientAPI, collection: str, embedder: Embeddings) -> None:
        self.client = client
        self.collection_name = collection
        self._collection = client.get_or_create_collection(
            name=collection, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
        # LangChain's integration for the query side, so chains can use it as a retriever.
        self.langchain = Chroma(
            client=client, collection_name=collection, embedding_function=embedder
        )

    def count(self) -> int:
        return self._collection.count()

    def upsert(
        self,
        ids: list[str],
        embeddings: list[list[float]],
        documents: list[str],
        metadatas: list[dict],
    ) -> None:
        batch = 2000
        for i in range(0, len(ids), batch):
            self._collection.upsert(
                ids=ids[i : i + batch],
                embeddings=embeddings[i : i + batch],
                documents=documents[i : i + batch],
                metadatas=metadatas[i : i + batch],
            )

    def embeddings_for(self, ids: list[str]) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        batch = 2000
        for i in range(0, len(ids), batch):
            got = self._collection.get(ids=ids[i : i + batch], include=["embeddings"])
            for cid, emb in zip(got["ids"], got["embeddings"], strict=True):
                out[cid] = list(map(float, emb))
        return out

    def query(
        self, vector: list[float], k: int, where: dict | None = None
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine distance) for the k nearest chunks."""
        result = self._collection.query(
            query_embeddings=[vector], n_results=k, where=where or None, include=["distances"]
        )
        return list(zip(result["ids"][0], result["distances"][0], strict=True))


def drop_collection(client: chromadb.ClientAPI, name: str) -> None:
    with contextlib.suppress(Exception):  # already gone
        client.delete_collection(name)
