"""Knowledge integrity: what a label states about interactions that the machine rules do not
know. Each label's 药物相互作用 and 禁忌 sections are read for the drugs we carry (linked names)
and the drug-class words of the lexicon; every (this product, that drug or class) pair that no
row of `interactions.yaml` covers is a gap. Gaps a pharmacist has reviewed are listed with the
reason in `knowledge/review/lint_allow.yaml`; `copilot kb lint` (run by `make test`) fails on
any other gap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from copilot.errors import KnowledgeError, knowledge_error_from_validation
from copilot.ingest.lexicon import normalize
from copilot.ingest.yamlfile import read_yaml
from copilot.safety.knowledge import SYSTEMIC_ROUTES, SafetyKnowledge

SECTIONS = ("药物相互作用", "禁忌")
_SENTENCE = re.compile(r"[。；;\n]")
_TOGETHER = re.compile(r"(合用|同服|同用|联用|一起|同时)")


@dataclass(frozen=True)
class Gap:
    label: str
    other: str  # an ingredient key, or "word:<class word>"
    section: str
    evidence: str  # the words in the label

    @property
    def id(self) -> str:
        return f"{self.label}~{self.other}"


class Allowed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(description="<label id>~<ingredient key or class:id>, as lint prints it.")
    status: str = Field(pattern="^(reviewed|pending)$")
    reason: str = Field(min_length=4)


def load_allowed(path: Path) -> dict[str, Allowed]:
    if not path.exists():
        return {}
    out: dict[str, Allowed] = {}
    for n, row in enumerate(read_yaml(path) or [], start=1):
        try:
            entry = Allowed.model_validate(row)
        except ValidationError as exc:
            raise knowledge_error_from_validation(exc, path=path, what=f"entry {n}") from None
        if entry.id in out:
            raise KnowledgeError(f"`{entry.id}` is listed twice", path=path, field="id")
        out[entry.id] = entry
    return out


def _covered(sk: SafetyKnowledge, mine: dict[str, set[str]], key: str, classes: set[str]) -> bool:
    for pair in sk.interactions:
        for k, c in mine.items():
            if (pair.a.matches(k, c) and pair.b.matches(key, classes)) or (
                pair.b.matches(k, c) and pair.a.matches(key, classes)
            ):
                return True
    return False


def _ingredient_keys(sk: SafetyKnowledge, link) -> list[str]:
    """The ingredients a linked name stands for: an ingredient name's own key, or the
    ingredients of the product a brand or alias names (华法林 → warfarin, 右美沙芬 → the
    dextromethorphan product's ingredient)."""
    key = sk.linker.ingredient_keys.get(normalize(link.name))
    if key is not None:
        return [key]
    doc = sk.documents.get(link.doc_id)
    if doc is None or doc.label is None or link.strength < 2:
        return []
    return [i.key for i in doc.label.ingredients if "tcm" not in i.classes]


def _sentence_gaps(sk: SafetyKnowledge, doc_id: str, mine, section: str, sentence: str):
    for link in sk.linker.link(sentence):
        for key in _ingredient_keys(sk, link):
            if key in mine:
                continue  # this product's own
            if not _covered(sk, mine, key, sk.classes_by_key.get(key, set())):
                yield Gap(doc_id, key, section, link.matched)
    for word, classes in sk.lexicon.drug_classes.items():
        if word not in sentence:
            continue
        own = set().union(*mine.values()) if mine else set()
        others = [c for c in classes if c not in own]
        if not others:
            continue  # its own class (另一种NSAID): the duplicate check's business
        # A class word stands for all its classes (降压药: five); covered when any row covers one.
        if not any(_covered(sk, mine, f"class:{c}", {c}) for c in others):
            yield Gap(doc_id, f"word:{word}", section, word)


def find_gaps(sk: SafetyKnowledge) -> list[Gap]:
    """Every label-stated interaction partner no interaction row covers."""
    gaps: dict[str, Gap] = {}
    for doc_id, doc in sorted(sk.documents.items()):
        lab = doc.label
        if lab is None or (sk.route(doc_id) or "oral") not in SYSTEMIC_ROUTES:
            continue
        mine = {i.key: set(i.classes) for i in lab.ingredients}
        for section in doc.sections:
            if section.heading not in SECTIONS:
                continue
            for sentence in _SENTENCE.split(section.text):
                if section.heading == "禁忌" and not _TOGETHER.search(sentence):
                    continue  # 禁忌 names drugs mostly as allergies (the cross-allergy table's)
                for gap in _sentence_gaps(sk, doc_id, mine, section.heading, sentence):
                    gaps.setdefault(gap.id, gap)
    return sorted(gaps.values(), key=lambda g: g.id)


@dataclass
class LintReport:
    gaps: list[Gap]
    new: list[Gap]  # not in the allow-list: make test fails on these
    pending: list[Gap]  # listed, awaiting a pharmacist's review
    reviewed: list[Gap]
    stale: list[str]  # allow-list ids that are no longer gaps


def lint(sk: SafetyKnowledge, allow_path: Path) -> LintReport:
    gaps = find_gaps(sk)
    allowed = load_allowed(allow_path)
    ids = {g.id for g in gaps}
    return LintReport(
        gaps=gaps,
        new=[g for g in gaps if g.id not in allowed],
        pending=[g for g in gaps if g.id in allowed and allowed[g.id].status == "pending"],
        reviewed=[g for g in gaps if g.id in allowed and allowed[g.id].status == "reviewed"],
        stale=sorted(set(allowed) - ids),
    )


def append_pending(allow_path: Path, gaps: list[Gap], note: str) -> None:
    """Record gaps as awaiting review (a person then reviews: adds a row to interactions.yaml,
    or marks the entry `reviewed` with the reason)."""
    lines = [
        f'- id: {g.id}\n  status: pending\n  reason: "{note}（{g.section}：{g.evidence}）"\n'
        for g in gaps
    ]
    with allow_path.open("a", encoding="utf-8") as handle:
        handle.writelines(lines)


# --- dose limits: what the overdose check reads from each label, checked at build time ---------

_DOSE_WORDS = re.compile(r"(一次|每次)[^。；\n]{0,6}\d")


def dose_problems(sk: SafetyKnowledge) -> tuple[list[str], list[str]]:
    """(errors, notes) about the dose limits read from the labels. Errors: limits that
    contradict themselves or the front matter (a single dose above the daily maximum; a daily
    maximum in units that disagrees with max_daily_mg / per_unit_mg). Notes: labels whose
    用法用量 gives doses the reader could not turn into limits (the overdose check is off for
    them; a pharmacist adds the numbers to the front matter)."""
    errors: list[str] = []
    notes: list[str] = []
    for doc_id, doc in sorted(sk.documents.items()):
        lab = doc.label
        if lab is None:
            continue
        limit = sk.dose_limits.get(doc_id)
        text = "\n".join(s.text for s in doc.sections if s.heading == "用法用量")
        if limit is None:
            if _DOSE_WORDS.search(text) and not sk.dose_tables.get(doc_id):
                notes.append(f"{doc_id}: 用法用量有剂量，但未能读出单次/每日最大量")
            continue
        if limit.per_dose and limit.per_day and limit.per_dose > limit.per_day + 1e-6:
            errors.append(
                f"{doc_id}: 单次最大量{limit.per_dose:g}{limit.shown}大于每日最大量"
                f"{limit.per_day:g}{limit.shown}"
            )
        ing = [i for i in lab.ingredients if i.per_unit_mg and i.max_daily_mg]
        if limit.per_day and len(ing) == 1 and limit.unit == "片":
            implied = ing[0].max_daily_mg / ing[0].per_unit_mg
            if limit.per_day > implied + 1e-6:
                errors.append(
                    f"{doc_id}: 用法用量读出的每日最大量{limit.per_day:g}{limit.shown}超过"
                    f"前置信息 max_daily_mg {ing[0].max_daily_mg:g} mg（{implied:g}{limit.shown}）"
                )
    return errors, notes
