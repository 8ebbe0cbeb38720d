"""Medication checks across the drugs in the conversation, the customer's current medicines
and the cart: interactions, duplicate ingredients (with summed daily dose), allergies and
cross-sensitivity, population contraindications, the do-not-use list, never-online products.

Each check is a small function in CHECKS; `run_checks` runs them all and turns a check that
raises into a `check_failed` alert (which escalates), so one broken rule never hides the rest.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import combinations

from copilot.ingest.lexicon import normalize
from copilot.safety.knowledge import SafetyKnowledge
from copilot.safety.patient import active_populations, child_age, child_mentioned
from copilot.safety.quantities import _NUM, cn_to_number
from copilot.schemas import SEVERITY_ORDER, Alert, CartItem, Profile, Severity, Triage

log = logging.getLogger(__name__)

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
    source: str  # message | history | profile | cart
    ingredients: dict[str, set[str]] = field(default_factory=dict)  # key → classes
    category: str | None = None
    never_online: bool = False

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


def _product_item(sk: SafetyKnowledge, doc_id: str, source: str) -> Item:
    doc = sk.documents[doc_id]
    lab = doc.label
    return Item(
        key=doc_id,
        name=lab.brand_names[0] + f"（{lab.generic_name}）"
        if lab.brand_names
        else lab.generic_name,
        source=source,
        ingredients={i.key: set(i.classes) for i in lab.ingredients if "tcm" not in i.classes},
        category=lab.category,
        never_online=lab.never_online,
    )


def collect_items(
    sk: SafetyKnowledge, triage: Triage, profile: Profile, cart: list[CartItem]
) -> tuple[list[Item], list[str]]:
    """Every product in play, de-duplicated (cart > message > history > profile), plus the
    profile or cart entries that could not be resolved to a label."""
    items: dict[str, Item] = {}
    unresolved: list[str] = []
    for entry in cart:
        ids = sk.resolve_products(entry.product)
        if not ids:
            unresolved.append(entry.product)
        for doc_id in ids:
            items.setdefault(doc_id, _product_item(sk, doc_id, "cart"))
    for mention in triage.drugs:
        source = "profile" if mention.taking else mention.source
        items.setdefault(mention.doc_id, _product_item(sk, mention.doc_id, source))
    for med in profile.current_medicines:
        ids = sk.resolve_products(med)
        if not ids:
            unresolved.append(med)
        for doc_id in ids:
            items.setdefault(doc_id, _product_item(sk, doc_id, "profile"))
    out = list(items.values())
    for mention in triage.drug_classes:
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
                source="message",
                ingredients={"ethanol": {"alcohol"}},
            )
        )
    return out, unresolved


CHECKS: list[Callable[[CheckInput], list[Alert]]] = []
check = CHECKS.append


@check
def interactions(ci: CheckInput) -> list[Alert]:
    alerts = []
    for x, y in combinations(ci.items, 2):
        if x.source == "profile" and y.source == "profile":
            continue  # both already prescribed together: the prescriber's call, not ours
        if x.key.startswith("class:") and y.key.startswith("class:"):
            continue
        matches = []
        keys_hit: set[str] = set()
        for (kx, cx), (ky, cy) in (
            (a, b) for a in x.ingredients.items() for b in y.ingredients.items()
        ):
            if kx == ky and x.is_product and y.is_product:
                continue  # the same ingredient twice is the duplicate check's business
            for pair in ci.sk.interactions:
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
                )
            )
    return alerts


@check
def combinations_of_three(ci: CheckInput) -> list[Alert]:
    """Class combinations that are dangerous only together (interactions.yaml `triples`):
    ACE inhibitor or ARB + diuretic + NSAID ("triple whammy", acute kidney injury)."""
    alerts = []
    for triple in ci.sk.triples:
        members = []
        for group in triple.classes:
            hit = next(
                (item for item in ci.items if item not in members and item.classes & set(group)),
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


@check
def duplicate_ingredients(ci: CheckInput) -> list[Alert]:
    alerts = []
    products = [i for i in ci.items if i.is_product]
    by_key: dict[str, list[Item]] = {}
    for item in products:
        for key in item.ingredients:
            by_key.setdefault(key, []).append(item)
    for key, holders in by_key.items():
        if len(holders) < 2:
            continue
        name = ci.sk.names_by_key.get(key, key)
        limits = []
        for item in holders:
            for ing in ci.sk.documents[item.key].label.ingredients:
                if ing.key == key and ing.max_daily_mg:
                    limits.append(ing.max_daily_mg)
        effect = f"{len(holders)}个产品都含{name}，同时使用会重复用药、可能超量"
        if len(limits) >= 2 and sum(limits) > max(limits):
            effect += (
                f"；按各自说明书最大量同服，每日{name}合计可达{sum(limits):g}毫克，"
                f"超过单一产品说明书允许的每日最大量{max(limits):g}毫克"
            )
        alerts.append(
            Alert(
                kind="duplicate_ingredient",
                severity="major",
                drugs=[h.name for h in holders],
                involves=[key, *(h.key for h in holders)],
                effect=effect,
                advice=f"不要同时服用两种含{name}的药品；请由药师核对后再用药。",
                source="各产品说明书【成分】【注意事项】",
                rule_id=f"duplicate-{key}",
            )
        )
    return alerts


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
                        involves=[item.key, *item.ingredients],
                        effect=f"顾客对{word}过敏，{item.name}含同一成分或同类成分",
                        advice="对本品成分过敏者禁用；请勿使用，并由药师评估替代方案。",
                        source=f"{item.name}说明书【禁忌】；顾客健康档案过敏史",
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
                            involves=[item.key, *item.ingredients],
                            effect=f"顾客对{word}过敏；{cross.effect}",
                            advice=cross.advice,
                            source=f"allergy_cross.yaml#{cross.id}: {cross.reference}",
                            rule_id=cross.id,
                        )
                    )
                    break
    return alerts


_POPULATION_FIELDS = {
    "pregnant": ("pregnancy", "孕妇"),
    "trying_to_conceive": ("pregnancy", "备孕人群"),
    "breastfeeding": ("lactation", "哺乳期妇女"),
    "liver_disease": ("liver_disease", "肝功能不全者"),
    "kidney_disease": ("kidney_disease", "肾功能不全者"),
    "elderly": ("elderly", "老年人"),
}


@check
def populations(ci: CheckInput) -> list[Alert]:
    alerts = []
    pops = active_populations(
        ci.triage, ci.profile, ci.sk.populations_for_conditions(ci.profile.conditions)
    )
    age = child_age(ci.triage, ci.profile)
    mentioned = child_mentioned(pops, age)
    for item in ci.items:
        if not item.is_product:
            continue
        lab = ci.sk.documents[item.key].label
        for population, (field_name, label_word) in _POPULATION_FIELDS.items():
            if population not in pops:
                continue
            advice_level = getattr(lab.populations, field_name)
            severity = _POPULATION_SEVERITY[advice_level]
            if population == "elderly" and severity == "moderate":
                severity = "minor"
            if severity is None:
                continue
            word = {"contraindicated": "禁用", "avoid": "不宜使用", "caution": "慎用"}[advice_level]
            alerts.append(
                Alert(
                    kind="population",
                    severity=severity,
                    drugs=[item.name],
                    involves=[item.key, *item.ingredients],
                    effect=f"说明书提示{label_word}{word}{item.name}",
                    advice="请由药师根据具体情况评估后再决定是否使用。",
                    source=f"{item.name}说明书（特殊人群用药）",
                    rule_id=f"population-{population}",
                )
            )
        min_age = lab.populations.child_min_age_years
        if mentioned and min_age is not None:
            if age is not None and age < min_age:
                alerts.append(
                    Alert(
                        kind="population",
                        severity="major",
                        drugs=[item.name],
                        involves=[item.key, *item.ingredients],
                        effect=f"说明书适用年龄为{min_age:g}岁以上，孩子{age:g}岁",
                        advice="该年龄的孩子不宜自行使用本品，请由药师评估。",
                        source=f"{item.name}说明书【儿童用药】",
                        rule_id="population-child-age",
                    )
                )
            elif age is None:
                alerts.append(
                    Alert(
                        kind="population",
                        severity="moderate",
                        drugs=[item.name],
                        involves=[item.key, *item.ingredients],
                        effect=f"用于儿童，但未说明年龄；说明书适用年龄为{min_age:g}岁以上",
                        advice="请先确认孩子的年龄和体重。",
                        source=f"{item.name}说明书【儿童用药】",
                        rule_id="population-child-age-unknown",
                    )
                )
    return alerts


_PER_DOSE = re.compile(
    rf"(一次|每次|一回|每回)[^，。,\d]{{0,2}}?({_NUM})\s*(片|粒|袋|包|支|丸|ml|毫升)"
)
_PER_DAY = re.compile(rf"(一天|一日|每天|每日|天天)[^，。,]{{0,4}}?({_NUM})\s*次")
_THREE_TIMES = re.compile(rf"(早中晚|早午晚|一日三餐)各?(吃|服|喝|用)?\s*({_NUM})")
_DAY_TOTAL = re.compile(
    rf"(今天|一天|一日|每天|24小时)[^，。,]{{0,6}}?(吃|喝|服|用)了?\s*({_NUM})\s*(片|粒|袋|包|支|丸)"
)


@check
def overdose(ci: CheckInput) -> list[Alert]:
    """A dose the customer states (一次2袋一天4次, 今天吃了6片) above the label's daily maximum."""
    mentioned = [i for i in ci.items if i.is_product and i.source == "message"]
    if len(mentioned) != 1:
        return []  # which product a number belongs to is only clear with one product
    item = mentioned[0]
    text = ci.message
    per_dose = [cn_to_number(m.group(2)) for m in _PER_DOSE.finditer(text)]
    per_day = [cn_to_number(m.group(2)) for m in _PER_DAY.finditer(text)]
    totals = [cn_to_number(m.group(3)) for m in _DAY_TOTAL.finditer(text)]
    units = [v for v in totals if v]
    for m in _THREE_TIMES.finditer(text):
        value = cn_to_number(m.group(3))
        if value:
            units.append(value * 3)
    if per_dose and per_day and per_dose[0] and per_day[0]:
        units.append(per_dose[0] * per_day[0])
    if not units:
        return []
    daily_units = max(units)
    alerts = []
    for ing in ci.sk.documents[item.key].label.ingredients:
        if not ing.per_unit_mg or not ing.max_daily_mg:
            continue
        daily_mg = daily_units * ing.per_unit_mg
        if daily_mg > ing.max_daily_mg + 1e-6:
            alerts.append(
                Alert(
                    kind="overdose",
                    severity="major",
                    drugs=[item.name],
                    involves=[item.key, ing.key],
                    effect=f"按所述用法每日{ing.name}约{daily_mg:g}毫克，超过说明书每日最大量"
                    f"{ing.max_daily_mg:g}毫克",
                    advice="请不要超过说明书规定的用量；是否需要调整用药请由药师评估。",
                    source=f"{item.name}说明书【用法用量】",
                    rule_id="overdose-daily-max",
                )
            )
    return alerts


