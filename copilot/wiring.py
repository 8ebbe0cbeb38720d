"""Builds the runtime objects from settings. Front doors (CLI, API, evals) call these."""

from __future__ import annotations

from langchain_core.embeddings import Embeddings

from copilot.retrieval.embeddings import make_embedder
from copilot.retrieval.hybrid import HybridRetriever
from copilot.retrieval.knowledge_index import KnowledgeIndex
from copilot.settings import Settings


def open_retriever(settings: Settings, embedder: Embeddings | None = None) -> HybridRetriever:
    embedder = embedder or make_embedder(settings.embeddings)
    index = KnowledgeIndex.load(settings, embedder)
    return HybridRetriever(index, settings.retrieval)


def open_copilot(settings: Settings, *, chat_model=None):
    """The suggest pipeline with its retriever, gate and (lazily) chat model."""
    from copilot.pipeline import Copilot

    retriever = open_retriever(settings)
    return Copilot(
        settings=settings,
        retriever=retriever,
        gate=open_gate(settings, retriever),
        chat_model=chat_model,
    )


def open_gate(settings: Settings, retriever: HybridRetriever | None = None):
    """The safety gate over the same knowledge (labels, linker, lexicons) as retrieval."""
    from copilot.safety.gate import SafetyGate

    retriever = retriever or open_retriever(settings)
    return SafetyGate.from_index(retriever.index, settings.knowledge.dir)
