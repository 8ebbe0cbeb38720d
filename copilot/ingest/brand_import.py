"""Brand candidates from a public knowledge graph, for a person to review (`copilot kb
import-brands`, then `copilot kb accept-brands`).

The source is CMeKG, the Chinese medical knowledge graph shipped in the PyPI package `PyCMeKG`
(MIT) as one pickle of ~27,000 entries keyed by name, each a dict of predicate → list of strings
(商品名, 通用名, 成份 …). A pickle can run code when loaded, so it is read with an unpickler that
refuses every class except plain containers; the package itself is never imported (its
`__init__` loads the same file with the unrestricted unpickler).

Only the 商品名 of entries whose name or 通用名 is exactly one of our products' generic names are
taken, and never straight into linking: they go to a review file with flags (a name that looks
like a maker, latin letters, a name already used for another of our products, a name proposed
for several products) and `decision: pending`. CMeKG's category fields (OTC类型, 药品类型) are
noisy (it calls warfarin 甲类OTC) and are not read. A person sets `decision: accepted` (or
`rejected` with a reason); `accept-brands` moves the accepted ones into `products.yaml`,
validated against the labels before the file is replaced.
"""

from __future__ import annotations

import importlib.util
import io
import os
import pickle
import re
import tempfile
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from copilot.errors import KnowledgeError
from copilot.ingest.documents import load_label, read_text
from copilot.ingest.products import Brand, load_products
from copilot.ingest.yamlfile import read_yaml

MAX_SOURCE_BYTES = 200 * 1024 * 1024
_SAFE_GLOBALS = {
    ("builtins", "dict"),
    ("builtins", "list"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "tuple"),
    ("__builtin__", "set"),  # protocol 0/1 pickles written by Python 2
    ("__builtin__", "frozenset"),
}
_NOISE = re.compile(r"[：:，,。；;、/（）()\[\]【】\s]|通用名|英文名|商品名|规格|\d")
_MAKER_LIKE = re.compile(r"(药业|制药|药厂|集团|公司|医药|药房|生物|科技|股份)$|^.{1}药$")
_LATIN = re.compile(r"[A-Za-z]")


class _Refused(pickle.UnpicklingError):
    """The pickle asked for a class or function outside plain containers."""


class _ContainersOnly(pickle.Unpickler):
    """Loads dicts, lists, sets, tuples and strings; refuses any other class or function."""

    def find_class(self, module: str, name: str):
        if (module, name) in _SAFE_GLOBALS:
            return getattr(__import__("builtins"), name)
        raise _Refused(f"refused to load {module}.{name}")


