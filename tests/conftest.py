"""Shared fixtures: every test gets its own COPILOT_HOME; indexes are built with the built-in
deterministic hashing embedder (no model, no network)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from copilot.ingest.build import build_index
from copilot.retrieval.embeddings import HashingEmbedder
from copilot.settings import Settings, get_settings

FIXTURES = Path(__file__).parent / "fixtures"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The whole test session embeds with the fast hashing embedder, also in the server processes
# that session-scoped fixtures start; the real default (multilingual-e5-small) has tests of its
# own and runs in the eval gate.
os.environ["COPILOT_EMBEDDINGS__PROVIDER"] = "hashing"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    monkeypatch.setenv("COPILOT_HOME", str(tmp_path / "home"))
    for name in list(__import__("os").environ):
        if name.startswith("COPILOT_") and name not in ("COPILOT_HOME",):
            monkeypatch.delenv(name)
    # Tests embed with the fast hashing embedder unless they choose another one; the real
    # default (multilingual-e5-small) has tests of its own and runs in the eval gate.
    monkeypatch.setenv("COPILOT_EMBEDDINGS__PROVIDER", "hashing")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def tiny_knowledge(tmp_path) -> Path:
    """A writable copy of the tiny knowledge fixture (3 labels, 1 policy, lexicons)."""
    target = tmp_path / "knowledge"
    shutil.copytree(FIXTURES / "knowledge", target)
    real = PROJECT_ROOT / "knowledge"
    # The safety data of the real knowledge base; the labels and lexicons stay tiny.
    shutil.copy(real / "interactions.yaml", target / "interactions.yaml")
    shutil.copy(real / "allergy_cross.yaml", target / "allergy_cross.yaml")
    shutil.copytree(real / "rules", target / "rules")
    return target


@pytest.fixture
def tiny_settings(tmp_path, tiny_knowledge) -> Settings:
    return Settings(
        home=tmp_path / "home",
        knowledge={"dir": tiny_knowledge},
        embeddings={"provider": "hashing", "dim": 256},
    )


@pytest.fixture
def embedder() -> HashingEmbedder:
    return HashingEmbedder(dim=256)


@pytest.fixture(scope="session")
def sample_settings(tmp_path_factory) -> Settings:
    """The real sample knowledge base, indexed once per test session."""
    home = tmp_path_factory.mktemp("sample-home")
    settings = Settings(
        home=home, knowledge={"dir": PROJECT_ROOT / "knowledge"}, embeddings={"provider": "hashing"}
    )
    build_index(settings=settings, embedder=HashingEmbedder(dim=settings.embeddings.dim))
    return settings


@pytest.fixture(scope="session")
def sample_retriever(sample_settings):
    from copilot.wiring import open_retriever

    return open_retriever(sample_settings)


@pytest.fixture(scope="session")
def sample_gate(sample_settings, sample_retriever):
    from copilot.safety.gate import SafetyGate

    return SafetyGate.from_index(sample_retriever.index, sample_settings.knowledge.dir)


# Read once at import: the autouse fixture clears COPILOT_* variables for every test.
POSTGRES_URL = __import__("os").environ.get("COPILOT_TEST_POSTGRES_URL") or None
DB_BACKENDS = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])


@pytest.fixture(params=DB_BACKENDS)
def db_url(request, tmp_path) -> str:
    """SQLite always; PostgreSQL too when COPILOT_TEST_POSTGRES_URL is set (an unreachable URL
    fails the run rather than skipping)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    from sqlalchemy import create_engine, text

    from copilot.desk.db import database_url
    from copilot.settings import ServerSettings

    url = database_url(Settings(home=tmp_path, server=ServerSettings(database_url=POSTGRES_URL)))
    engine = create_engine(url)
    with engine.begin() as conn:  # a clean schema for every test
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture
def sample_copilot(sample_settings, sample_retriever, sample_gate):
    from copilot.pipeline import Copilot

    return Copilot(settings=sample_settings, retriever=sample_retriever, gate=sample_gate)
