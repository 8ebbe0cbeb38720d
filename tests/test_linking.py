from __future__ import annotations

import pytest

from copilot.ingest.documents import discover, load_corpus
from copilot.retrieval.linking import DrugLinker


@pytest.fixture
def linker(tiny_knowledge):
    return DrugLinker(load_corpus(discover(tiny_knowledge), strict=True).documents)


@pytest.mark.parametrize(
    ("text", "doc_id", "fuzzy"),
    [
        pytest.param("布洛芬一天吃几次", "ibuprofen-test", False, id="ingredient"),
        pytest.param("芬必得孕妇能吃吗", "ibuprofen-test", False, id="brand"),
        pytest.param("布落芬能和感冒药一起吃吗", "ibuprofen-test", True, id="homophone-typo"),
        pytest.param("扑热息痛退烧", "paracetamol-test", False, id="alias"),
        pytest.param("对已酰氨基酚", "paracetamol-test", True, id="typo-in-long-name"),
        pytest.param("开瑞坦和必理通", "loratadine-test", False, id="two-drugs"),
    ],
)
def test_links(linker, text, doc_id, fuzzy):
    links = {lk.doc_id: lk for lk in linker.link(text)}
    assert doc_id in links
    assert links[doc_id].fuzzy is fuzzy


def test_no_link_for_unrelated_or_different_sounding_names(linker):
    assert linker.link("你们几点发货") == []
    assert linker.link("布丁芬") == []  # one character differs but does not sound the same


def test_product_names_rank_before_shared_ingredients(tiny_knowledge):
    docs = load_corpus(discover(tiny_knowledge), strict=True).documents
    linker = DrugLinker(docs, fuzzy=False)
    links = linker.link("开瑞坦和必理通能一起吃吗")
    assert {lk.doc_id for lk in links} == {"loratadine-test", "paracetamol-test"}
    assert linker.link("布洛芬胶囊")[0].name == "布洛芬胶囊"