def default_source() -> Path:
    """The pickle inside an installed PyCMeKG package, found without importing the package."""
    spec = importlib.util.find_spec("pyCMeKG")
    if spec is None or not spec.submodule_search_locations:
        raise KnowledgeError(
            "PyCMeKG is not installed",
            fix="`pip install PyCMeKG==0.2.5` (MIT) or pass --source PATH/TO/cmekg.pkl",
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model" / "cmekg.pkl"


def load_graph(path: Path) -> dict[str, dict[str, list[str]]]:
    """The knowledge graph as {entry name: {predicate: [values]}}, read safely."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise KnowledgeError("file is missing", path=path, fix="check --source") from None
    if size > MAX_SOURCE_BYTES:
        raise KnowledgeError(
            f"file is {size // 1_000_000} MB, over the {MAX_SOURCE_BYTES // 1_000_000} MB limit",
            path=path,
            fix="pass the CMeKG pickle from PyCMeKG 0.2.5",
        )
    try:
        data = _ContainersOnly(io.BytesIO(path.read_bytes())).load()
    except _Refused as exc:
        raise KnowledgeError(
            f"not a plain-data pickle ({exc})",
            path=path,
            fix="only a pickle of dicts, lists and strings is read; check where the file came from",
        ) from None
    except Exception as exc:  # truncated or not a pickle at all
        raise KnowledgeError(
            f"cannot read the pickle ({type(exc).__name__}: {exc})", path=path
        ) from None
    if not isinstance(data, dict):
        raise KnowledgeError(f"expected a dict of entries, found {type(data).__name__}", path=path)
    return {str(k): v for k, v in data.items() if isinstance(k, str) and isinstance(v, dict)}


def normalise(name: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).lower()


@dataclass
class Candidate:
    product: str
    name: str
    sources: list[str]
    flags: list[str] = field(default_factory=list)
    maker: str | None = None
    decision: str = "pending"
    reason: str = ""

    def as_row(self) -> dict:
        row = {
            "product": self.product,
            "name": self.name,
            "maker": self.maker,
            "source": "CMeKG (PyCMeKG 0.2.5): " + "、".join(self.sources[:3]),
            "flags": self.flags,
            "decision": self.decision,
            "reason": self.reason,
        }
        return row


@dataclass
class ImportReport:
    matched_products: int
    candidates: list[Candidate]
    known: int
    noise: int
    kept_decisions: int


def _known_names(knowledge_dir: Path) -> tuple[dict[str, str], dict[str, str], dict[str, set[str]]]:
    """generic name → product id; every name we already link → product id (first);
    product id → its ingredient names."""
    generic: dict[str, str] = {}
    known: dict[str, str] = {}
    ingredients: dict[str, set[str]] = {}
    for path in sorted((knowledge_dir / "labels").glob("*.md")):
        label = load_label(path, read_text(path)).label
        generic[normalise(label.generic_name)] = label.id
        ingredients[label.id] = {i.name for i in label.ingredients}
        for name in (label.generic_name, *label.brand_names, *label.aliases):
            known.setdefault(normalise(name), label.id)
    for product in load_products(knowledge_dir, set(generic.values())):
        generic.setdefault(normalise(product.generic_name), product.id)
        for brand in product.brands:
            known.setdefault(normalise(brand.name), product.id)
    return generic, known, ingredients


def _previous_decisions(path: Path) -> dict[tuple[str, str], dict]:
    if not path.exists():
        return {}
    data = read_yaml(path) or {}
    rows = data.get("candidates", []) if isinstance(data, dict) else []
    return {
        (r.get("product"), normalise(str(r.get("name", "")))): r
        for r in rows
        if isinstance(r, dict) and r.get("decision") in ("accepted", "rejected")
    }


def find_candidates(
    graph: dict[str, dict[str, list[str]]], knowledge_dir: Path, review_path: Path | None = None
) -> ImportReport:
    """Brand candidates for our products, flagged for review; decisions already taken in
    `review_path` are kept."""
    generic, known, ingredients = _known_names(knowledge_dir)
    found: dict[tuple[str, str], Candidate] = {}
    matched: set[str] = set()
    n_known = n_noise = 0
    for entry, facts in graph.items():
        names = [entry, *(v for v in facts.get("通用名", []) if isinstance(v, str))]
        products = {generic[normalise(n)] for n in names if normalise(n) in generic}
        for product in sorted(products):
            matched.add(product)
            for raw in facts.get("商品名", []):
                if not isinstance(raw, str):
                    continue
                name = unicodedata.normalize("NFKC", raw).strip()
                if not 2 <= len(name) <= 12 or _NOISE.search(name):
                    n_noise += 1
                    continue
                key = normalise(name)
                if known.get(key) == product or key in {normalise(i) for i in ingredients[product]}:
                    n_known += 1
                    continue
                cand = found.setdefault((product, key), Candidate(product, name, []))
                if entry not in cand.sources:
                    cand.sources.append(entry)
    by_name: dict[str, set[str]] = defaultdict(set)
    for product, key in found:
        by_name[key].add(product)
    previous = _previous_decisions(review_path) if review_path else {}
    kept = 0
    for (product, key), cand in found.items():
        if _LATIN.search(cand.name):
            cand.flags.append("latin")
        if _MAKER_LIKE.search(cand.name):
            cand.flags.append("maker-like")
        if len(by_name[key]) > 1:
            cand.flags.append("several-products:" + ",".join(sorted(by_name[key] - {product})))
        if key in known and known[key] != product:
            cand.flags.append(f"already-names:{known[key]}")
        if any(i and i in cand.name for i in ingredients[product]):
            cand.flags.append("generic-like")
        if prev := previous.get((product, key)):
            cand.decision = prev["decision"]
            cand.reason = str(prev.get("reason") or "")
            cand.maker = prev.get("maker")
            kept += 1
    ordered = sorted(found.values(), key=lambda c: (c.product, bool(c.flags), c.name))
    return ImportReport(len(matched), ordered, n_known, n_noise, kept)


def write_review(report: ImportReport, path: Path) -> None:
    header = (
        "# Brand candidates read from CMeKG (PyCMeKG 0.2.5, MIT) by `copilot kb import-brands`.\n"
        "# NOT loaded into linking. For each: check the maker's product (generic name, form,\n"
        "# strength) and set `decision: accepted` (fill `maker`) or `rejected` with a `reason`;\n"
        "# then `copilot kb accept-brands` moves the accepted ones into products.yaml.\n"
        "# Flags: latin (latin letters), maker-like (reads like a company), several-products\n"
        "# (proposed for more than one of our products: a maker brand, accept as shared),\n"
        "# already-names (already links another product), generic-like (contains the generic).\n"
        "# A re-import keeps every accepted/rejected decision.\n"
    )
    body = yaml.safe_dump(
        {"candidates": [c.as_row() for c in report.candidates]},
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    _atomic_write(path, header + body)


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class AcceptReport:
    moved: list[tuple[str, str]]
    already: int


def accept_brands(review_path: Path, knowledge_dir: Path) -> AcceptReport:
    """Move the review file's accepted candidates into products.yaml (validated first)."""
    data = read_yaml(review_path) or {}
    rows = data.get("candidates") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise KnowledgeError("expected a top-level `candidates:` list", path=review_path)
    master_path = knowledge_dir / "products.yaml"
    text = master_path.read_text(encoding="utf-8")
    header = text[: text.index("products:")] if "products:" in text else ""
    master = yaml.safe_load(text) or {}
    by_id = {p["id"]: p for p in master.get("products", [])}
    moved: list[tuple[str, str]] = []
    already = 0
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or row.get("decision") != "accepted":
            continue
        product = by_id.get(row.get("product"))
        if product is None:
            raise KnowledgeError(
                f"candidate {n} names product `{row.get('product')}`, which products.yaml lacks",
                path=review_path,
                field="product",
                fix="use a product id from products.yaml",
            )
        brand = Brand(
            name=str(row.get("name", "")),
            maker=row.get("maker") or None,
            shared=any(str(f).startswith("several-products") for f in row.get("flags") or []),
        )
        brands = product.setdefault("brands", [])
        if any(normalise(b["name"]) == normalise(brand.name) for b in brands):
            already += 1
            continue
        others = [
            b
            for p in by_id.values()
            if p is not product
            for b in p.get("brands", [])
            if normalise(b["name"]) == normalise(brand.name)
        ]
        if others:  # one brand on several of our products: ambiguous alone, on every row
            brand.shared = True
            for b in others:
                b["shared"] = True
        brands.append(brand.model_dump(exclude_defaults=True))
        moved.append((product["id"], brand.name))
    if not moved:
        return AcceptReport(moved, already)
    out = header + yaml.safe_dump(master, sort_keys=False, allow_unicode=True, width=100)
    with tempfile.TemporaryDirectory() as tmp:  # validate before replacing the real file
        check = Path(tmp)
        (check / "products.yaml").write_text(out, encoding="utf-8")
        (check / "labels").symlink_to((knowledge_dir / "labels").resolve())
        _known_names(check)  # raises KnowledgeError naming the row if the result is invalid
    _atomic_write(master_path, out)
    return AcceptReport(moved, already)
