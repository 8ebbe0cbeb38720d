"""`copilot kb build`: load → chunk → embed (new chunks only) → new build → verify → swap."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from langchain_core.embeddings import Embeddings

from copilot.errors import CopilotError, IndexBuildError
from copilot.ingest.chunking import chunk_document, search_text
from copilot.ingest.documents import discover, load_corpus
from copilot.ingest.index_store import (
    Manifest,
    builds_dir,
    current_build,
    new_build_id,
    prune_builds,
    read_manifest,
    swap_current,
    write_json_atomic,
)
from copilot.ingest.lexicon import Lexicon
from copilot.retrieval.embeddings import embedder_identity
from copilot.retrieval.tokenize import Tokenizer
from copilot.retrieval.vectorstore import VectorStore, drop_collection, make_client
from copilot.schemas import BuildReport, Chunk, Document
from copilot.settings import Settings

log = logging.getLogger(__name__)
CHUNKER_VERSION = "c1"
Progress = Callable[[Iterable, int, str], Iterable]


def _no_progress(items: Iterable, total: int, desc: str) -> Iterable:
    return items


def fingerprint(files: list[Path], knowledge_dir: Path, embedder_id: str) -> str:
    """Hash of every input file, the lexicons, the embedder and the chunker version."""
    digest = hashlib.sha256(f"{embedder_id}|{CHUNKER_VERSION}".encode())
    lexicon = sorted((knowledge_dir / "lexicon").glob("*.yaml"))
    for path in sorted(files) + lexicon:
        digest.update(str(path).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:32]


def index_is_fresh(settings: Settings, embedder_id: str, sources: list[Path] | None = None) -> bool:
    build_id = current_build(settings.index_dir)
    if build_id is None:
        return False
    files = discover(settings.knowledge.dir, sources or settings.knowledge_sources())
    manifest = read_manifest(settings.index_dir, build_id)
    return manifest.fingerprint == fingerprint(files, settings.knowledge.dir, embedder_id)


def make_tokenizer(documents: list[Document], lexicon: Lexicon, cache_dir: Path) -> Tokenizer:
    words = set(lexicon.words())
    for doc in documents:
        words.update(doc.names)
    return Tokenizer(words, cache_dir=cache_dir)


def build_index(
    *,
    settings: Settings,
    embedder: Embeddings,
    sources: list[Path] | None = None,
    rebuild: bool = False,
    strict: bool = False,
    progress: Progress = _no_progress,
) -> BuildReport:
    """Build a new index beside the current one and swap it in. On failure nothing changes."""
    started = time.perf_counter()
    index_dir = settings.index_dir
    settings.ensure_home()
    index_dir.mkdir(parents=True, exist_ok=True)
    knowledge_dir = settings.knowledge.dir
    files = discover(
        knowledge_dir, sources if sources is not None else settings.knowledge_sources()
    )
    if not files:
        raise IndexBuildError(
            f"no knowledge files found under {knowledge_dir}/labels, {knowledge_dir}/policies "
            "or the --source folders; check COPILOT_KNOWLEDGE__DIR"
        )
    corpus = load_corpus(files, strict=strict)  # KnowledgeError propagates with --strict
    if not corpus.documents:
        raise IndexBuildError(
            "every knowledge file was rejected:\n" + "\n".join(p.message for p in corpus.problems)
        )
    lexicon = Lexicon.load(knowledge_dir)
    chunks: list[Chunk] = []
    for doc in corpus.documents:
        chunks.extend(chunk_document(doc))
    embedder_id = embedder_identity(embedder)

    old_id = None if rebuild else current_build(index_dir)
    old_manifest = read_manifest(index_dir, old_id) if old_id else None
    if old_manifest and old_manifest.embedder != embedder_id:
        old_manifest = None  # another embedder: every vector must be recomputed

    build_id = new_build_id()
    build_dir = builds_dir(index_dir) / build_id
    build_dir.mkdir(parents=True)
    collection = f"{settings.store.collection_prefix}-{build_id}".lower()
    url = settings.store.chroma_url
    client = None
    try:
        client = make_client(path=None if url else build_dir / "chroma", url=url)
        store = VectorStore(client, collection, embedder)
        reused: dict[str, list[float]] = {}
        old_ids: set[str] = set()
        if old_manifest is not None:
            old_ids = {
                json.loads(line)["id"]
                for line in (builds_dir(index_dir) / old_id / "chunks.jsonl").open(encoding="utf-8")
            }
            keep = [c.id for c in chunks if c.id in old_ids]
            if keep:
                old_client = make_client(
                    path=None
                    if old_manifest.chroma_url
                    else builds_dir(index_dir) / old_id / "chroma",
                    url=old_manifest.chroma_url,
                )
                reused = VectorStore(old_client, old_manifest.collection, embedder).embeddings_for(
                    keep
                )
        new_chunks = [c for c in chunks if c.id not in reused]
        embed_started = time.perf_counter()
        batch = max(1, settings.embeddings.batch_size)
        batches = range(0, len(new_chunks), batch)
        for start in progress(batches, len(batches), "embedding"):
            part = new_chunks[start : start + batch]
            vectors = embedder.embed_documents([search_text(c) for c in part])
            store.upsert(
                [c.id for c in part], vectors, [c.text for c in part], [c.metadata() for c in part]
            )
        embed_seconds = time.perf_counter() - embed_started
        if reused:
            kept = [c for c in chunks if c.id in reused]
            store.upsert(
                [c.id for c in kept],
                [reused[c.id] for c in kept],
                [c.text for c in kept],
                [c.metadata() for c in kept],
            )
        tokenizer = make_tokenizer(corpus.documents, lexicon, settings.home / "cache")
        with (build_dir / "chunks.jsonl").open("w", encoding="utf-8") as out:
            for c in progress(chunks, len(chunks), "tokenizing"):
                row = c.model_dump() | {"tokens": tokenizer.tokens(search_text(c))}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        with (build_dir / "documents.jsonl").open("w", encoding="utf-8") as out:
            for doc in corpus.documents:
                out.write(doc.model_dump_json() + "\n")
        stored = store.count()
        if stored != len({c.id for c in chunks}):
            raise IndexBuildError(
                f"vector store holds {stored} chunks, expected {len(chunks)}; build abandoned"
            )
        manifest = Manifest(
            build_id=build_id,
            created=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            embedder=embedder_id,
            fingerprint=fingerprint(files, knowledge_dir, embedder_id),
            collection=collection,
            chroma_url=url,
            documents=len(corpus.documents),
            chunks=len(chunks),
            problems=len(corpus.problems),
        )
        write_json_atomic(build_dir / "manifest.json", manifest.model_dump())
        write_json_atomic(build_dir / "problems.json", [p.model_dump() for p in corpus.problems])
    except BaseException as exc:
        if client is not None and url:
            drop_collection(client, collection)
        shutil.rmtree(build_dir, ignore_errors=True)
        if isinstance(exc, CopilotError | KeyboardInterrupt):
            raise
        raise IndexBuildError(
            f"index build failed ({type(exc).__name__}: {exc}); the previous index is unchanged"
        ) from exc
    swap_current(index_dir, build_id)
    removed_builds = prune_builds(index_dir, settings.store.keep_builds)
    if url:
        for old in removed_builds:
            drop_collection(client, f"{settings.store.collection_prefix}-{old}".lower())
    seconds = time.perf_counter() - started
    new_ids = {c.id for c in chunks}
    return BuildReport(
        build_id=build_id,
        documents=len(corpus.documents),
        chunks=len(chunks),
        added=len(new_chunks),
        removed=len(old_ids - new_ids),
        unchanged=len(reused),
        skipped=corpus.problems,
        seconds=round(seconds, 3),
        embed_seconds=round(embed_seconds, 3),
        chunks_per_second=round(len(new_chunks) / embed_seconds, 1) if embed_seconds > 0 else 0.0,
        embedder=embedder_id,
    )
