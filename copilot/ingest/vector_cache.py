"""Embeddings of fixed texts (the semantic net's exemplars, the policy units) kept on disk, so a
start does not embed them again: keyed by the embedder's identity and the texts, written to a
temporary file and moved into place (a crash never leaves half a file)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np


def cached_vectors(
    cache_dir: Path | None,
    name: str,
    identity: str,
    texts: list[str],
    embed: Callable[[list[str]], list[list[float]]],
) -> np.ndarray:
    """`embed(texts)` as a float32 array, read from `cache_dir/<name>-<key>.npy` when it is
    there (no cache_dir: computed every time)."""
    raw = json.dumps([identity, texts], ensure_ascii=False)
    key = hashlib.sha256(raw.encode()).hexdigest()
    path = cache_dir / f"{name}-{key[:24]}.npy" if cache_dir else None
    if path is not None and path.exists():
        return np.load(path)
    vectors = np.asarray(embed(texts), dtype=np.float32)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, vectors)
        tmp.replace(path)
    return vectors
