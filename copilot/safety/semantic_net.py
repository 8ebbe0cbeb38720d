"""The semantic safety net: nearest example phrasings (knowledge/rules/exemplars.yaml) by the
configured embedding model. It only adds caution: a message at or above the model's threshold
to an example raises the verdict to that example's tier with the reason "与示例相似：…"; it
never lowers a deterministic verdict. The embedder is injected (the pipeline's own, so one model
per process); example vectors are computed once and kept under COPILOT_HOME/cache."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from copilot.errors import knowledge_error_from_validation
from copilot.ingest.lexicon import normalize
from copilot.ingest.vector_cache import cached_vectors
from copilot.ingest.yamlfile import read_yaml
from copilot.safety.tense import said_to_happen
from copilot.schemas import FiredRule, Tier

log = logging.getLogger(__name__)


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    tier: Tier | None = Field(description="None: ordinary questions (the net's 'no' class).")
    topic: str
    examples: list[str] = Field(min_length=1)
    needs_population: list[str] = Field(
        default_factory=list,
        description="A reason defined by who it is about (infant-fever): the tier stands only"
        " when triage found one of these populations; else a pharmacist (priority) still sees it.",
    )

    needs_drug_class: list[str] = Field(
        default_factory=list,
        description="A reason defined by the medicine in play (bleeding on an anticoagulant):"
        " the tier stands only when a drug of one of these classes is in the message, the"
        " conversation, the record or the cart; else a pharmacist (priority) still sees it.",
    )

    needs_words: str | None = Field(
        default=None,
        description="A reason defined by a sign (breathing, bleeding, fits): a regular expression"
        " of the sign's words; the tier stands only when the message says one of them, else a"
        " pharmacist (priority) still sees it (那我儿子6岁半 也能这么喷吗 is near an asthma"
        " example in wording, not in what it tells).",
    )

    @field_validator("needs_words")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {pattern!r} ({exc})") from None
        return pattern


class ExemplarFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    thresholds: dict[str, float] = Field(default_factory=dict)
    reasons: list[Reason]


@dataclass(frozen=True)
class Match:
    reason: Reason
    example: str
    similarity: float


class SemanticNet:
    def __init__(
        self, exemplars: ExemplarFile, embedder: Embeddings, *, cache_dir: Path | None = None
    ) -> None:
        self.embedder = embedder
        identity = getattr(embedder, "identity", type(embedder).__name__)
        self.threshold = next(
            (t for prefix, t in exemplars.thresholds.items() if identity.startswith(prefix)), None
        )
        self.rows = [(r, e) for r in exemplars.reasons for e in r.examples]
        self.vectors = None
        if self.threshold is None:
            log.warning("semantic safety net off: no threshold for embedder %s", identity)
            return
        self.vectors = self._vectors(identity, cache_dir)

    def _vectors(self, identity: str, cache_dir: Path | None) -> np.ndarray:
        # Messages and examples are both short customer texts: both embedded as queries.
        return cached_vectors(
            cache_dir,
            "exemplars",
            identity,
            [e for _, e in self.rows],
            lambda texts: [self.embedder.embed_query(t) for t in texts],
        )

    @property
    def active(self) -> bool:
        return self.vectors is not None

    def nearest(self, message: str) -> Match | None:
        if self.vectors is None:
            return None
        message = said_to_happen(message)
        if not message:
            return None
        q = np.asarray(self.embedder.embed_query(message), dtype=np.float32)
        sims = self.vectors @ q
        best = int(np.argmax(sims))
        reason, example = self.rows[best]
        return Match(reason, example, float(sims[best]))

    def fire(
        self,
        message: str,
        populations: set[str] | None = None,
        drug_classes: set[str] | None = None,
    ) -> FiredRule | None:
        """The rule to add for this message, or None (below the threshold, or the net off).
        `populations`: who triage found the message is about; a reason that needs one of its
        own (an infant for infant-fever) and finds none is raised to priority, not emergency.
        `drug_classes`: the classes of the medicines in play, likewise for a reason that needs
        one (bleeding on an anticoagulant)."""
        match = self.nearest(message)
        if match is None or match.reason.tier is None or match.similarity < self.threshold:
            return None  # nearest to an ordinary question, or not near anything
        tier = match.reason.tier
        needs = set(match.reason.needs_population)
        if needs and not needs & (populations or set()) and tier == "emergency":
            tier = "priority"
        drug_needs = set(match.reason.needs_drug_class)
        if drug_needs and not drug_needs & (drug_classes or set()) and tier == "emergency":
            tier = "priority"
        words = match.reason.needs_words
        if words and tier == "emergency" and not re.search(words, normalize(message)):
            tier = "priority"
        return FiredRule(
            id=f"semantic-{match.reason.id}",
            tier=tier,
            topic=match.reason.topic,
            reason=f"与示例相似：“{match.example}”（相似度{match.similarity:.2f}）",
            template=f"holding_{tier}",
        )


def load_exemplars(path: Path) -> ExemplarFile | None:
    if not path.exists():
        return None
    try:
        return ExemplarFile.model_validate(read_yaml(path) or {})
    except ValidationError as exc:
        raise knowledge_error_from_validation(exc, path=path, what="exemplars") from None
