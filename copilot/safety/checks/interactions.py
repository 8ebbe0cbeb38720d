"""Interaction pairs (most specific pair wins) and combinations of three."""

from __future__ import annotations

from itertools import combinations

from copilot.safety.checks.items import CheckInput, check
from copilot.safety.knowledge import SYSTEMIC_ROUTES
from copilot.schemas import SEVERITY_ORDER, Alert


@check
def interactions(ci: CheckInput) -> list[Alert]:
    alerts = []
    for x, y in combinations(ci.items, 2):
        if x.source == "profile" and y.source == "profile":
            continue  # both already prescribed together: the prescriber's call, not ours
        if x.key.startswith("class:") and y.key.startswith("class:"):
            continue
        if x.group is not None and x.group == y.group:
            continue  # alternatives for one name (扑热息痛: tablet or drops) are not taken together
        matches = []
        keys_hit: set[str] = set()
        for (kx, cx), (ky, cy) in (
            (a, b) for a in x.ingredients.items() for b in y.ingredients.items()
        ):
            if kx == ky and x.is_product and y.is_product:
                continue  # the same ingredient twice is the duplicate check's business
            for pair in ci.sk.interactions:
                if not (_applies(x, pair.routes) and _applies(y, pair.routes)):
                    continue  # 红霉素软膏 is not a systemic macrolide beside warfarin
                forward = pair.a.matches(kx, cx) and pair.b.matches(ky, cy)
                backward = pair.a.matches(ky, cy) and pair.b.matches(kx, cx)
                if forward or backward:
                    matches.append(pair)
                keys_hit.update(k for k in (kx, ky) if not k.startswith("class:"))
        if not matches:
            continue
        most_specific = max(p.specificity for p in matches)
        chosen = [p for p in matches if p.specificity == most_specific]
        top = max(SEVERITY_ORDER[p.severity] for p in chosen)
        for pair in {p.id: p for p in chosen if SEVERITY_ORDER[p.severity] == top}.values():
            alerts.append(
                Alert(
                    kind="interaction",
                    severity=pair.severity,
                    drugs=[x.name, y.name],
                    involves=sorted({x.key, y.key, *keys_hit}),
                    effect=pair.effect,
                    advice=pair.customer_message,
                    source=f"interactions.yaml#{pair.id}: {pair.reference}",
                    rule_id=pair.id,
                    asked_only=_asked_about_otc(x, y),
                )
            )
    return alerts


def _asked_about_otc(x, y) -> bool:
    """Only asked whether one may drink with an OTC product whose label answers it (感冒灵能喝酒
    吗); a drug class with no label (头孢) or an Rx drug still goes to the pharmacist."""
    asked, other = (x, y) if x.source == "question" else (y, x)
    return (
        asked.source == "question" and other.is_product and (other.category or "").startswith("OTC")
    )


def _applies(item, routes: list[str]) -> bool:
    """An unknown route (a class word, a product outside the master) counts as systemic."""
    return item.route is None or item.route in routes


@check
def combinations_of_three(ci: CheckInput) -> list[Alert]:
    """Class combinations that are dangerous only together (interactions.yaml `triples`):
    ACE inhibitor or ARB + diuretic + NSAID ("triple whammy", acute kidney injury)."""
    alerts = []
    for triple in ci.sk.triples:
        members = []
        for group in triple.classes:
            hit = next(
                (
                    item
                    for item in ci.items
                    if item not in members
                    and item.classes & set(group)
                    and _applies(item, list(SYSTEMIC_ROUTES))
                ),
                None,
            )
            if hit is None:
                break
            members.append(hit)
        else:
            if all(m.source == "profile" for m in members):
                continue
            keys = sorted({k for m in members for k in m.ingredients if not k.startswith("class:")})
            alerts.append(
                Alert(
                    kind="interaction",
                    severity=triple.severity,
                    drugs=[m.name for m in members],
                    involves=sorted({m.key for m in members} | set(keys)),
                    effect=triple.effect,
                    advice=triple.customer_message,
                    source=f"interactions.yaml#{triple.id}: {triple.reference}",
                    rule_id=triple.id,
                )
            )
    return alerts
