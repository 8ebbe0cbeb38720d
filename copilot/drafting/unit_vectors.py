"""The embedding model's view of policy units: how close each unit of a policy is in meaning to
the customer's question ("我有两张满减券，能一起用吗" → 商品券之间不能叠加, a unit that shares no
word with it but 券).

The policy answer scores units by the question's words (policy_answer.py); a question put in
other words than the policy's misses the unit that answers it. Every policy unit is embedded
once (as a passage; cached on disk by the embedder's identity and the texts) and compared with
the question's vector, the one retrieval already computed. Only the units nearest the question
in this policy gain (`bonus`): the similarities of one model are compressed into a narrow band,
so a unit counts by how close it is to the best unit of the same policy, not by its raw
cosine. The gain is a tie-breaker beside the words (set on the gated answers set: weight 1
lifted recall 0.817 → 0.822 with no new must-not; weights 2–4 moved more lines and added a
must-not error).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from copilot.drafting.units import Unit
from copilot.ingest.vector_cache import cached_vectors

WEIGHT = 1.0  # what the nearest unit gains, in the policy answer's word-score points
BAND = 0.02  # units this much below the nearest unit's similarity gain nothing


class UnitVectors:
    def __init__(
        self, embedder: Embeddings, units: list[Unit], *, cache_dir: Path | None = None
    ) -> None:
        self.index = {(u.chunk.id, u.position): i for i, u in enumerate(units)}
        self.vectors = self._vectors(embedder, [u.text for u in units], cache_dir)

    @staticmethod
    def _vectors(embedder: Embeddings, texts: list[str], cache_dir: Path | None) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        identity = getattr(embedder, "identity", type(embedder).__name__)  # as the index keys it
        vectors = cached_vectors(
            cache_dir, "policy-units", identity, texts, embedder.embed_documents
        )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)

    def bonus(self, query: Sequence[float] | None, units: list[Unit]) -> dict[int, float]:
        """Per unit of `units` (by id()), what its closeness to the question adds: WEIGHT for
        the nearest, falling to 0 at BAND below it; units without a vector add nothing."""
        if query is None or not len(self.vectors):
            return {}
        q = np.asarray(query, dtype=np.float32)
        norm = float(np.linalg.norm(q))
        if norm == 0 or q.shape[0] != self.vectors.shape[1]:
            return {}
        rows = [(u, self.index.get((u.chunk.id, u.position))) for u in units]
        known = [(u, i) for u, i in rows if i is not None]
        if not known:
            return {}
        sims = self.vectors[[i for _, i in known]] @ (q / norm)
        top = float(sims.max())
        return {
            id(u): WEIGHT * max(0.0, 1.0 - (top - float(s)) / BAND)
            for (u, _), s in zip(known, sims, strict=True)
        }
