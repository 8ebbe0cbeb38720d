"""Hybrid retrieval: drug entity linking + BM25 over jieba tokens + dense vectors from Chroma +
section intent, fused by weighted reciprocal rank fusion.

Fusion is written out here (a dozen lines) rather than taken from LangChain's EnsembleRetriever
because the result must carry each retriever's rank for the agent's "why this source" view and
the eval reports; `as_langchain_retriever()` exposes the fused result to LangChain chains.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from copilot.ingest.lexicon import normalize
from copilot.retrieval.knowledge_index import KnowledgeIndex
from copilot.retrieval.linking import DrugLink
from copilot.schemas import Chunk, Document, RetrievedChunk, SearchFilters
from copilot.settings import RetrievalSettings

# When a question names a drug but no section cue is found, these sections answer most
# open questions ("X要紧吗", "X能吃吗"); label order (成分 first) would not.
SECTION_PRIOR = {
    name: rank
    for rank, name in enumerate(
        [
            "注意事项",
            "禁忌",
            "不良反应",
            "用法用量",
            "适应症",
            "功能主治",
            "药物相互作用",
            "孕妇及哺乳期妇女用药",
            "儿童用药",
            "老年用药",
            "警示语",
            "药物过量",
        ]
    )
}


@dataclass
class RetrievalTrace:
    links: list[DrugLink]
    intents: list[str]
    tokens: list[str]
    vector: list[float] | None = None  # the query's embedding (the composer reuses it)


@dataclass(frozen=True)
class Reading:
    """What the knowledge recognises in one text, found once and shared by triage, retrieval
    and the composer: linked drugs, section cues, words and query tokens (words plus the
    clinical words of colloquial synonyms)."""

    text: str
    links: list[DrugLink]
    cues: list[str]
    words: list[str]
    query_tokens: list[str]
    segments: list[str]


class HybridRetriever:
    def __init__(self, index: KnowledgeIndex, settings: RetrievalSettings) -> None:
        self.index = index
        self.settings = settings

    # --- what callers may ask of the index (instead of reaching into it) ---------------------
    @property
    def manifest(self):
        return self.index.manifest

    @property
    def embedder(self):
        return self.index.embedder

    def documents(self) -> list[Document]:
        return list(self.index.documents.values())

    def document(self, doc_id: str) -> Document | None:
        return self.index.documents.get(doc_id)

    def chunk_ids(self) -> set[str]:
        return set(self.index.position)

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        """Every chunk of one document, in label order."""
        return [self.index.chunks[i] for i in self.index.by_doc.get(doc_id, [])]

    def dense_top(self, query: str, k: int) -> list[tuple[Chunk, float]]:
        """The naive baseline a team builds first: LangChain's Chroma vector store, the same
        embedder, dense top-k; no linking, no BM25, no section cues, no safety."""
        idx = self.index
        hits = idx.store.langchain.similarity_search_with_score(query, k=k)
        return [(idx.chunk(doc.id), score) for doc, score in hits if doc.id in idx.position]

    def synonyms(self) -> dict[str, str]:
        """Colloquial → clinical words of the lexicon (脚气 → 足癣)."""
        return dict(self.index.lexicon.synonyms)

    def query_words(self, text: str) -> list[str]:
        """The words of `text` and the clinical words of its colloquial ones (茶水 → 茶水, 茶, 水;
        脚气 → also 足癣)."""
        return self.index.tokenizer.tokens(text) + self.clinical_words(text)

    def clinical_words(self, text: str) -> list[str]:
        """The lexicon's clinical words for the colloquial words of `text` (茶水 → 茶)."""
        idx = self.index
        return [w for clinical in idx.lexicon.expand(text) for w in idx.tokenizer.tokens(clinical)]

    def read(self, text: str) -> Reading:
        """Link drugs, find section cues and tokenise `text`, once."""
        idx = self.index
        words = idx.tokenizer.tokens(text)
        tokens = self.query_words(text)
        return Reading(
            text=text,
            links=idx.linker.link(text),
            cues=idx.lexicon.intended_sections(text),
            words=words,
            query_tokens=tokens,
            segments=idx.tokenizer.segments(text),
        )

    def maker_brands(self) -> set[str]:
        return self.index.linker.maker_brands

    def product_forms(self) -> dict[str, str]:
        """doc id → its generic name and dosage form (what forms the product comes in)."""
        return self.index.linker.forms

    def product_siblings(self) -> dict[str, list[str]]:
        """doc id → the other forms of the same product (same generic name, another form)."""
        return self.index.linker.siblings

    def knows_word(self, word: str) -> bool:
        return self.index.tokenizer.knows(word)

    def _mask(self, filters: SearchFilters | None) -> np.ndarray | None:
        if filters is None or not (filters.kind or filters.doc_ids or filters.sections):
            return None
        chunks = self.index.chunks
        doc_ids = set(filters.doc_ids or ())
        sections = set(filters.sections or ())
        return np.fromiter(
            (
                (not filters.kind or c.kind == filters.kind)
                and (not doc_ids or c.doc_id in doc_ids)
                and (not sections or c.section in sections)
                for c in chunks
            ),
            dtype=bool,
            count=len(chunks),
        )

    @staticmethod
    def _where(filters: SearchFilters | None) -> dict | None:
        if filters is None:
            return None
        clauses = []
        if filters.kind:
            clauses.append({"kind": filters.kind})
        if filters.doc_ids:
            clauses.append({"doc_id": {"$in": list(filters.doc_ids)}})
        if filters.sections:
            clauses.append({"section": {"$in": list(filters.sections)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def retrieve(
        self, query: str, k: int | None = None, filters: SearchFilters | None = None
    ) -> list[RetrievedChunk]:
        """The k best chunks for `query`, best first."""
        return self.search(query, k, filters)[0]

    def search(
        self,
        query: str,
        k: int | None = None,
        filters: SearchFilters | None = None,
        reading: Reading | None = None,
    ) -> tuple[list[RetrievedChunk], RetrievalTrace]:
        """Like `retrieve`, plus what the query linked to (drugs, intents, tokens). `reading`:
        the query already read (`read(query)`), so nothing is linked or tokenised twice."""
        idx, cfg = self.index, self.settings
        k = k or cfg.k
        n = cfg.candidates
        mask = self._mask(filters)
        if reading is None or reading.text != query:
            reading = self.read(query)
        links = list(reading.links)
        intents = list(reading.cues)
        if len({lk.matched for lk in links}) >= 2 and "药物相互作用" not in intents:
            intents.append("药物相互作用")  # two drugs named: how they go together matters
        tokens = reading.query_tokens
        trace = RetrievalTrace(links, intents, tokens)
        scores = idx.bm25.scores(tokens)
        # Within the linked drugs every chunk matches the drug's name, so rank them by what the
        # question says besides the name ("芬必得|一天吃几次" → 一天, 几次).
        residual = normalize(query)
        for link in links:
            residual = residual.replace(link.matched, " ")
        rest = (
            idx.bm25.scores(idx.tokenizer.query_tokens(residual, idx.lexicon)) if links else scores
        )

        lists: dict[str, list[int]] = {}
        lists["bm25"] = idx.bm25.top(scores, n, mask)

        vector = idx.embedder.embed_query(query)
        trace.vector = vector
        dense = idx.store.query(vector, min(n, len(idx.chunks)), self._where(filters))
        lists["dense"] = [idx.position[cid] for cid, _ in dense if cid in idx.position]

        intent_rank = {t: r for r, t in enumerate(intents)}

        def intent_of(i: int) -> int:
            c = idx.chunks[i]
            hit = intent_rank.get(c.section, intent_rank.get(c.doc_id))
            return len(intents) if hit is None else hit

        linked: list[int] = []
        for link in links:
            linked += idx.by_doc.get(link.doc_id, [])
        if mask is not None:
            linked = [i for i in linked if mask[i]]
        strength = {lk.doc_id: (lk.strength, not lk.fuzzy) for lk in links}
        linked.sort(
            key=lambda i: (
                -strength[idx.chunks[i].doc_id][0],
                not strength[idx.chunks[i].doc_id][1],
                intent_of(i),
                -rest[i],
                SECTION_PRIOR.get(idx.chunks[i].section, len(SECTION_PRIOR)),
            )
        )
        lists["entity"] = linked[:n]

        if intents:
            pool = linked if linked else range(len(idx.chunks))
            candidates = [i for i in pool if intent_of(i) < len(intents)]
            if mask is not None:
                candidates = [i for i in candidates if mask[i]]
            candidates.sort(key=lambda i: (intent_of(i), -rest[i]))
            lists["intent"] = candidates[:n]

        weights = {
            "entity": cfg.weight_entity,
            "bm25": cfg.weight_bm25,
            "dense": cfg.weight_dense,
            "intent": cfg.weight_intent,
        }
        fused: dict[int, float] = {}
        ranks: dict[int, dict[str, int]] = {}
        for name, items in lists.items():
            for rank, i in enumerate(items, start=1):
                fused[i] = fused.get(i, 0.0) + weights[name] / (cfg.rrf_k + rank)
                ranks.setdefault(i, {})[name] = rank
        best = sorted(fused, key=lambda i: (-fused[i], i))[:k]
        results = [
            RetrievedChunk(chunk=idx.chunks[i], score=round(fused[i], 6), ranks=ranks[i])
            for i in best
        ]
        return results, trace

    def as_langchain_retriever(self, k: int | None = None) -> BaseRetriever:
        return _LangChainHybrid(hybrid=self, k=k or self.settings.k)


class _LangChainHybrid(BaseRetriever):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    hybrid: HybridRetriever
    k: int

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LCDocument]:
        return [
            LCDocument(
                page_content=r.chunk.text,
                id=r.chunk.id,
                metadata=r.chunk.metadata() | {"score": r.score},
            )
            for r in self.hybrid.retrieve(query, self.k)
        ]