@check
def do_not_use(ci: CheckInput) -> list[Alert]:
    alerts = []
    banned_ids: set[str] = set()
    banned_keys: set[str] = set()
    banned_classes: set[str] = set()
    for entry in ci.profile.do_not_use:
        banned_classes |= ci.sk.classes_for_word(entry)
        for doc_id in ci.sk.resolve_products(entry):
            banned_ids.add(doc_id)
            lab = ci.sk.documents[doc_id].label
            if len(lab.ingredients) == 1:
                banned_keys.add(lab.ingredients[0].key)
        if entry in ci.sk.names_by_key:
            banned_keys.add(entry)
    for item in ci.items:
        if not item.is_product or item.source == "profile":
            continue
        item_classes = item.classes
        if (
            item.key in banned_ids
            or set(item.ingredients) & banned_keys
            or item_classes & banned_classes
        ):
            alerts.append(
                Alert(
                    kind="do_not_use",
                    severity="contraindicated",
                    drugs=[item.name],
                    involves=[item.key, *item.ingredients],
                    effect=f"{item.name}在顾客的个人禁用清单上",
                    advice="请勿向顾客提供本品，请由药师处理。",
                    source="顾客健康档案：个人禁用清单",
                    rule_id="do-not-use",
                )
            )
    return alerts


@check
def never_online(ci: CheckInput) -> list[Alert]:
    return [
        Alert(
            kind="never_online",
            severity="major",
            drugs=[item.name],
            involves=[item.key, *item.ingredients],
            effect=f"{item.name}不在本平台线上销售（{ci.sk.documents[item.key].label.never_online_reason}）",
            advice="不能在线购买本品，请由药师为您说明并建议线下就医购药。",
            source="药品网络销售禁止清单 / 本平台处方药政策",
            rule_id="never-online",
        )
        for item in ci.items
        if item.is_product and item.never_online and item.source in ("message", "cart", "history")
    ]


def run_checks(
    sk: SafetyKnowledge,
    triage: Triage,
    profile: Profile,
    cart: list[CartItem],
    message: str = "",
) -> tuple[list[Alert], list[str]]:
    """All alerts, most severe first, and the errors of checks that raised."""
    items, unresolved = collect_items(sk, triage, profile, cart)
    ci = CheckInput(sk=sk, triage=triage, profile=profile, items=items, message=normalize(message))
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
    alerts.sort(key=lambda a: -SEVERITY_ORDER[a.severity])
    return alerts, errors
