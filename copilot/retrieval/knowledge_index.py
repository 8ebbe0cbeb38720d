"""The loaded knowledge index: chunks, BM25, vectors, drug linker and lexicon of one build."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
from langchain_core.embeddings import Embeddings

from copilot.errors import IndexMissingError, ProviderError
from copilot.ingest.build import make_tokenizer
from copilot.ingest.index_store import Manifest, builds_dir, current_build, read_manifest
from copilot.ingest.lexicon import Lexicon
from copilot.ingest.products import load_products
from copilot.retrieval.bm25 import BM25Index
from copilot.retrieval.embeddings import embedder_identity
from copilot.retrieval.linking import DrugLinker
from copilot.retrieval.tokenize import Tokenizer
from copilot.retrieval.vectorstore import VectorStore, make_client
from copilot.schemas import Chunk, Document
from copilot.settings import Settings


@dataclass
class KnowledgeIndex:
    manifest: Manifest
    documents: dict[str, Document]
    chunks: list[Chunk]
    bm25: BM25Index
    store: VectorStore
    embedder: Embeddings
    linker: DrugLinker
    lexicon: Lexicon
    tokenizer: Tokenizer
    position: dict[str, int] = field(default_factory=dict)
    by_doc: dict[str, list[int]] = field(default_factory=dict)
    section_of: np.ndarray | None = None

    @classmethod
    def load(cls, settings: Settings, embedder: Embeddings) -> KnowledgeIndex:
        index_dir = settings.index_dir
        build_id = current_build(index_dir)
        if build_id is None:
            raise IndexMissingError(
                f"no knowledge index under {index_dir}; run `copilot kb build` first"
            )
        manifest = read_manifest(index_dir, build_id)
        if manifest.embedder != embedder_identity(embedder):
            raise ProviderError(
                f"the index was built with embedder `{manifest.embedder}` but "
                f"`{embedder_identity(embedder)}` is configured; run `copilot kb build --rebuild`"
            )
        folder = builds_dir(index_dir) / build_id
        documents = {}
        with (folder / "documents.jsonl").open(encoding="utf-8") as handle:
            for line in handle:
                doc = Document.model_validate_json(line)
                documents[doc.doc_id] = doc
        chunks, tokens = [], []
        with (folder / "chunks.jsonl").open(encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                tokens.append(row.pop("tokens"))
                chunks.append(Chunk.model_construct(**row))
        lexicon = Lexicon.load(settings.knowledge.dir)
        client = make_client(
            path=None if manifest.chroma_url else folder / "chroma", url=manifest.chroma_url
        )
        index = cls(
            manifest=manifest,
            documents=documents,
            chunks=chunks,
            bm25=BM25Index(tokens),
            store=VectorStore(client, manifest.collection, embedder),
            embedder=embedder,
            linker=DrugLinker(
                list(documents.values()),
                fuzzy=settings.retrieval.fuzzy_linking,
                class_words=lexicon.drug_classes,
                products=load_products(
                    settings.knowledge.dir,
                    {d.doc_id for d in documents.values() if d.label is not None},
                ),
            ),
            lexicon=lexicon,
            tokenizer=make_tokenizer(list(documents.values()), lexicon, settings.home / "cache"),
        )
        index.position = {c.id: i for i, c in enumerate(chunks)}
        for i, c in enumerate(chunks):
            index.by_doc.setdefault(c.doc_id, []).append(i)
        return index

    def chunk(self, chunk_id: str) -> Chunk | None:
        pos = self.position.get(chunk_id)
        return self.chunks[pos] if pos is not None else None
