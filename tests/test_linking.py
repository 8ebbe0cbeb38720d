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
        # the pinyin input method's fuzzy pairs (模糊音): n/l, an/ang, s/sh, in/ing
        pytest.param("布诺芬能和感冒药一起吃吗", "ibuprofen-test", True, id="ime-n-l"),
        pytest.param("开瑞唐小孩能吃吗", "loratadine-test", True, id="ime-an-ang"),
        pytest.param("必理痛一次几片", "paracetamol-test", True, id="ime-homophone"),
        pytest.param("氯雷他定片吃了犯困吗", "loratadine-test", False, id="exact-long"),
        pytest.param("扑热西痛退烧", "paracetamol-test", True, id="ime-x-alias"),
    ],
)
def test_links(linker, text, doc_id, fuzzy):
    links = {lk.doc_id: lk for lk in linker.link(text)}
    assert doc_id in links
    assert links[doc_id].fuzzy is fuzzy


def test_no_link_for_unrelated_or_different_sounding_names(linker):
    assert linker.link("你们几点发货") == []
    assert linker.link("布丁芬") == []  # one character differs but does not sound the same
    assert linker.link("开瑞腾小孩能吃吗") == []  # teng is not tan/tang


def test_fuzzy_pairs_never_change_a_dosage_form(linker):
    # 栓 (shuan) and 霜 (shuang) are an input-method pair, but a form we do not sell is another
    # product, never a typo of ours.
    links = {lk.name for lk in linker.link("布洛芬栓孕妇能用吗")}
    assert not any(name.endswith("胶囊") for name in links)
    assert DrugLinker._same_sound("栓", "霜") is False
    assert DrugLinker._same_sound("敏", "明") is True
    assert DrugLinker._same_sound("丁", "芬") is False


def test_product_names_rank_before_shared_ingredients(tiny_knowledge):
    docs = load_corpus(discover(tiny_knowledge), strict=True).documents
    linker = DrugLinker(docs, fuzzy=False)
    links = linker.link("开瑞坦和必理通能一起吃吗")
    assert {lk.doc_id for lk in links} == {"loratadine-test", "paracetamol-test"}
    assert linker.link("布洛芬胶囊")[0].name == "布洛芬胶囊"
