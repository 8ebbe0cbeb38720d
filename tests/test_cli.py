from __future__ import annotations

import shutil

from typer.testing import CliRunner

from copilot.cli import app

runner = CliRunner()


def test_kb_build_search_and_if_stale(tiny_knowledge, monkeypatch):
    monkeypatch.setenv("COPILOT_KNOWLEDGE__DIR", str(tiny_knowledge))
    monkeypatch.setenv("COPILOT_EMBEDDINGS__DIM", "256")
    result = runner.invoke(app, ["kb", "build"])
    assert result.exit_code == 0, result.output
    assert "4 documents" in result.output
    again = runner.invoke(app, ["kb", "build", "--if-stale"])
    assert "up to date" in again.output
    search = runner.invoke(app, ["kb", "search", "孕妇能吃芬必得吗", "-k", "2"])
    assert search.exit_code == 0
    first = search.output.splitlines()[1]
    assert "布洛芬缓释胶囊 · 孕妇及哺乳期妇女用药" in first


def test_kb_build_reports_bad_files_and_strict_fails(tiny_knowledge, monkeypatch):
    monkeypatch.setenv("COPILOT_KNOWLEDGE__DIR", str(tiny_knowledge))
    monkeypatch.setenv("COPILOT_EMBEDDINGS__DIM", "256")
    bad = tiny_knowledge / "labels" / "gbk.md"
    bad.write_bytes("---\nid: 错误\n---\n".encode("gbk"))
    result = runner.invoke(app, ["kb", "build"])
    assert result.exit_code == 0
    assert "skipped:" in result.output and "gbk.md:2: not UTF-8" in result.output
    strict = runner.invoke(app, ["kb", "build", "--strict"])
    assert strict.exit_code == 2
    assert "gbk.md:2: not UTF-8" in strict.output


def test_search_without_index_says_what_to_do(tiny_knowledge, monkeypatch):
    monkeypatch.setenv("COPILOT_KNOWLEDGE__DIR", str(tiny_knowledge))
    result = runner.invoke(app, ["kb", "search", "布洛芬"])
    assert result.exit_code == 2
    assert "run `copilot kb build` first" in result.output


def test_missing_knowledge_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("COPILOT_KNOWLEDGE__DIR", str(tmp_path / "nowhere"))
    result = runner.invoke(app, ["kb", "build"])
    assert result.exit_code == 2 and "no knowledge files found" in result.output
    shutil.rmtree(tmp_path / "nowhere", ignore_errors=True)


def test_check_and_suggest_batch_one_json_line_per_case(tiny_knowledge, monkeypatch, tmp_path):
    import json

    monkeypatch.setenv("COPILOT_KNOWLEDGE__DIR", str(tiny_knowledge))
    monkeypatch.setenv("COPILOT_EMBEDDINGS__DIM", "256")
    assert runner.invoke(app, ["kb", "build"]).exit_code == 0
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        '{"id": "preg", "message": "我怀孕了能吃芬必得吗"}\n'
        '{"id": "blank", "message": ""}\n'
        "not json\n"
        '{"id": "dose", "message": "芬必得一天吃几次", "cart": ["ibuprofen-test"]}\n',
        encoding="utf-8",
    )
    checked = runner.invoke(app, ["check", "--batch", str(cases)])
    assert checked.exit_code == 0, checked.output
    rows = [json.loads(line) for line in checked.stdout.splitlines() if line.startswith("{")]
    assert [r["id"] for r in rows] == ["preg", "blank", "line-3", "dose"]
    assert rows[0]["verdict"]["triage"]["drugs"][0]["doc_id"] == "ibuprofen-test"
    assert "message" in rows[1]["error"] and "not JSON" in rows[2]["error"]
    suggested = runner.invoke(app, ["suggest", "--batch", str(cases)])
    rows = [json.loads(line) for line in suggested.stdout.splitlines() if line.startswith("{")]
    assert rows[3]["suggestion"]["kind"] == "draft"
    missing = runner.invoke(app, ["check", "--batch", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2 and "no such file" in missing.output
