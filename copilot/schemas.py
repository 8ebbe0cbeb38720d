"""Pydantic models shared by the core, the API, the CLI and the evals."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Category = Literal["Rx", "OTC-A", "OTC-B", "health-product"]
PopulationAdvice = Literal["ok", "caution", "avoid", "contraindicated"]
DocKind = Literal["label", "policy", "document"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Ingredient(_Strict):
    name: str = Field(description="Chinese name as printed on the label.")
    key: str = Field(pattern=r"^[a-z0-9_]+$", description="Canonical INN key (acetaminophen).")
    strength: str | None = Field(default=None, description="Per-unit strength as printed.")
    per_unit_mg: float | None = Field(default=None, ge=0)
    max_daily_mg: float | None = Field(default=None, ge=0)
    classes: list[str] = Field(default_factory=list)


class Populations(_Strict):
    pregnancy: PopulationAdvice = "caution"
    lactation: PopulationAdvice = "caution"
    child_min_age_years: float | None = None
    elderly: PopulationAdvice = "caution"
    liver_disease: PopulationAdvice = "caution"
    kidney_disease: PopulationAdvice = "caution"


class LabelMeta(_Strict):
    """Front matter of a drug label file (knowledge/labels/*.md)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    generic_name: str
    brand_names: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)
    ingredients: list[Ingredient] = Field(min_length=1)
    category: Category
    dosage_form: str
    never_online: bool = False
    never_online_reason: str | None = None
    populations: Populations = Field(default_factory=Populations)
    source: str
    revision: date
    sample: bool = False


class PolicyMeta(_Strict):
    """Front matter of a platform policy file (knowledge/policies/*.md)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    kind: Literal["policy"] = "policy"
    revision: date
    source: str
    sample: bool = False


class Section(_Strict):
    heading: str
    text: str
    line: int = Field(description="1-based line of the heading in the source file.")


class Document(_Strict):
    """One knowledge document after loading: a label, a policy or a plain document."""

    doc_id: str
    kind: DocKind
    title: str
    source_file: str
    revision: str | None = None
    label: LabelMeta | None = None
    policy: PolicyMeta | None = None
    sections: list[Section]

    @property
    def names(self) -> list[str]:
        """Every name the document may be called by (for entity linking)."""
        if self.label is None:
            return [self.title] if self.kind == "policy" else []
        lab = self.label
        names = [lab.generic_name, *lab.brand_names, *lab.aliases]
        names += [ing.name for ing in lab.ingredients if "tcm" not in ing.classes]
        return list(dict.fromkeys(n.strip() for n in names if n and n.strip()))


class Chunk(_Strict):
    id: str = Field(description="Stable content hash of document id, section and text.")
    doc_id: str
    kind: DocKind
    title: str
    section: str
    text: str
    source_file: str
    revision: str | None = None
    ordinal: int = 0
    category: str | None = None
    brands: list[str] = Field(default_factory=list, description="Brand names of the product.")

    def metadata(self) -> dict[str, str | int]:
        """Flat metadata for the vector store (no None values)."""
        data = {
            "doc_id": self.doc_id,
            "kind": self.kind,
            "title": self.title,
            "section": self.section,
            "source_file": self.source_file,
            "revision": self.revision or "",
            "ordinal": self.ordinal,
            "category": self.category or "",
            "brands": "、".join(self.brands),
        }
        return data


class RetrievedChunk(_Strict):
    chunk: Chunk
    score: float = Field(description="Fused reciprocal-rank score; higher is better.")
    ranks: dict[str, int] = Field(
        default_factory=dict, description="1-based rank in each retriever that found it."
    )


class SearchFilters(_Strict):
    kind: DocKind | None = None
    doc_ids: list[str] | None = None
    sections: list[str] | None = None


class FileProblem(_Strict):
    path: str
    message: str


class BuildReport(_Strict):
    build_id: str
    documents: int
    chunks: int
    added: int
    removed: int
    unchanged: int
    skipped: list[FileProblem] = Field(default_factory=list)
    seconds: float
    embed_seconds: float
    chunks_per_second: float = Field(description="New chunks embedded and stored per second.")
    embedder: str
