"""BM25 (Okapi) over jieba tokens as a sparse matrix: one column slice per query term.

rank_bm25 (behind LangChain's BM25Retriever) scores every document in Python for every query
term; at 100k+ chunks that alone exceeds the latency budget, so the index is a CSC matrix of
precomputed BM25 term weights and a query is a column sum.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from scipy import sparse


class BM25Index:
    def __init__(self, corpus_tokens: list[list[str]], *, k1: float = 1.5, b: float = 0.75) -> None:
        self.size = len(corpus_tokens)
        self.vocab: dict[str, int] = {}
        rows, cols, tfs = [], [], []
        lengths = np.zeros(self.size, dtype=np.float32)
        for row, tokens in enumerate(corpus_tokens):
            lengths[row] = len(tokens)
            for token, tf in Counter(tokens).items():
                col = self.vocab.setdefault(token, len(self.vocab))
                rows.append(row)
                cols.append(col)
                tfs.append(tf)
        avgdl = float(lengths.mean()) if self.size else 1.0
        rows_a = np.asarray(rows, dtype=np.int64)
        cols_a = np.asarray(cols, dtype=np.int64)
        tf_a = np.asarray(tfs, dtype=np.float32)
        df = np.bincount(cols_a, minlength=len(self.vocab)).astype(np.float32)
        idf = np.log((self.size - df + 0.5) / (df + 0.5) + 1.0)
        denom = tf_a + k1 * (1 - b + b * lengths[rows_a] / max(avgdl, 1e-6))
        weights = idf[cols_a] * tf_a * (k1 + 1) / denom
        self.matrix = sparse.csc_matrix(
            (weights, (rows_a, cols_a)), shape=(self.size, max(len(self.vocab), 1))
        )

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        cols = [self.vocab[t] for t in dict.fromkeys(query_tokens) if t in self.vocab]
        if not cols or not self.size:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.matrix[:, cols].sum(axis=1)).ravel()

    @staticmethod
    def top(scores: np.ndarray, k: int, mask: np.ndarray | None = None) -> list[int]:
        """Indices of the k best positive scores (restricted to `mask` when given)."""
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        positive = int(np.count_nonzero(scores > 0))
        k = min(k, positive)
        if k <= 0:
            return []
        idx = np.argpartition(-scores, k - 1)[:k]
        return [int(i) for i in idx[np.argsort(-scores[idx], kind="stable")]]
