from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from copilot.settings import Settings, get_settings


def test_env_prefix_and_nested_sections(monkeypatch, tmp_path):
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("COPILOT_EMBEDDINGS__PROVIDER", "sentence-transformers")
    monkeypatch.setenv("COPILOT_EMBEDDINGS__MODEL", "/models/bge-small-zh")
    monkeypatch.setenv("COPILOT_RETRIEVAL__K", "8")
    settings = Settings()
    assert settings.home == tmp_path / "state"
    assert settings.index_dir == tmp_path / "state" / "index"
    assert settings.embeddings.model == "/models/bge-small-zh"
    assert settings.retrieval.k == 8


def test_unknown_settings_are_refused():
    with pytest.raises(ValidationError):
        Settings(embeddings={"provider": "hashing", "modle": "typo"})
    with pytest.raises(ValidationError):
        Settings(embeddings={"provider": "word2vec"})


def test_get_settings_is_cached_and_not_built_at_import():
    code = (
        "import copilot.cli, copilot.web.app, copilot.settings as s;"
        "print(s.get_settings.cache_info().currsize)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"
    assert get_settings() is get_settings()


def test_every_setting_has_a_description_and_is_in_the_readme():
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    missing = []
    for section_name, field in Settings.model_fields.items():
        sub = getattr(field.annotation, "model_fields", None)
        if sub:
            for name, inner in sub.items():
                assert inner.description, f"{section_name}.{name} has no description"
                env = f"COPILOT_{section_name.upper()}__{name.upper()}"
                if env not in readme:
                    missing.append(env)
        else:
            assert field.description
            if f"COPILOT_{section_name.upper()}" not in readme:
                missing.append(f"COPILOT_{section_name.upper()}")
    assert not missing, f"settings not documented in README.md: {missing}"
