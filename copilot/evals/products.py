"""The products set: questions that name a product by a real brand, by a name we do not carry,
or by a name several of our products share. Every case goes through the suggest pipeline.

Metrics
- `products.brand_linked`: brand cases whose named product was linked.
- `products.brand_grounded`: brand cases whose draft (if any) cites only labels of products the
  message named.
- `products.unknown_safe`: unknown-name cases answered without any label section (a clarifying
  reply, a holding reply or cannot-draft); gated at 100%: never another product's facts.
- `products.unknown_clarified`: unknown-name cases that got the clarifying reply.
- `products.ambiguous_ok`: with context (cart) the draft cites only the product the context
  points at; without, the reply asks which product and names the candidates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from copilot.evals.casefile import validated
from copilot.evals.retrieval import evals_dir
from copilot.ingest.yamlfile import read_yaml
from copilot.pipeline import Copilot
from copilot.schemas import CartItem, Suggestion


class ProductCase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    message: str
    kind: Literal["brand", "unknown", "ambiguous"]
    expect_product: str | None = None
    candidates: list[str] = Field(default_factory=list)
    cart: list[str] = Field(default_factory=list)
    expect_with_context: str | None = None
    note: str = ""


class ProductFailure(BaseModel):
    id: str
    kind: str
    message: str
    expected: str
    got: str


class ProductMetrics(BaseModel):
    cases: int
    brand_cases: int
    brand_linked: float
    brand_grounded: float
    unknown_cases: int
    unknown_safe: float
    unknown_clarified: float
    ambiguous_cases: int
    ambiguous_ok: float
    failures: list[ProductFailure]

    def as_metrics(self) -> dict[str, float]:
        return {
            "products.brand_linked": self.brand_linked,
            "products.brand_grounded": self.brand_grounded,
            "products.unknown_safe": self.unknown_safe,
            "products.unknown_clarified": self.unknown_clarified,
            "products.ambiguous_ok": self.ambiguous_ok,
        }


def load_product_cases(path: Path | None = None) -> list[ProductCase]:
    path = path or evals_dir() / "datasets" / "products.yaml"
    return validated(read_yaml(path) or [], ProductCase, path)


def _label_docs(copilot: Copilot, s: Suggestion) -> set[str]:
    """Label documents the suggestion's draft rests on (policies do not count)."""
    out = set()
    for c in s.citations:
        doc = copilot.document(c.doc_id)
        if doc is None or doc.kind == "label":
            out.add(c.doc_id)
    return out


def _shown(s: Suggestion) -> str:
    return f"{s.kind}: {s.text[:60]} | cites {sorted({c.doc_id for c in s.citations})}"


def _ok(copilot: Copilot, case: ProductCase, s: Suggestion) -> tuple[bool, bool, str]:
    """(passed, extra flag, what was expected) for one case."""
    labels = _label_docs(copilot, s)
    linked = {d.doc_id for d in s.verdict.triage.drugs if d.source == "message"}
    if case.kind == "brand":
        linked_ok = case.expect_product in linked
        grounded = labels <= linked  # only products the customer named (here: one or two)
        return linked_ok and grounded, grounded, f"links {case.expect_product}"
    if case.kind == "unknown":
        safe = not labels
        # Asked: the clarifying reply, or a holding reply (the case escalated) that also asks
        # for the name on the box.
        asked = s.kind == "clarify" or (
            s.kind == "holding" and s.clarification is not None and "药盒" in s.text
        )
        return safe, asked, "no label cited; ask for the product"
    if case.expect_with_context:
        ok = labels <= {case.expect_with_context} and (
            bool(labels) or case.expect_with_context in linked or s.kind == "holding"
        )
        return ok, ok, f"uses the cart: {case.expect_with_context}"
    # Asked: the reply asks which (or, when the case escalates, the pharmacist sees the
    # candidates beside the holding reply); no label of one candidate is used.
    asks = s.clarification is not None and s.kind in ("clarify", "holding") and not labels
    return asks, asks, f"asks which of {case.candidates}"


def evaluate_products(copilot: Copilot, cases: list[ProductCase]) -> ProductMetrics:
    brand = [c for c in cases if c.kind == "brand"]
    unknown = [c for c in cases if c.kind == "unknown"]
    ambiguous = [c for c in cases if c.kind == "ambiguous"]
    tallies = {"linked": 0, "grounded": 0, "safe": 0, "clarified": 0, "ambiguous": 0}
    failures: list[ProductFailure] = []
    for case in cases:
        s = copilot.suggest(message=case.message, cart=[CartItem(product=p) for p in case.cart])
        ok, flag, expected = _ok(copilot, case, s)
        linked = {d.doc_id for d in s.verdict.triage.drugs if d.source == "message"}
        if case.kind == "brand":
            tallies["linked"] += case.expect_product in linked
            tallies["grounded"] += flag
        elif case.kind == "unknown":
            tallies["safe"] += ok
            tallies["clarified"] += flag
        else:
            tallies["ambiguous"] += ok
        if not ok:
            failures.append(
                ProductFailure(
                    id=case.id,
                    kind=case.kind,
                    message=case.message,
                    expected=expected,
                    got=f"linked {sorted(linked)}; {_shown(s)}",
                )
            )

    def ratio(n: int, d: list) -> float:
        return round(n / len(d), 4) if d else 1.0

    return ProductMetrics(
        cases=len(cases),
        brand_cases=len(brand),
        brand_linked=ratio(tallies["linked"], brand),
        brand_grounded=ratio(tallies["grounded"], brand),
        unknown_cases=len(unknown),
        unknown_safe=ratio(tallies["safe"], unknown),
        unknown_clarified=ratio(tallies["clarified"], unknown),
        ambiguous_cases=len(ambiguous),
        ambiguous_ok=ratio(tallies["ambiguous"], ambiguous),
        failures=failures,
    )
