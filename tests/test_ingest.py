from __future__ import annotations

import json

import pytest

from copilot.errors import IndexBuildError, KnowledgeError
from copilot.ingest.build import build_index, index_is_fresh
from copilot.ingest.index_store import builds_dir, current_build
from copilot.retrieval.embeddings import HashingEmbedder
from copilot.wiring import open_retriever


class CountingEmbedder(HashingEmbedder):
    """The deterministic hashing embedder, counting what it embeds."""

    def __init__(self, dim=256):
        super().__init__(dim=dim)
        self.embedded: list[str] = []

    def embed_documents(self, texts):
        self.embedded += texts
        return super().embed_documents(texts)


class BrokenEmbedder(HashingEmbedder):
    def embed_documents(self, texts):
        raise RuntimeError("model crashed")


def test_first_build_then_incremental_build_reuses_vectors(tiny_settings, tiny_knowledge):
    first = CountingEmbedder()
    report = build_index(settings=tiny_settings, embedder=first)
    assert report.documents == 4 and report.added == report.chunks > 0
    assert len(first.embedded) == report.chunks

    second = CountingEmbedder()
    report2 = build_index(settings=tiny_settings, embedder=second)
    assert second.embedded == []
    assert report2.unchanged == report.chunks and report2.added == 0

    label = tiny_knowledge / "labels" / "loratadine-test.md"
    label.write_text(label.read_text().replace("常见乏力", "偶见乏力"), encoding="utf-8")
    third = CountingEmbedder()
    report3 = build_index(settings=tiny_settings, embedder=third)
    assert len(third.embedded) == 1 and "偶见乏力" in third.embedded[0]
    assert report3.removed == 1


def test_removed_document_disappears_from_bm25_and_vectors(tiny_settings, tiny_knowledge, embedder):
    build_index(settings=tiny_settings, embedder=embedder)
    (tiny_knowledge / "labels" / "loratadine-test.md").unlink()
    build_index(settings=tiny_settings, embedder=embedder)
    retriever = open_retriever(tiny_settings, embedder)
    assert "loratadine-test" not in retriever.index.documents
    assert all(c.doc_id != "loratadine-test" for c in retriever.index.chunks)
    assert retriever.index.store.count() == len(retriever.index.chunks)
    found = retriever.retrieve("开瑞坦 氯雷他定 过敏性鼻炎", k=10)
    assert all(r.chunk.doc_id != "loratadine-test" for r in found)


def test_failed_build_keeps_previous_index(tiny_settings, embedder):
    build_index(settings=tiny_settings, embedder=embedder)
    before = current_build(tiny_settings.index_dir)
    with pytest.raises(IndexBuildError, match="previous index is unchanged"):
        build_index(settings=tiny_settings, embedder=BrokenEmbedder(dim=256), rebuild=True)
    assert current_build(tiny_settings.index_dir) == before
    assert sorted(p.name for p in builds_dir(tiny_settings.index_dir).iterdir()) == [before]
    assert open_retriever(tiny_settings, embedder).retrieve("芬必得一天吃几次")


def test_strict_build_fails_on_bad_file_and_old_index_stays(
    tiny_settings, tiny_knowledge, embedder
):
    build_index(settings=tiny_settings, embedder=embedder)
    before = current_build(tiny_settings.index_dir)
    (tiny_knowledge / "labels" / "bad.md").write_text(
        "---\nid: [\n---\n## 成分\n", encoding="utf-8"
    )
    with pytest.raises(KnowledgeError, match=r"bad\.md"):
        build_index(settings=tiny_settings, embedder=embedder, strict=True)
    assert current_build(tiny_settings.index_dir) == before
    report = build_index(settings=tiny_settings, embedder=embedder)
    assert [p.path.endswith("bad.md") for p in report.skipped] == [True]
    assert report.documents == 4


def test_freshness_follows_file_content(tiny_settings, tiny_knowledge, embedder):
    assert not index_is_fresh(tiny_settings, embedder.identity)
    build_index(settings=tiny_settings, embedder=embedder)
    assert index_is_fresh(tiny_settings, embedder.identity)
    assert not index_is_fresh(tiny_settings, HashingEmbedder(dim=128).identity)
    syn = tiny_knowledge / "lexicon" / "synonyms.yaml"
    syn.write_text(syn.read_text() + "- {colloquial: 嗓子疼, clinical: 咽痛}\n", encoding="utf-8")
    assert not index_is_fresh(tiny_settings, embedder.identity)


def test_extra_source_folder_of_pharmacy_files(tiny_settings, tmp_path, embedder):
    own = tmp_path / "pharmacy-labels"
    own.mkdir()
    (own / "montmorillonite.txt").write_text(
        "通用名称：蒙脱石散\n【成分】本品主要成分为蒙脱石。\n【用法用量】成人一次1袋，一日3次。\n",
        encoding="utf-8",
    )
    report = build_index(settings=tiny_settings, embedder=embedder, sources=[own])
    assert report.documents == 5
    manifest = json.loads(
        (builds_dir(tiny_settings.index_dir) / report.build_id / "manifest.json").read_text()
    )
    assert manifest["chunks"] == report.chunks
    top = open_retriever(tiny_settings, embedder).retrieve("蒙脱石散怎么吃", k=3)
    assert top[0].chunk.doc_id == "montmorillonite"


def test_build_ids_made_within_one_second_sort_in_the_order_made():
    from copilot.ingest.index_store import new_build_id

    ids = [new_build_id() for _ in range(5)]
    assert [i.split("-")[0] for i in sorted(ids)] == [i.split("-")[0] for i in ids]
