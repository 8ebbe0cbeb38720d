"""The product master (`knowledge/products.yaml`): one row per product the pharmacy sells or
keeps a label for, with its brands (商品名, maker), dosage form and route. Validated against the
labels; loaded into drug linking."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from copilot.errors import KnowledgeError, knowledge_error_from_validation
from copilot.ingest.yamlfile import read_yaml

log = logging.getLogger(__name__)

Route = Literal[
    "oral", "topical", "nasal", "inhaled", "ophthalmic", "otic", "vaginal", "rectal", "injection"
]


class Brand(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=2)
    maker: str | None = None
    shared: bool = Field(
        default=False, description="Sold for more than one of our products (ambiguous alone)."
    )


class Product(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    generic_name: str
    dosage_form: str
    route: Route
    category: Literal["Rx", "OTC-A", "OTC-B", "health-product"]
    brands: list[Brand] = Field(default_factory=list)


def load_products(knowledge_dir: Path, label_ids: set[str] | None = None) -> list[Product]:
    """The validated product rows; none (with a warning) when the file is absent."""
    path = knowledge_dir / "products.yaml"
    if not path.exists():
        log.warning("no product master at %s; linking uses the labels' names only", path)
        return []
    data = read_yaml(path) or {}
    rows = data.get("products") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise KnowledgeError(
            "expected a top-level `products:` list", path=path, fix="see the file header"
        )
    out: list[Product] = []
    seen: set[str] = set()
    for n, row in enumerate(rows, start=1):
        try:
            product = Product.model_validate(row)
        except ValidationError as exc:
            raise knowledge_error_from_validation(
                exc, path=path, what=f"product {n} ({(row or {}).get('id', '?')})"
            ) from None
        if product.id in seen:
            raise KnowledgeError(f"product `{product.id}` is listed twice", path=path, field="id")
        if label_ids is not None and product.id not in label_ids:
            raise KnowledgeError(
                f"product `{product.id}` has no label",
                path=path,
                field="id",
                fix="use the id of a file in labels/ (or add the label first)",
            )
        seen.add(product.id)
        out.append(product)
    return out
