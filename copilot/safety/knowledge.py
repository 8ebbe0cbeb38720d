"""Declarative safety data loaded once: labels (from the index), interaction pairs, allergy
cross-sensitivity, escalation rules and lexicons. Validated on load with file and field."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from copilot.errors import KnowledgeError, knowledge_error_from_validation
from copilot.ingest.lexicon import Lexicon, normalize
from copilot.ingest.yamlfile import read_yaml
from copilot.retrieval.linking import DrugLinker
from copilot.safety.allergens import AllergenLexicon, AllergyLine, read_allergy_lines
from copilot.safety.dose_limits import (
    DoseLimit,
    dose_rows,
    read_child_dose_age,
    read_course_limit,
    read_limits,
)
from copilot.safety.dose_tables import DoseRow
from copilot.safety.reactions import ReactionReader
from copilot.schemas import Document, Severity


class _Side(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ingredient: str | None = None
    class_: str | None = Field(default=None, alias="class")

    @model_validator(mode="after")
    def _one(self) -> _Side:
        if (self.ingredient is None) == (self.class_ is None):
            raise ValueError("each side needs exactly one of `ingredient` or `class`")
        return self

    def matches(self, key: str, classes: set[str]) -> bool:
        return self.ingredient == key if self.ingredient else self.class_ in classes


# Routes whose products act on the whole body; the others (skin, eye, ear, nose, vagina) act
# where they are put, so ingredient- and class-level interactions do not apply to them unless a
# row says so.
SYSTEMIC_ROUTES = ("oral", "injection", "inhaled", "rectal")


class InteractionPair(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    a: _Side
    b: _Side
    routes: list[str] = Field(
        default_factory=lambda: list(SYSTEMIC_ROUTES),
        description="Routes of the products this row applies to (default: systemic routes).",
    )
    severity: Severity
    effect: str
    mechanism: str
    advice: str
    customer_message: str
    reference: str

    @property
    def specificity(self) -> int:
        """2: ingredient–ingredient, 1: ingredient–class, 0: class–class."""
        return int(self.a.ingredient is not None) + int(self.b.ingredient is not None)


class InteractionTriple(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    classes: list[list[str]] = Field(min_length=3, max_length=3)
    severity: Severity
    effect: str
    mechanism: str
    advice: str
    customer_message: str
    reference: str


class CrossAllergy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    allergy_class: str
    drug_class: str
    severity: Severity
    effect: str
    advice: str
    reference: str


def load_interactions(path: Path) -> list[InteractionPair]:
    data = read_yaml(path) or {}
    pairs = []
    seen = set()
    for n, row in enumerate(data.get("pairs") or [], start=1):
        try:
            pair = InteractionPair.model_validate(row)
        except ValidationError as exc:
            raise knowledge_error_from_validation(
                exc,
                path=path,
                what=f"pair {n} ({row.get('id', '?')})",
                fix="see the field conventions at the top of the file",
            ) from None
        if pair.id in seen:
            raise KnowledgeError(f"duplicate pair id `{pair.id}`", path=path, field="id")
        seen.add(pair.id)
        pairs.append(pair)
    return pairs


def load_triples(path: Path) -> list[InteractionTriple]:
    data = read_yaml(path) or {}
    out = []
    for n, row in enumerate(data.get("triples") or [], start=1):
        try:
            out.append(InteractionTriple.model_validate(row))
        except ValidationError as exc:
            raise knowledge_error_from_validation(exc, path=path, what=f"triple {n}") from None
    return out


def load_cross_allergies(path: Path) -> list[CrossAllergy]:
    rows = read_yaml(path) or []
    out = []
    for n, row in enumerate(rows, start=1):
        try:
            out.append(CrossAllergy.model_validate(row))
        except ValidationError as exc:
            raise knowledge_error_from_validation(exc, path=path, what=f"entry {n}") from None
    return out


@dataclass
class SafetyKnowledge:
    documents: dict[str, Document]
    linker: DrugLinker
    lexicon: Lexicon
    interactions: list[InteractionPair]
    cross_allergies: list[CrossAllergy]
    triples: list[InteractionTriple]
    knowledge_dir: Path
    names_by_key: dict[str, str] = field(default_factory=dict)
    classes_by_key: dict[str, set[str]] = field(default_factory=dict)
    routes: dict[str, str] = field(default_factory=dict)  # label id → route (product master)
    dose_limits: dict[str, DoseLimit | None] = field(default_factory=dict)  # read once at load
    dose_tables: dict[str, list[DoseRow]] = field(default_factory=dict)  # age/weight bands
    # the youngest age each label writes a dose for (None: no child dose, 小儿酌减 or adults only)
    child_dose_ages: dict[str, float | None] = field(default_factory=dict)
    reactions: ReactionReader | None = None  # reported suspected reactions (safety/reactions)
    # days of self-treatment after which the label says to see a doctor if not better
    course_limits: dict[str, float] = field(default_factory=dict)
    # allergy words and stems (lexicon/allergens.yaml), and each label's allergy lines
    allergens: AllergenLexicon = field(default_factory=AllergenLexicon)
    allergy_lines: dict[str, list[AllergyLine]] = field(default_factory=dict)

    @classmethod
    def load(
        cls,
        knowledge_dir: Path,
        documents: dict[str, Document],
        lexicon: Lexicon,
        linker: DrugLinker,
    ) -> SafetyKnowledge:
        sk = cls(
            documents=documents,
            linker=linker,
            lexicon=lexicon,
            interactions=load_interactions(knowledge_dir / "interactions.yaml"),
            cross_allergies=load_cross_allergies(knowledge_dir / "allergy_cross.yaml"),
            triples=load_triples(knowledge_dir / "interactions.yaml"),
            knowledge_dir=knowledge_dir,
        )
        for doc in documents.values():
            if doc.label:
                for ing in doc.label.ingredients:
                    sk.names_by_key.setdefault(ing.key, ing.name)
                    sk.classes_by_key.setdefault(ing.key, set()).update(ing.classes)
        sk.names_by_key.setdefault("ethanol", "酒精")
        sk.routes = dict(linker.routes)  # the product master, as linking loaded it
        sk.dose_limits = {d: read_limits(doc) for d, doc in documents.items() if doc.label}
        sk.dose_tables = {
            d: rows for d, doc in documents.items() if doc.label and (rows := dose_rows(doc))
        }
        sk.child_dose_ages = {
            d: read_child_dose_age(doc) for d, doc in documents.items() if doc.label
        }
        sk.reactions = ReactionReader.load(knowledge_dir, documents)
        sk.course_limits = {
            d: days
            for d, doc in documents.items()
            if doc.label and (days := read_course_limit(doc))
        }
        sk.allergens = AllergenLexicon.load(knowledge_dir / "lexicon" / "allergens.yaml")
        sk.allergy_lines = {
            d: lines
            for d, doc in documents.items()
            if doc.label and (lines := read_allergy_lines(doc, sk.allergens))
        }
        return sk

    def route(self, doc_id: str) -> str | None:
        """The product's route; None when the product master does not list it (treated as
        systemic: the cautious reading)."""
        return self.routes.get(doc_id)

    @classmethod
    def from_index(cls, index, knowledge_dir: Path) -> SafetyKnowledge:
        return cls.load(knowledge_dir, index.documents, index.lexicon, index.linker)

    def resolve_products(self, text: str) -> list[str]:
        """Label ids for a profile or cart entry: an id, or a name linked like a message."""
        value = text.strip()
        if value in self.documents:
            return [value]
        links = self.linker.link(value)
        if not links:
            return []
        best = max(lk.strength for lk in links)
        return [lk.doc_id for lk in links if lk.strength == best][:1]

    def populations_for_conditions(self, conditions: list[str]) -> set[str]:
        """Population ids for profile conditions given as ids (kidney_disease) or Chinese words
        (慢性肾功能不全 contains 肾功能不全)."""
        out: set[str] = set()
        for cond in conditions:
            norm = normalize(cond)
            if cond in self.lexicon.populations:
                out.add(cond)
            for population, words in self.lexicon.populations.items():
                if any(w and w in norm for w in words):
                    out.add(population)
        return out

    def classes_for_word(self, word: str) -> set[str]:
        return set(self.lexicon.drug_classes.get(normalize(word), []))

    def allergy_classes(self, word: str) -> tuple[set[str], set[str]]:
        """An allergy word's classes: those it names as a whole (青霉素, 磺胺类, 酒精) and those
        its generic-name stem implies (硝苯地平 → ccb: a sibling, a cross-allergy)."""
        norm = normalize(word)
        named = self.classes_for_word(word) | set(self.allergens.words.get(norm, ()))
        return named, self.allergens.classes_in(norm) - named
