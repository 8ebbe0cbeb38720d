"""The knowledge pages: no retrieval scores and no server paths; a label's Markdown tables are
tables (cells escaped), not pipes."""

from __future__ import annotations

import re

import pytest
from test_web import login, web  # noqa: F401  (the fixture)

from copilot.web.pages.label_text import blocks, plain


def test_search_shows_ranked_sections_without_scores_or_ids(web):  # noqa: F811
    login(web, "ph")
    page = web.get("/kb", params={"q": "美林 孩子一次吃多少"})
    assert page.status_code == 200
    results = page.context["results"]
    assert results
    for r in results:  # no score as digits (0.0331 …)
        assert f"{r.score:.4f}" not in page.text
    assert not re.search(r"\b0\.\d{3,}", page.text)
    assert "|---" not in page.text and "| 1～3 |" not in page.text
    assert "乙类非处方药" in page.text and "OTC-B" not in page.text  # the category in words
    listing = web.get("/kb")
    assert "处方药" in listing.text and "OTC-A" not in listing.text and ">Rx<" not in listing.text
    assert "ibuprofen-suspension、" not in page.text  # drug names, not ids
    assert "1. " in page.text
    assert "1～3 · 10～15 · 4" in page.text  # the dose table, read as cells


def test_label_page_renders_tables_and_no_server_path(web):  # noqa: F811
    login(web, "ph")
    page = web.get("/kb/ibuprofen-suspension")
    doc = page.context["doc"]
    assert doc.source_file not in page.text and "/" not in page.context["source_name"]
    assert "来源文件 ibuprofen-suspension.md" in page.text
    assert "<th>年龄（岁）</th>" in page.text and "<td>1～3</td>" in page.text
    assert "|---" not in page.text and "| 1～3 |" not in page.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "口服：\n\n| 年龄 | 一次 |\n|---|:---:|\n| 1～3 | 4 |\n\n- 间隔4小时",
            [
                ("口服：", None, None),
                (None, ["年龄", "一次"], [["1～3", "4"]]),
                ("- 间隔4小时", None, None),
            ],
        ),
        ("| a | b |\n| c | d |", [(None, [], [["a", "b"], ["c", "d"]])]),
        ("没有表格 | 只是竖线", [("没有表格 | 只是竖线", None, None)]),
    ],
    ids=["header-table", "headless-table", "a-pipe-in-prose"],
)
def test_blocks(text, expected):
    got = [(None, b.header, b.rows) if b.is_table else (b.text, None, None) for b in blocks(text)]
    assert got == expected


def test_cells_are_escaped_on_the_page(web):  # noqa: F811
    from copilot.web.pages.render import _ENV

    html = _ENV.from_string(
        '{% from "label_text.html" import label_text %}{{ label_text(t) }}'
    ).render(t="| <script>x</script> | b |\n|---|---|\n| 1 | <b>2</b> |")
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;2" in html
    assert plain("| a | b |\n|---|---|\n| 1 | 2 |") == "a · b\n1 · 2"
