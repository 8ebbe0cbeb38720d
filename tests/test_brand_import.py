"""`kb import-brands` / `kb accept-brands`: brand candidates from a knowledge-graph pickle, read
without running code, written for review, moved into the product master only when accepted."""

from __future__ import annotations

import pickle

import pytest
import yaml
from typer.testing import CliRunner

from copilot.cli.app import app
from copilot.errors import KnowledgeError
from copilot.ingest.brand_import import accept_brands, find_candidates, load_graph, write_review
from copilot.ingest.products import load_products

GRAPH = {
    "布洛芬缓释胶囊": {
        "商品名": ["芬必得", "倍乐信", "泰宝", "哈药", "通用名称：布洛芬缓释胶囊", "Brufen"],
        "OTC类型": ["甲类OTC"],
    },
    "对乙酰氨基酚片": {"商品名": ["百服宁", "泰宝", "扑热息痛"], "通用名": ["对乙酰氨基酚片"]},
    "氯雷他定胶囊": {"商品名": ["克敏能"]},  # a form we do not sell: not matched
    "华法林钠片": {"商品名": ["华法令"]},  # a product we do not carry
}


@pytest.fixture
def kdir(tiny_knowledge):
    (tiny_knowledge / "products.yaml").write_text(
        "# header kept\nproducts:\n"
        "- id: ibuprofen-test\n  generic_name: 布洛芬缓释胶囊\n  dosage_form: 缓释胶囊\n"
        "  route: oral\n  category: OTC-B\n  brands:\n  - name: 芬必得\n"
        "- id: paracetamol-test\n  generic_name: 对乙酰氨基酚片\n  dosage_form: 片剂\n"
        "  route: oral\n  category: OTC-B\n  brands: []\n"
        "- id: loratadine-test\n  generic_name: 氯雷他定片\n  dosage_form: 片剂\n"
        "  route: oral\n  category: OTC-B\n  brands: []\n",
        encoding="utf-8",
    )
    return tiny_knowledge


def _pickle(tmp_path, obj, protocol=0):
    path = tmp_path / "graph.pkl"
    path.write_bytes(pickle.dumps(obj, protocol=protocol))
    return path


@pytest.mark.parametrize("protocol", [0, 2, 4])
def test_plain_data_pickle_loads(tmp_path, protocol):
    graph = load_graph(_pickle(tmp_path, {**GRAPH, "x": {"s": {1, 2}, "t": (1,)}}, protocol))
    assert graph["华法林钠片"]["商品名"] == ["华法令"]


class _Boom:
    def __reduce__(self):
        import os

        return (os.system, ("echo pwned > /dev/null",))


def test_pickle_with_code_is_refused(tmp_path):
    path = _pickle(tmp_path, {"布洛芬缓释胶囊": {"商品名": [_Boom()]}}, protocol=2)
    with pytest.raises(KnowledgeError, match=r"refused to load .*system"):
        load_graph(path)


def test_not_a_pickle_and_missing_file_say_so(tmp_path):
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(b"not a pickle")
    with pytest.raises(KnowledgeError, match="cannot read the pickle"):
        load_graph(bad)
    with pytest.raises(KnowledgeError, match="file is missing"):
        load_graph(tmp_path / "nope.pkl")


def test_candidates_are_flagged_and_known_names_skipped(kdir):
    report = find_candidates(GRAPH, kdir)
    got = {(c.product, c.name): c.flags for c in report.candidates}
    # matched by generic name only; a form we do not sell and a product we lack give nothing
    assert {p for p, _ in got} == {"ibuprofen-test", "paracetamol-test"}
    assert ("ibuprofen-test", "芬必得") not in got  # already in the master
    assert ("paracetamol-test", "扑热息痛") not in got  # already a label alias
    assert got[("ibuprofen-test", "倍乐信")] == []
    assert "maker-like" in got[("ibuprofen-test", "哈药")]
    assert "latin" in got[("ibuprofen-test", "Brufen")]
    assert got[("ibuprofen-test", "泰宝")] == ["several-products:paracetamol-test"]
    assert report.noise == 1  # the "通用名称：…" value
    assert all(c.decision == "pending" for c in report.candidates)


def test_reimport_keeps_decisions_and_accept_moves_only_accepted(kdir):
    review = kdir / "review" / "brand_candidates_cmekg.yaml"
    write_review(find_candidates(GRAPH, kdir, review), review)
    data = yaml.safe_load(review.read_text(encoding="utf-8"))
    for row in data["candidates"]:
        if row["name"] in ("倍乐信", "泰宝"):
            row["decision"], row["maker"] = "accepted", "某药业"
        if row["name"] == "哈药":
            row["decision"], row["reason"] = "rejected", "厂家名，不是商品名"
    review.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    again = find_candidates(GRAPH, kdir, review)  # a re-import keeps what a person decided
    assert again.kept_decisions == 4
    assert {c.name: c.decision for c in again.candidates}["哈药"] == "rejected"

    report = accept_brands(review, kdir)
    assert sorted(report.moved) == [
        ("ibuprofen-test", "倍乐信"),
        ("ibuprofen-test", "泰宝"),
        ("paracetamol-test", "泰宝"),
    ]
    text = (kdir / "products.yaml").read_text(encoding="utf-8")
    assert text.startswith("# header kept\n")
    products = {p.id: p for p in load_products(kdir)}
    ibu = {b.name: b for b in products["ibuprofen-test"].brands}
    assert set(ibu) == {"芬必得", "倍乐信", "泰宝"} and ibu["泰宝"].shared
    assert not ibu["倍乐信"].shared and ibu["倍乐信"].maker == "某药业"
    assert [b.name for b in products["paracetamol-test"].brands] == ["泰宝"]
    assert accept_brands(review, kdir).moved == []  # idempotent


def test_accept_refuses_an_unknown_product_and_leaves_the_master(kdir):
    review = kdir / "review.yaml"
    review.write_text(
        "candidates:\n- {product: nope, name: 某某, decision: accepted}\n", encoding="utf-8"
    )
    before = (kdir / "products.yaml").read_bytes()
    with pytest.raises(KnowledgeError, match="names product `nope`"):
        accept_brands(review, kdir)
    assert (kdir / "products.yaml").read_bytes() == before


def test_cli_import_then_accept(kdir, tmp_path, monkeypatch):
    monkeypatch.setenv("COPILOT_KNOWLEDGE__DIR", str(kdir))
    source = _pickle(tmp_path, GRAPH, protocol=4)
    runner = CliRunner()
    result = runner.invoke(app, ["kb", "import-brands", "--source", str(source)])
    assert result.exit_code == 0, result.output
    assert "6 brand candidates" in result.output
    review = kdir / "review" / "brand_candidates_cmekg.yaml"
    assert "decision: pending" in review.read_text(encoding="utf-8")
    result = runner.invoke(app, ["kb", "accept-brands"])
    assert result.exit_code == 0 and "0 brands added" in result.output

    missing = runner.invoke(app, ["kb", "import-brands", "--source", str(tmp_path / "x.pkl")])
    assert missing.exit_code == 2 and "file is missing" in missing.output
