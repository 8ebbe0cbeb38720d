from __future__ import annotations

from copilot.ingest.chunking import chunk_document, chunk_id
from copilot.ingest.documents import load_file
from copilot.schemas import Document, Section


def test_ids_are_stable_and_content_addressed(tiny_knowledge):
    path = tiny_knowledge / "labels" / "ibuprofen-test.md"
    first = [c.id for c in chunk_document(load_file(path))]
    again = [c.id for c in chunk_document(load_file(path))]
    assert first == again
    assert len(set(first)) == len(first)
    path.write_text(path.read_text().replace("密封保存。", "密封，阴凉处保存。"), encoding="utf-8")
    changed = [c.id for c in chunk_document(load_file(path))]
    assert len(set(first) - set(changed)) == 1  # only the 贮藏 chunk changed


def test_id_depends_on_revision_and_section():
    base = chunk_id("d", "用法用量", 0, "一次1片", "2026-01-01")
    assert base != chunk_id("d", "用法用量", 0, "一次1片", "2026-02-01")
    assert base != chunk_id("d", "注意事项", 0, "一次1片", "2026-01-01")


def test_long_section_split_at_sentence_ends():
    text = "".join(f"第{i}句内容比较长，用来测试分块。" for i in range(80))
    doc = Document(
        doc_id="long",
        kind="document",
        title="长文",
        source_file="x.txt",
        sections=[Section(heading="注意事项", text=text, line=1)],
    )
    chunks = chunk_document(doc, max_chars=200)
    assert len(chunks) > 1
    assert all(len(c.text) <= 200 for c in chunks)
    assert "".join(c.text for c in chunks) == text
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
