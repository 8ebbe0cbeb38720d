"""Allergies and cross-sensitivity (declared, in the profile, or past reactions)."""

from __future__ import annotations

from copilot.safety.allergens import names_allergy
from copilot.safety.checks.items import CheckInput, check
from copilot.schemas import SEVERITY_ORDER, Alert


def _allergy_targets(ci: CheckInput) -> list[tuple[str, set[str], set[str], set[str]]]:
    """(allergy word, ingredient keys, classes, the classes related by its ingredients) for
    the profile's allergies and the message's non-negated "对X过敏"."""
    words = list(dict.fromkeys([*ci.profile.allergies, *ci.triage.allergies]))
    targets = []
    for word in words:
        keys: set[str] = set()
        classes, siblings = ci.sk.allergy_classes(word)
        for doc_id in ci.sk.resolve_products(word):
            for ing in ci.sk.documents[doc_id].label.ingredients:
                if "tcm" not in ing.classes:
                    keys.add(ing.key)
        if keys or classes or siblings:
            # the allergy's classes, for cross-sensitivity (a sibling drug's class too)
            related = classes | siblings
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
            found = [_label_line(ci, item, word, keys, allergy_classes)]
            for cross in ci.sk.cross_allergies:
                if cross.allergy_class in allergy_classes and cross.drug_class in item_classes:
                    found.append(
                        Alert(
                            kind="cross_allergy",
                            severity=cross.severity,
                            drugs=[item.name],
                            # the allergen too: what the customer reacts to
                            involves=[
                                item.key,
                                *item.ingredients,
                                *sorted(keys),
                                *sorted(allergy_classes - item_classes),
                            ],
                            effect=f"顾客对{word}过敏；{cross.effect}",
                            advice=cross.advice,
                            source=f"allergy_cross.yaml#{cross.id}: {cross.reference}",
                            rule_id=cross.id,
                        )
                    )
                    break
            found = [a for a in found if a is not None]
            if found:  # the table's rule or the label's own line, whichever is stricter
                alerts.append(max(found, key=lambda a: SEVERITY_ORDER[a.severity]))
    return alerts


def _label_line(
    ci: CheckInput, item, word: str, keys: set[str], allergy_classes: set[str]
) -> Alert | None:
    """The product's own label names the allergy (对其他硝基咪唑类过敏者禁用; 与磺胺类药物有交叉
    过敏; 如氨氯地平、硝苯地平等), or the allergy is a sibling of the same class: a
    cross-allergy."""
    lines = [
        line
        for line in ci.sk.allergy_lines.get(item.key, [])
        if names_allergy(line, word, allergy_classes)
    ]
    if lines:
        line = min(lines, key=lambda x: x.severity != "contraindicated")
        severity, effect = line.severity, f"说明书：{line.sentence[:80]}"
        source, rule = f"说明书【{line.section}】", "allergy-label-line"
    elif allergy_classes & item.classes:
        severity, effect = "major", f"{word}与本品同属一类药物，可能交叉过敏"
        source, rule = "说明书；顾客健康档案过敏史", "allergy-same-class"
    else:
        return None
    return Alert(
        kind="cross_allergy",
        severity=severity,
        drugs=[item.name],
        involves=[
            item.key,
            *item.ingredients,
            *sorted(keys),
            *sorted(allergy_classes - item.classes),
        ],
        effect=f"顾客对{word}过敏；{effect}",
        advice="请勿自行使用，由药师评估是否可用或换用其他药物。",
        source=source,
        rule_id=rule,
    )
