"""Allergies and cross-sensitivity (declared, in the profile, or past reactions)."""

from __future__ import annotations

from copilot.safety.checks.items import CheckInput, check
from copilot.schemas import Alert


def _allergy_targets(ci: CheckInput) -> list[tuple[str, set[str], set[str], set[str]]]:
    """(allergy word, ingredient keys, classes, the classes related by its ingredients) for
    the profile's allergies and the message's non-negated "对X过敏"."""
    words = list(dict.fromkeys([*ci.profile.allergies, *ci.triage.allergies]))
    targets = []
    for word in words:
        keys: set[str] = set()
        classes = ci.sk.classes_for_word(word)
        for doc_id in ci.sk.resolve_products(word):
            for ing in ci.sk.documents[doc_id].label.ingredients:
                if "tcm" not in ing.classes:
                    keys.add(ing.key)
        if keys or classes:
            related = set(classes)  # the allergy's classes, for cross-sensitivity
            for key in keys:
                related |= ci.sk.classes_by_key.get(key, set())
            targets.append((word, keys, classes, related))
    return targets


@check
def allergies(ci: CheckInput) -> list[Alert]:
    alerts = []
    targets = _allergy_targets(ci)
    for item in ci.items:
        if not item.is_product:
            continue
        for word, keys, classes, allergy_classes in targets:
            hit = set(item.ingredients) & keys
            item_classes = item.classes
            class_hit = item_classes & classes
            if hit or class_hit:
                alerts.append(
                    Alert(
                        kind="allergy",
                        severity="contraindicated",
                        drugs=[item.name],
                        involves=[item.key, *item.ingredients, *sorted(class_hit - hit)],
                        effect=f"顾客对{word}过敏，本品含同一成分或同类成分",
                        advice="对本品成分过敏者禁用；请勿使用，并由药师评估替代方案。",
                        source="说明书【禁忌】；顾客健康档案过敏史",
                        rule_id="allergy-match",
                    )
                )
                continue
            for cross in ci.sk.cross_allergies:
                if cross.allergy_class in allergy_classes and cross.drug_class in item_classes:
                    alerts.append(
                        Alert(
                            kind="cross_allergy",
                            severity=cross.severity,
                            drugs=[item.name],
                            # the allergen too: what the customer reacts to
                            involves=[item.key, *item.ingredients, *sorted(keys)],
                            effect=f"顾客对{word}过敏；{cross.effect}",
                            advice=cross.advice,
                            source=f"allergy_cross.yaml#{cross.id}: {cross.reference}",
                            rule_id=cross.id,
                        )
                    )
                    break
    return alerts
