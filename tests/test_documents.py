from __future__ import annotations

from pathlib import Path

import pytest

from copilot.errors import KnowledgeError
from copilot.ingest.documents import discover, load_corpus, load_file

LABEL = (Path(__file__).parent / "fixtures/knowledge/labels/ibuprofen-test.md").read_text(
    encoding="utf-8"
)


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_markdown_label_loads_with_front_matter_and_sections(tmp_path):
    doc = load_file(write(tmp_path / "labels", "ibuprofen-test.md", LABEL))
    assert doc.kind == "label"
    assert doc.doc_id == "ibuprofen-test"
    assert doc.label.ingredients[0].key == "ibuprofen"
    assert [s.heading for s in doc.sections][:3] == ["成分", "适应症", "用法用量"]
    assert "芬必得" in doc.names and "布洛芬" in doc.names
    usage = next(s for s in doc.sections if s.heading == "用法用量")
    assert LABEL.splitlines()[usage.line - 1] == "## 用法用量"


def test_policy_loads(tiny_knowledge):
    doc = load_file(tiny_knowledge / "policies" / "returns.md")
    assert doc.kind == "policy" and doc.title == "退换货与退款政策"
    assert doc.sections[0].heading == "药品退货原则"


def test_plain_text_label_split_at_bracketed_headings(tmp_path):
    text = (
        "通用名称：阿莫西林胶囊\n【成分】本品主要成分为阿莫西林。\n"
        "【用法与用量】口服。成人一次0.5克，每6～8小时1次。\n【贮藏】密封，在干燥处保存。\n"
    )
    doc = load_file(write(tmp_path, "amoxicillin.txt", text))
    assert doc.title == "阿莫西林胶囊"
    assert {s.heading: s.text for s in doc.sections}["用法用量"].startswith("口服。成人一次0.5克")


def test_html_label(tmp_path):
    html = """<html><head><style>p{}</style></head><body><h1>氯雷他定片说明书</h1>
    <h2>【适应症】</h2><p>用于缓解过敏性鼻炎有关的症状。</p>
    <h2>用法用量</h2><p>成人一日1次，一次1片。</p><script>var x=1;</script></body></html>"""
    doc = load_file(write(tmp_path, "loratadine.html", html))
    sections = {s.heading: s.text for s in doc.sections}
    assert sections["适应症"] == "用于缓解过敏性鼻炎有关的症状。"
    assert sections["用法用量"] == "成人一日1次，一次1片。"
    assert "var x" not in " ".join(sections.values())


def _pdf(path: Path, lines: list[str], password: str | None = None) -> Path:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path))
    c.setFont("STSong-Light", 12)
    y = 800
    for line in lines:
        c.drawString(50, y, line)
        y -= 20
    c.save()
    if password:
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(str(path)))
        writer.encrypt(password)
        writer.write(str(path))
    return path


def test_pdf_label(tmp_path):
    path = _pdf(
        tmp_path / "label.pdf",
        ["【成分】本品每片含氯雷他定10毫克。", "【用法用量】成人一日1次，一次1片。"],
    )
    doc = load_file(path)
    sections = {s.heading: s.text for s in doc.sections}
    assert "氯雷他定10毫克" in sections["成分"]
    assert "一日1次" in sections["用法用量"]


def test_docx_label_with_heading_styles_and_table(tmp_path):
    import docx

    d = docx.Document()
    d.add_heading("布洛芬片说明书", level=1)
    d.add_heading("用法用量", level=2)
    d.add_paragraph("成人一次1片，一日3次。")
    d.add_paragraph("【贮藏】密封保存。")
    table = d.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "规格"
    table.rows[0].cells[1].text = "0.2克"
    path = tmp_path / "ibuprofen.docx"
    d.save(str(path))
    doc = load_file(path)
    sections = {s.heading: s.text for s in doc.sections}
    assert sections["用法用量"] == "成人一次1片，一日3次。"
    assert sections["贮藏"].startswith("密封保存。")
    assert "规格 | 0.2克" in sections["贮藏"]


@pytest.mark.parametrize(
    ("name", "content", "expect"),
    [
        pytest.param(
            "labels/broken.md",
            LABEL.replace("brand_names: [芬必得]", "brand_names: [芬必得"),
            ["broken.md:", "malformed front matter", "fix the YAML syntax"],
            id="malformed-front-matter",
        ),
        pytest.param(
            "labels/nocat.md",
            LABEL.replace("category: OTC-B\n", ""),
            ["nocat.md", "`category` is missing", "add `category:`"],
            id="missing-field",
        ),
        pytest.param(
            "labels/badcat.md",
            LABEL.replace("category: OTC-B", "category: OTC"),
            ["badcat.md:8", "`category` is invalid"],
            id="invalid-field-with-line",
        ),
        pytest.param(
            "labels/heading.md",
            LABEL.replace("## 贮藏", "## 保存方法"),
            ["heading.md:39", "unknown section heading `## 保存方法`", "use one of"],
            id="unknown-heading",
        ),
        pytest.param(
            "labels/alias.md",
            LABEL.replace("## 贮藏", "## 储存"),
            ["rename it to `## 贮藏`"],
            id="heading-variant-suggests-canonical",
        ),
        pytest.param(
            "labels/gbk.md",
            LABEL.encode("gbk"),
            ["gbk.md:3", "not UTF-8", "iconv"],
            id="non-utf8",
        ),
        pytest.param("broken.pdf", b"%PDF-1.4 not really a pdf", ["unreadable PDF"], id="bad-pdf"),
        pytest.param("x.docx", b"PK\x03\x04 truncated", ["unreadable DOCX"], id="bad-docx"),
    ],
)
def test_bad_input_names_file_line_and_fix(tmp_path, name, content, expect):
    path = write(tmp_path, name, content)
    with pytest.raises(KnowledgeError) as info:
        load_file(path)
    message = str(info.value)
    for part in expect:
        assert part in message


def test_encrypted_pdf_is_reported(tmp_path):
    path = _pdf(tmp_path / "secret.pdf", ["【成分】布洛芬"], password="s3cret")
    with pytest.raises(KnowledgeError, match="encrypted"):
        load_file(path)


def test_duplicate_id_skipped_or_fatal_with_strict(tmp_path):
    labels = tmp_path / "k" / "labels"
    write(labels, "a.md", LABEL)
    write(labels, "b.md", LABEL)
    files = discover(tmp_path / "k")
    corpus = load_corpus(files, strict=False)
    assert len(corpus.documents) == 1
    assert "duplicate document id `ibuprofen-test`" in corpus.problems[0].message
    with pytest.raises(KnowledgeError, match="duplicate document id"):
        load_corpus(files, strict=True)
