"""Lexicons from knowledge/lexicon/: colloquial synonyms, section intents, population and
red-flag words. Loaded once per knowledge folder and passed around; nothing global."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from copilot.errors import KnowledgeError
from copilot.ingest.dialect import mandarin
from copilot.ingest.yamlfile import read_yaml

log = logging.getLogger(__name__)


def normalize(text: str) -> str:
    """NFKC (full-width → half-width), lower case, unify whitespace, written Cantonese read as
    Mandarin (ingest/dialect.py)."""
    return mandarin(" ".join(unicodedata.normalize("NFKC", text).lower().split()))


def _load_yaml(path: Path):
    if not path.exists():
        log.warning("lexicon file %s is missing; continuing without it", path)
        return None
    return read_yaml(path)


def _compile_patterns(path: Path) -> dict[str, list[re.Pattern]]:
    out: dict[str, list[re.Pattern]] = {}
    for target, patterns in (_load_yaml(path) or {}).items():
        compiled = []
        for pattern in patterns or []:
            try:
                compiled.append(re.compile(str(pattern)))
            except re.error as exc:
                raise KnowledgeError(
                    f"invalid regular expression for `{target}`: {pattern!r} ({exc})",
                    path=path,
                    fix="fix the pattern (Python `re` syntax; escape backslashes in YAML)",
                ) from None
        out[str(target)] = compiled
    return out


@dataclass
class Lexicon:
    synonyms: dict[str, str] = field(default_factory=dict)
    section_intents: dict[str, list[str]] = field(default_factory=dict)
    section_patterns: dict[str, list[re.Pattern]] = field(default_factory=dict)
    populations: dict[str, list[str]] = field(default_factory=dict)
    negations: list[str] = field(default_factory=list)
    third_party: list[str] = field(default_factory=list)
    red_flags: list[dict] = field(default_factory=list)
    forbidden_claims: list[tuple[str, str]] = field(default_factory=list)  # (phrase, reason)
    drug_classes: dict[str, list[str]] = field(default_factory=dict)
    red_flag_patterns: dict[str, list[re.Pattern]] = field(default_factory=dict)

    @classmethod
    def load(cls, knowledge_dir: Path) -> Lexicon:
        folder = knowledge_dir / "lexicon"
        lex = cls()
        synonyms = _load_yaml(folder / "synonyms.yaml") or []
        for number, entry in enumerate(synonyms, start=1):
            if not isinstance(entry, dict) or not {"colloquial", "clinical"} <= entry.keys():
                raise KnowledgeError(
                    f"entry {number} is not {{colloquial, clinical}}",
                    path=folder / "synonyms.yaml",
                    fix="write entries as `- {colloquial: 拉肚子, clinical: 腹泻}`",
                )
            lex.synonyms[normalize(str(entry["colloquial"]))] = normalize(str(entry["clinical"]))
        intents = _load_yaml(folder / "section_intents.yaml") or {}
        lex.section_intents = {
            str(k): [normalize(str(p)) for p in (v or [])] for k, v in intents.items()
        }
        lex.section_patterns = _compile_patterns(folder / "section_patterns.yaml")
        populations = _load_yaml(folder / "populations.yaml") or {}
        lex.negations = [normalize(str(w)) for w in populations.pop("negations", []) or []]
        lex.third_party = [normalize(str(w)) for w in populations.pop("third_party", []) or []]
        lex.populations = {
            str(k): [normalize(str(w)) for w in (v or [])]
            for k, v in populations.items()
            if isinstance(v, list)
        }
        classes = _load_yaml(folder / "drug_classes.yaml") or {}
        lex.drug_classes = {
            normalize(str(k)): [str(c) for c in v or []] for k, v in classes.items()
        }
        lex.red_flag_patterns = _compile_patterns(folder / "red_flag_patterns.yaml")
        lex.red_flags = list(_load_yaml(folder / "red_flags.yaml") or [])
        lex.forbidden_claims = [
            (normalize(str(c["phrase"])), str(c.get("reason", "")))
            for c in _load_yaml(folder / "forbidden_claims.yaml") or []
            if c.get("phrase")
        ]
        return lex

    def words(self) -> set[str]:
        """Every lexicon term, for the tokenizer's user dictionary."""
        words = set(self.synonyms) | set(self.synonyms.values()) | set(self.drug_classes)
        for phrases in self.section_intents.values():
            words.update(phrases)
        for phrases in self.populations.values():
            words.update(phrases)
        return {w for w in words if 2 <= len(w) <= 12 and " " not in w}

    def expand(self, query: str) -> list[str]:
        """Clinical terms for the colloquial terms found in `query` (拉肚子 → 腹泻)."""
        text = normalize(query)
        return [clinical for colloquial, clinical in self.synonyms.items() if colloquial in text]

    def intended_sections(self, query: str) -> list[str]:
        """Label sections or policy ids the question points at, strongest (longest cue) first."""
        text = normalize(query)
        hits: dict[str, int] = {}
        for target, phrases in self.section_intents.items():
            best = max((len(p) for p in phrases if p and p in text), default=0)
            if best:
                hits[target] = best
        for target, patterns in self.section_patterns.items():
            best = max((len(m.group(0)) for p in patterns if (m := p.search(text))), default=0)
            if best:
                hits[target] = max(hits.get(target, 0), best)
        return sorted(hits, key=lambda t: -hits[t])
