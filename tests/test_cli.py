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
