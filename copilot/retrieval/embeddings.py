"""Embedders behind LangChain's `Embeddings` interface.

- `HashingEmbedder`: the offline default. Character 1–3-gram feature hashing; deterministic,
  no download, no GPU. It is a lexical embedder, not a semantic model: production deployments
  should configure a Chinese sentence-transformers model (e.g. a local bge-small-zh folder).
- `SentenceTransformerEmbedder`: any local model path, or a model name already in the local
  cache. This is the only module that imports sentence_transformers; it never downloads.
"""

from __future__ import annotations

import math
import os
import zlib

import numpy as np
from langchain_core.embeddings import Embeddings

from copilot.errors import ProviderError
from copilot.ingest.lexicon import normalize
from copilot.settings import EmbeddingSettings


class HashingEmbedder(Embeddings):
    """Signed feature hashing of character n-grams, log-scaled term frequency, L2-normalised."""

    version = "v1"

    def __init__(self, dim: int = 768, ngrams: tuple[int, ...] = (1, 2, 3)) -> None:
        self.dim = dim
        self.ngrams = ngrams
        self._cache: dict[str, tuple[int, float]] = {}

    @property
    def identity(self) -> str:
        return f"hashing-{self.version}-d{self.dim}-n{''.join(map(str, self.ngrams))}"

    def _slot(self, gram: str) -> tuple[int, float]:
        hit = self._cache.get(gram)
        if hit is None:
            h = zlib.crc32(gram.encode("utf-8"))
            weight = 0.5 if len(gram) == 1 else 1.0
            hit = (h % self.dim, weight if (h >> 31) & 1 else -weight)
            if len(self._cache) < 2_000_000:
                self._cache[gram] = hit
        return hit

    def _vector(self, text: str) -> list[float]:
        text = "".join(normalize(text).split())
        counts: dict[int, float] = {}
        for n in self.ngrams:
            for i in range(len(text) - n + 1):
                slot, sign = self._slot(text[i : i + n])
                counts[slot] = counts.get(slot, 0.0) + sign
        vec = np.zeros(self.dim, dtype=np.float32)
        for slot, value in counts.items():
            vec[slot] = math.copysign(1.0 + math.log(abs(value)), value) if value else 0.0
        norm = float(np.linalg.norm(vec))
        return (vec / norm if norm else vec).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


class SentenceTransformerEmbedder(Embeddings):
    """A sentence-transformers model loaded from a local path or the local cache only."""

    def __init__(self, model: str, *, device: str = "cpu", batch_size: int = 64) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(model, device=device, local_files_only=True)
        except Exception as exc:
            raise ProviderError(
                f"cannot load sentence-transformers model `{model}` offline ({exc}). "
                "Set COPILOT_EMBEDDINGS__MODEL to a local model folder (nothing is downloaded)."
            ) from None
        self.model_name = model
        self.batch_size = batch_size

    @property
    def identity(self) -> str:
        return f"st-{os.path.basename(os.path.normpath(self.model_name))}"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors = self._model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return vectors.tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def make_embedder(settings: EmbeddingSettings) -> Embeddings:
    """The embedder the settings name."""
    if settings.provider == "hashing":
        return HashingEmbedder(dim=settings.dim)
    if not settings.model:
        raise ProviderError(
            "embeddings provider is sentence-transformers but no model is set: "
            "set COPILOT_EMBEDDINGS__MODEL to a local model folder"
        )
    return SentenceTransformerEmbedder(
        settings.model, device=settings.device, batch_size=settings.batch_size
    )


def embedder_identity(embedder: Embeddings) -> str:
    return getattr(embedder, "identity", type(embedder).__name__)
