"""Medication checks across the drugs in the conversation, the customer's current medicines
and the cart: interactions, duplicate ingredients (with summed daily dose), allergies and
cross-sensitivity, population contraindications, overdose, the do-not-use list, never-online
products.

Each check is a small function registered in CHECKS (one module per family); `run_checks` runs
them all and turns a check that raises into a `check_failed` alert (which escalates), so one
broken rule never hides the rest.
"""

from __future__ import annotations

import logging

from copilot.ingest.lexicon import normalize

# Importing the families registers their checks.
from copilot.safety.checks import (  # noqa: F401
    allergies,
    duplicates,
    ingestion,
    interactions,
    overdose,
    populations,
    restrictions,
)
from copilot.safety.checks.items import CHECKS, CheckInput, collect_items
from copilot.safety.knowledge import SafetyKnowledge
from copilot.schemas import SEVERITY_ORDER, Alert, CartItem, Profile, Triage

log = logging.getLogger(__name__)

# The order the checks run in (and so the order of alerts of equal severity).
ORDER = [
    "interactions",
    "combinations_of_three",
    "duplicate_ingredients",
    "allergies",
    "populations",
    "label_conditions",
    "label_age_limits",
    "overdose",
    "ingestion",
    "do_not_use",
    "never_online",
]
CHECKS.sort(key=lambda fn: ORDER.index(fn.__name__))


def run_checks(
    sk: SafetyKnowledge,
    triage: Triage,
    profile: Profile,
    cart: list[CartItem],
    message: str = "",
    earlier: list[str] | None = None,
) -> tuple[list[Alert], list[str]]:
    """All alerts, most severe first, and the errors of checks that raised. `earlier`: the
    customer's earlier turns in scope (doses taken today are counted across them)."""
    items, unresolved = collect_items(sk, triage, profile, cart)
    ci = CheckInput(
        sk=sk,
        triage=triage,
        profile=profile,
        items=items,
        message=normalize(message),
        earlier=[normalize(t) for t in earlier or []],
    )
    alerts: list[Alert] = []
    errors: list[str] = []
    for fn in CHECKS:
        try:
            alerts.extend(fn(ci))
        except Exception as exc:  # a broken check escalates; it never silently passes
            log.exception("medication check %s failed", fn.__name__)
            errors.append(f"{fn.__name__}: {type(exc).__name__}: {exc}")
            alerts.append(
                Alert(
                    kind="check_failed",
                    severity="major",
                    drugs=[],
                    effect=f"用药检查“{fn.__name__}”无法完成",
                    advice="请由药师人工核对用药安全。",
                    source="copilot",
                    rule_id=f"check-failed-{fn.__name__}",
                )
            )
    for name in unresolved:
        alerts.append(
            Alert(
                kind="check_failed",
                severity="moderate",
                drugs=[name],
                effect=f"“{name}”无法对应到本平台的药品说明书，未能完成相互作用检查",
                advice="请由药师人工核对该药品。",
                source="copilot",
                rule_id="unresolved-product",
            )
        )
    alerts = merge_alternatives(alerts)
    alerts.sort(key=lambda a: -SEVERITY_ORDER[a.severity])
    return alerts, errors


def merge_alternatives(alerts: list[Alert]) -> list[Alert]:
    """One alert per rule and ingredients: the same interaction found for each product a shared
    name may mean (阿司匹林: the enteric and the analgesic tablet, each with 华法林) is one alert
    naming both, not one per product. Alerts without a rule id are kept as they are."""
    out: list[Alert] = []
    seen: dict[tuple, int] = {}
    for a in alerts:
        ingredients = frozenset(k for k in a.involves if "-" not in k)
        key = (a.kind, a.rule_id, ingredients, a.severity)
        if a.rule_id is None or not ingredients or a.kind != "interaction":
            out.append(a)
            continue
        if key not in seen:
            seen[key] = len(out)
            out.append(a)
            continue
        kept = out[seen[key]]
        drugs = list(dict.fromkeys([*kept.drugs, *a.drugs]))
        involves = list(dict.fromkeys([*kept.involves, *a.involves]))
        out[seen[key]] = kept.model_copy(update={"drugs": drugs, "involves": involves})
    return out
