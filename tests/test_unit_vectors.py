"""Policy units by meaning (drafting/unit_vectors.py): the unit nearest the question gains the
most, units far below it nothing; vectors are cached on disk by the embedder and the texts, and
a question vector of another model adds nothing (never an error)."""

from __future__ import annotations

from langchain_core.embeddings import Embeddings

from copilot.drafting.unit_vectors import WEIGHT, UnitVectors
from copilot.drafting.units import cut_units
from copilot.schemas import Chunk

_AXES = ("叠加", "有效期", "限购")


class AxisEmbedder(Embeddings):
    """A vector per text: one axis per topic word it carries (a fake, deterministic model)."""

    identity = "axis-test"

    def __init__(self) -> None:
        self.documents = 0

    def _vec(self, text: str) -> list[float]:
        return [1.0 if w in text else 0.05 for w in _AXES]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.documents += len(texts)
        return [self._vec(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vec(text)


def _units():
    chunk = Chunk(
        id="coupons-1",
        doc_id="coupons",
        kind="policy",
        title="优惠券与促销",
        section="使用规则与叠加",
        text="每个订单最多使用一张商品券。商品券之间不能叠加。优惠券有效期一般为7天。同一药品每单限购5盒。",
        source_file="coupons.md",
    )
    return cut_units(chunk)


def test_the_unit_nearest_the_question_gains_and_far_ones_do_not(tmp_path):
    embedder = AxisEmbedder()
    units = _units()
    vectors = UnitVectors(embedder, units, cache_dir=tmp_path)
    bonus = vectors.bonus(embedder.embed_query("两张券能叠加吗"), units)
    by_text = {u.text: bonus[id(u)] for u in units}
    assert by_text["商品券之间不能叠加"] == WEIGHT
    assert by_text["同一药品每单限购5盒"] == 0.0
    assert by_text["优惠券有效期一般为7天"] == 0.0


def test_vectors_are_cached_by_embedder_and_texts(tmp_path):
    embedder = AxisEmbedder()
    UnitVectors(embedder, _units(), cache_dir=tmp_path)
    first = embedder.documents
    UnitVectors(embedder, _units(), cache_dir=tmp_path)  # the same texts: read from the cache
    assert first == 4 and embedder.documents == first
    assert len(list(tmp_path.glob("policy-units-*.npy"))) == 1


def test_no_question_vector_or_another_models_vector_adds_nothing(tmp_path):
    units = _units()
    vectors = UnitVectors(AxisEmbedder(), units, cache_dir=tmp_path)
    assert vectors.bonus(None, units) == {}
    assert vectors.bonus([0.1] * 384, units) == {}  # another model's dimension
    assert UnitVectors(AxisEmbedder(), [], cache_dir=tmp_path).bonus([1.0, 0, 0], units) == {}
