"""The semantic safety net: nearest example phrasings (knowledge/rules/exemplars.yaml) by the
configured embedding model. It only adds caution: a message at or above the model's threshold
to an example raises the verdict to that example's tier with the reason "与示例相似：…"; it
never lowers a deterministic verdict. The embedder is injected (the pipeline's own, so one model
per process); example vectors are computed once and kept under COPILOT_HOME/cache."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from copilot.errors import knowledge_error_from_validation
from copilot.ingest.yamlfile import read_yaml
from copilot.safety.tense import HEARSAY, OVER, PAST_TIME, heard_of_past
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


class ExemplarFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    thresholds: dict[str, float] = Field(default_factory=dict)
    reasons: list[Reason]


# A clause that says a sign is absent (没胸闷也不喘, 没有发烧, 不咳了): an embedding reads the
# sign's word and not the "no" before it, so such clauses are left out of what the net compares.
# (不想活了, 没精神, 没尿 are not absences: only 没/无/未/不 before a sign word count.)
_SIGN = (
    r"(?:发烧|发热|烧|胸闷|胸痛|喘|咳|吐|拉|疼|痛|痒|晕|头晕|疹|红疹|皮疹|出血|肿|过敏|不舒服|症状)"
)
_ABSENT = re.compile(
    rf"^(?:也|还|并|都|倒是)?(?:没有|没|无|未)(?:什么|啥|有)?{_SIGN}"
    rf"|^(?:也|还|都)?不{_SIGN}了?$"
)
_CLAUSES = re.compile(r"[，,。；;！!？?\s]+")
# A question about how long the label lets one use a product (最多吃几天, 最长能用多久, 能一直用吗,
# 可以长期喷吗): asked about the label, nothing reported (a clause that reports says 了).
_USE_LIMIT_ASKED = re.compile(
    r"^[^了]*((最多|最长|最久)[^了]{0,6}(几天|多久|多长时间|几个月|几周)"
    r"|(能|可以|可不可以|能不能)[^了]{0,4}(一直|长期|连续|连着|天天)[^了]{0,6}(吗|么|嘛|多久|几天))[^了]*$"
)


# A disease whose name says 过敏 (过敏性鼻炎) is not a reaction to a drug: compared without it.
_ALLERGIC_DISEASE = re.compile(r"过敏性(?=鼻炎|皮炎|结膜炎|哮喘|紫癜|咳嗽|湿疹)")


# A clause told as hearsay (听说布洛芬伤胃) or as the past when the message says it is over
# (去年吃阿莫西林起过疹子 … 早好了) is not happening to the customer now.


def said_to_happen(message: str) -> str:
    """The message without its clauses that say a sign is absent, that tell hearsay, that
    tell a past the message says is over, or that ask how long the label allows a product; and
    without the 过敏 of an allergic disease's name."""
    clauses = [c for c in _CLAUSES.split(message) if c]
    over = bool(OVER.search(message))
    kept = [
        c
        for c in clauses
        if not _ABSENT.match(c)
        and not HEARSAY.match(c)
        and not heard_of_past(c)
        and not (over and PAST_TIME.match(c))
        and not _USE_LIMIT_ASKED.match(c)
    ]
    return _ALLERGIC_DISEASE.sub("", " ".join(kept))


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
        texts = [e for _, e in self.rows]
        key = hashlib.sha256(json.dumps([identity, texts], ensure_ascii=False).encode()).hexdigest()
        path = cache_dir / f"exemplars-{key[:24]}.npy" if cache_dir else None
        if path is not None and path.exists():
            return np.load(path)
        # Messages and examples are both short customer texts: both embedded as queries.
        vectors = np.asarray([self.embedder.embed_query(t) for t in texts], dtype=np.float32)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.npy")
            np.save(tmp, vectors)
            tmp.replace(path)
        return vectors

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

    def fire(self, message: str, populations: set[str] | None = None) -> FiredRule | None:
        """The rule to add for this message, or None (below the threshold, or the net off).
        `populations`: who triage found the message is about; a reason that needs one of its
        own (an infant for infant-fever) and finds none is raised to priority, not emergency."""
        match = self.nearest(message)
        if match is None or match.reason.tier is None or match.similarity < self.threshold:
            return None  # nearest to an ordinary question, or not near anything
        tier = match.reason.tier
        needs = set(match.reason.needs_population)
        if needs and not needs & (populations or set()) and tier == "emergency":
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
