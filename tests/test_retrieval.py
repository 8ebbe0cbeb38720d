from __future__ import annotations

import pytest

from copilot.evals.retrieval import RetrievalCase, evals_dir, load_cases
from copilot.schemas import SearchFilters

CORE = [c for c in load_cases() if c.id.startswith("core-")]


def test_core_set_is_large_enough():
    assert len(CORE) >= 40


@pytest.mark.parametrize("case", CORE, ids=[c.id for c in CORE])
def test_core_question_finds_expected_section_in_top5(sample_retriever, case: RetrievalCase):
    found = sample_retriever.retrieve(case.question, 5)
    got = [f"{r.chunk.doc_id} · {r.chunk.section}" for r in found]
    assert any(case.matches(r.chunk.doc_id, r.chunk.section) for r in found), got


def test_pregnancy_question_puts_ibuprofen_pregnancy_section_first(sample_retriever):
    top = sample_retriever.retrieve("孕妇能吃布洛芬吗", 5)[0].chunk
    assert top.section == "孕妇及哺乳期妇女用药"
    assert top.doc_id.startswith("ibuprofen")


def test_typo_and_brand_reach_the_same_label(sample_retriever):
    typo = sample_retriever.retrieve("布落芬胶囊一天吃几次", 3)[0].chunk
    brand = sample_retriever.retrieve("芬必得一天吃几次", 3)[0].chunk
    assert (typo.doc_id, typo.section) == (brand.doc_id, brand.section)
    assert brand.section == "用法用量"


def test_colloquial_synonym_expansion(sample_retriever):
    _, trace = sample_retriever.search("拉肚子吃什么药", 5)
    assert "腹泻" in trace.tokens


def test_class_word_links_every_product_of_the_class(sample_retriever):
    _, trace = sample_retriever.search("吃头孢能喝酒吗", 5)
    linked = {lk.doc_id for lk in trace.links}
    assert {"cefuroxime-axetil-tablet", "cefaclor-capsule"} <= linked


def test_filters_restrict_kind_and_documents(sample_retriever):
    policies = sample_retriever.retrieve("布洛芬能退货吗", 5, SearchFilters(kind="policy"))
    assert policies and {r.chunk.kind for r in policies} == {"policy"}
    only = sample_retriever.retrieve("一天吃几次", 5, SearchFilters(doc_ids=["loratadine-tablet"]))
    assert only and {r.chunk.doc_id for r in only} == {"loratadine-tablet"}


def test_every_retrieval_case_points_at_an_existing_section(sample_retriever):
    docs = sample_retriever.index.documents
    for case in load_cases(evals_dir() / "datasets"):
        wanted = [case.expect_doc] if isinstance(case.expect_doc, str) else case.expect_doc
        for doc_id in wanted:
            assert doc_id in docs, f"{case.id}: unknown document {doc_id}"
            if case.expect_section:
                sections = {s.heading for s in docs[doc_id].sections}
                want = case.expect_section
                want = [want] if isinstance(want, str) else want
                assert set(want) & sections, f"{case.id}: {doc_id} has none of {want}"
