"""What the checks look at: the products in the message, the history, the customer's current
medicines and the cart, resolved to labels and ingredients; and the registry of checks."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from copilot.safety.knowledge import SYSTEMIC_ROUTES, SafetyKnowledge
from copilot.schemas import Alert, CartItem, Profile, Severity, Triage

log = logging.getLogger(__name__)

# Taking a medicine, in any verb customers use for it (吃, 服, 喝, 吞, 冲 granules, 嚼, 咽, 灌): one
# alternation shared by the dose and ingestion checks (wrap it in a group).
TAKE = "吃|服|喝|吞|冲|嚼|咽|灌"
# Put in the mouth, as a child does it (撕了三四袋倒嘴里, 一把塞进嘴里, 含在嘴里): taken all
# the same.
INTO_MOUTH = "(?:倒|塞|放|含|扔|丢|抓)(?:进|到|在)?嘴(?:巴)?里"

_POPULATION_SEVERITY: dict[str, Severity | None] = {
    "contraindicated": "contraindicated",
    "avoid": "major",
    "caution": "moderate",
    "ok": None,
}


@dataclass
class Item:
    """One product (or an alcohol / drug-class mention) taking part in the checks."""

    key: str  # label id, "ethanol", or "class:<word>"
    name: str
    source: str  # message | history | profile | cart | question (alcohol only asked about)
    ingredients: dict[str, set[str]] = field(default_factory=dict)  # key → classes
    category: str | None = None
    never_online: bool = False
    route: str | None = None  # oral, topical, nasal … (product master); None: unknown
    group: str | None = None  # items that are alternatives for one name (布洛芬: capsule or
    # suspension) share a group: they are not taken together, so they never duplicate each other

    @property
    def classes(self) -> set[str]:
        return {c for cs in self.ingredients.values() for c in cs}

    @property
    def is_product(self) -> bool:
        return not self.key.startswith(("class:", "ethanol"))


@dataclass
class CheckInput:
    sk: SafetyKnowledge
    triage: Triage
    profile: Profile
    items: list[Item]
    message: str = ""
    earlier: list[str] = field(default_factory=list)  # the customer's earlier turns in scope


def _product_item(sk: SafetyKnowledge, doc_id: str, source: str) -> Item:
    doc = sk.documents[doc_id]
    lab = doc.label
    return Item(
        key=doc_id,
        name=lab.display_name,
        source=source,
        # Herbal ingredients take part too (warfarin + 丹参), but never as duplicates.
        ingredients={i.key: set(i.classes) for i in lab.ingredients},
        category=lab.category,
        never_online=lab.never_online,
        route=sk.route(doc_id),
    )


def collect_items(
    sk: SafetyKnowledge, triage: Triage, profile: Profile, cart: list[CartItem]
) -> tuple[list[Item], list[str]]:
    """Every product in play, de-duplicated (cart > message > history > profile), plus the
    profile or cart entries that could not be resolved to a label."""
    items: dict[str, Item] = {}
    unresolved: list[str] = []

    def add(doc_id: str, source: str, group: str | None) -> None:
        if doc_id not in items:
            items[doc_id] = _product_item(sk, doc_id, source)
            items[doc_id].group = group

    for entry in cart:
        ids = sk.resolve_products(entry.product)
        if not ids:
            unresolved.append(entry.product)
        for doc_id in ids:
            add(doc_id, "cart", f"cart:{entry.product}" if len(ids) > 1 else None)
    spans: dict[tuple[str, str], list[str]] = {}
    for mention in triage.drugs:
        spans.setdefault((mention.source, mention.name), []).append(mention.doc_id)
    in_cart = set(items)
    for mention in triage.drugs:
        if mention.past or mention.others:
            continue  # 以前吃过…停了, 我爸在吃…: not in play for this customer now
        source = "profile" if mention.taking else mention.source
        alternatives = spans[(mention.source, mention.name)]
        if len(alternatives) > 1 and any(a in in_cart for a in alternatives):
            continue  # one of the products this name may mean is already in the cart
        if triage.compared and source == "message":
            group = "message:compared"  # 布洛芬和对乙酰氨基酚有啥区别: one or the other
        else:
            group = f"{source}:{mention.name}" if len(alternatives) > 1 else None
        add(mention.doc_id, source, group)
        item = items[mention.doc_id]
        if mention.said_oral and item.route not in SYSTEMIC_ROUTES:
            # 在吃红霉素 while our only 红霉素 is an ointment: a form by mouth we do not
            # carry; checked as systemic (the cautious reading)
            item.route = None
    for med in profile.current_medicines:
        ids = sk.resolve_products(med)
        if not ids:
            unresolved.append(med)
        for doc_id in ids:
            add(doc_id, "profile", f"profile:{med}" if len(ids) > 1 else None)
    out = list(items.values())
    for mention in triage.drug_classes:
        if mention.over:
            continue  # 上个月吃头孢的时候… 早好了 现在啥药都没吃: not in play now
        if mention.pointed and any(
            set(mention.classes) & classes for item in out for classes in item.ingredients.values()
        ):
            continue  # 购物车里这个退烧药 with the cart's acetaminophen: that product, by its class
        out.append(
            Item(
                key=f"class:{mention.word}",
                name=mention.word,
                source=mention.source,
                ingredients={f"class:{mention.word}": set(mention.classes)},
            )
        )
    if triage.alcohol:
        out.append(
            Item(
                key="ethanol",
                name="酒精（饮酒）",
                source="question" if triage.alcohol_asked else "message",
                ingredients={"ethanol": {"alcohol"}},
            )
        )
    return out, unresolved


CHECKS: list[Callable[[CheckInput], list[Alert]]] = []
check = CHECKS.append


def dosed_in(ci: CheckInput, pool: list[Item], unit: str | None) -> list[Item]:
    """The products of `pool` whose label doses in `unit` (片, ml …); all of them when none
    does or no unit was said."""
    if unit is None:
        return pool
    same = [i for i in pool if (limit := ci.sk.dose_limits.get(i.key)) and limit.unit == unit]
    return same or pool
