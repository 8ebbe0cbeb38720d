"""Builds the runtime objects from settings. Front doors (CLI, API, evals) call these; every
provider (embedder, vector store, chat model) is made here or injected."""

from __future__ import annotations

from collections.abc import Callable

from langchain_core.embeddings import Embeddings

from copilot.ingest.build import build_index
from copilot.pipeline import Copilot
from copilot.retrieval.embeddings import make_embedder
from copilot.retrieval.hybrid import HybridRetriever
from copilot.retrieval.knowledge_index import KnowledgeIndex
from copilot.safety.gate import SafetyGate
from copilot.safety.semantic_net import SemanticNet, load_exemplars
from copilot.schemas import BuildReport
from copilot.settings import Settings


def open_retriever(settings: Settings, embedder: Embeddings | None = None) -> HybridRetriever:
    embedder = embedder or make_embedder(settings.embeddings)
    index = KnowledgeIndex.load(settings, embedder)
    return HybridRetriever(index, settings.retrieval)


def open_gate(settings: Settings, retriever: HybridRetriever | None = None) -> SafetyGate:
    """The safety gate over the same knowledge (labels, linker, lexicons) as retrieval."""
    retriever = retriever or open_retriever(settings)
    gate = SafetyGate.from_index(retriever.index, settings.knowledge.dir)
    exemplars = load_exemplars(settings.knowledge.dir / "rules" / "exemplars.yaml")
    if exemplars is not None:
        gate.net = SemanticNet(exemplars, retriever.embedder, cache_dir=settings.home / "cache")
    return gate


def open_copilot(
    settings: Settings, *, chat_model=None, embedder: Embeddings | None = None
) -> Copilot:
    """The suggest pipeline with its retriever, gate and (lazily) chat model."""
    retriever = open_retriever(settings, embedder)
    return Copilot(
        settings=settings,
        retriever=retriever,
        gate=open_gate(settings, retriever),
        chat_model=chat_model,
    )


def build_with_configured_embedder(
    settings: Settings, copilot: Copilot | None = None
) -> Callable[..., BuildReport]:
    """`build_index` bound to one embedder: the running pipeline's when it has the configured
    one (one loaded model per process), else a new one from settings."""
    embedder = copilot.retriever.embedder if copilot is not None else None
    embedder = embedder or make_embedder(settings.embeddings)

    def build(**kwargs) -> BuildReport:
        return build_index(embedder=embedder, **kwargs)

    return build
