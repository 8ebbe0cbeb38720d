"""Population contraindications from the label flags (pregnancy, children, elderly …)."""

from __future__ import annotations

import re

from copilot.ingest.lexicon import normalize
from copilot.safety.checks.items import _POPULATION_SEVERITY, CheckInput, check
from copilot.safety.patient import active_populations, child_age, child_mentioned
from copilot.schemas import Alert

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
                    effect=f"说明书提示{label_word}{word}本品",
                    advice="请由药师根据具体情况评估后再决定是否使用。",
                    source="说明书（特殊人群用药）",
                    rule_id=f"population-{population}",
                )
            )
        min_age = lab.populations.child_min_age_years
        if mentioned and min_age is not None:
            if age is not None and age < min_age:
                alerts.append(
                    Alert(
                        kind="population",
                        severity=_under_age_severity(ci.sk.documents[item.key], age),
                        drugs=[item.name],
                        involves=[item.key, *item.ingredients],
                        effect=f"说明书适用年龄为{min_age:g}岁以上，孩子{age:g}岁",
                        advice="该年龄的孩子不宜自行使用本品，请由药师评估。",
                        source="说明书【儿童用药】",
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
                        source="说明书【儿童用药】",
                        rule_id="population-child-age-unknown",
                    )
                )
    return alerts


# Conditions the label flags do not carry (青光眼, 前列腺增生, 蚕豆病, 糖尿病 …): found in the
# label's own text. 禁用 or the 禁忌 section → contraindicated; 慎用 or "only under a doctor"
# → major.
_FLAGGED = {
    "pregnant",
    "trying_to_conceive",
    "breastfeeding",
    "liver_disease",
    "kidney_disease",
    "elderly",
    "child",
    "infant",
}
_CAUTION = re.compile(r"慎用|医师指导|咨询医师|遵医嘱|不宜|应在医生")
_SENTENCE = re.compile(r"[。；;\n]")


@check
def label_conditions(ci: CheckInput) -> list[Alert]:
    """A condition the customer has (message or record) that the product's own 禁忌 or
    注意事项 names."""
    pops = (
        active_populations(
            ci.triage, ci.profile, ci.sk.populations_for_conditions(ci.profile.conditions)
        )
        - _FLAGGED
    )
    # A medicine of the record against a condition of the record was the prescriber's call
    # (metformin for a diabetic); only a condition the message adds is checked against it.
    said = {p.population for p in ci.triage.populations if not p.negated} - _FLAGGED
    # A condition of the record no lexicon entry knows (高钙血症) is looked for in the label as
    # written: an unknown word is read, never dropped.
    unknown = {
        normalize(c)
        for c in ci.profile.conditions
        if len(c) >= 2 and not ci.sk.populations_for_conditions([c])
    }
    # what the customer said of their conditions, for a subtype the label names (1型糖尿病)
    told = normalize(" ".join([*ci.profile.conditions, ci.message]))
    alerts = []
    seen: set[tuple[str, str]] = set()
    for item in ci.items:
        if not item.is_product or not (pops or unknown):
            continue
        doc = ci.sk.documents[item.key]
        candidates = sorted(said if item.source == "profile" else pops | unknown)
        for pop in candidates:
            words = [
                w
                for w in ci.sk.lexicon.populations.get(pop, [pop])
                if len(w) >= 2 and not _TREATMENT_WORD.search(w)
            ]
            found = _label_says(doc, words, told)
            if found is None:
                continue
            severity, sentence = found
            if (item.key, sentence) in seen:
                continue  # the same label line named by two of the customer's words
            seen.add((item.key, sentence))
            alerts.append(
                Alert(
                    kind="population",
                    severity=severity,
                    drugs=[item.name],
                    involves=[item.key, *item.ingredients, pop],
                    effect=f"说明书：{sentence.strip()[:80]}",
                    advice="顾客的情况在说明书禁忌或慎用之列，请由药师评估后再答复。",
                    source="说明书【禁忌】【注意事项】",
                    rule_id=f"label-condition-{pop}",
                )
            )
    return alerts


def _label_says(doc, words: list[str], told: str = ""):
    best = None
    for section in doc.sections:
        if section.heading not in ("禁忌", "注意事项", "警示语"):
            continue
        for sentence in _SENTENCE.split(section.text):
            if not any(_names(sentence, w, told) for w in words):
                continue
            if section.heading == "禁忌" or "禁用" in sentence:
                return "contraindicated", sentence
            if _CAUTION.search(sentence):
                best = best or ("major", sentence)
    return best


# After a condition's name: the end of the phrase, not a longer disease (糖尿病患者 names
# diabetes; 糖尿病酮症酸中毒 is another condition). A stage of the same disease still names it
# (溃疡病活动期患者, 哮喘急性发作期): the record rarely says the stage, so it is the pharmacist's
# question, not a reason to stay silent.
_PHRASE_END = re.compile(
    r"$|[，。、；;,:：）)或及和与等]|患者|病人|者|人群|史|的"
    r"|(?:急性发作|急性|活动|发作)期(?=患者|病人|者|人群|[，。、；;,]|$|禁用|慎用)"
)


# A population's words that tell it by its treatment (用胰岛素, 降糖药, 二甲双胍): how a customer
# says they have it, not how a label names it (应改用胰岛素 is advice, not diabetes named).
_TREATMENT_WORD = re.compile(r"药|胰岛素|双胍|^(吃|用|打|在)")


# A subtype written before the condition (1型糖尿病, Ⅱ型): the label names only that type.
_SUBTYPE = re.compile(r"(\d|[一二三四]|[IⅠⅡⅢ]{1,3})型$")
_TYPE_SAID = re.compile(r"(\d|[一二三四]|[IⅠⅡⅢ]{1,3})型")
_TYPE_NUMBER = {"一": "1", "二": "2", "三": "3", "四": "4", "I": "1", "Ⅰ": "1", "II": "2", "Ⅱ": "2"}


def _names(sentence: str, word: str, told: str = "") -> bool:
    """The sentence names the condition `word` as a phrase of its own. A subtype the label
    writes before it (1型糖尿病患者禁用) is named only for a customer who did not say another
    type (2型糖尿病): a type unsaid is read as possibly that one (the cautious reading)."""
    start = sentence.find(word)
    while start >= 0:
        if _PHRASE_END.match(sentence, start + len(word)) and not _other_type(
            sentence[:start], word, told
        ):
            return True
        start = sentence.find(word, start + 1)
    return False


def _other_type(before: str, word: str, told: str) -> bool:
    label_type = _SUBTYPE.search(before)
    if not label_type or word not in told:
        return False
    said = {_TYPE_NUMBER.get(m.group(1), m.group(1)) for m in _TYPE_SAID.finditer(told)}
    return bool(said) and _TYPE_NUMBER.get(label_type.group(1), label_type.group(1)) not in said


# An age above which the label's own text forbids or cautions the product (毓婷：40岁以上妇女
# 禁用; 65岁以上老人慎用): read from the label, checked against the adult's age.
_AGE_ABOVE = re.compile(
    r"(\d{2})\s*(周)?岁以上(的)?(妇女|女性|男性|者|患者|人群|老人|老年人|老年患者)?[^。；;]{0,4}?"
    r"(禁用|不宜|不推荐|慎用)"
)


@check
def label_age_limits(ci: CheckInput) -> list[Alert]:
    age = ci.triage.patient_age_years
    if age is None and not ci.triage.about_other_person:
        age = ci.profile.age_years
    if age is None or ci.triage.child_age_years is not None:
        return []
    alerts = []
    for item in ci.items:
        if not item.is_product or item.source == "profile":
            continue
        for section in ci.sk.documents[item.key].sections:
            if section.heading not in ("禁忌", "注意事项", "老年用药", "警示语"):
                continue
            m = _AGE_ABOVE.search(section.text)
            if m is None or age < int(m.group(1)):
                continue
            severity = "contraindicated" if m.group(5) == "禁用" else "major"
            alerts.append(
                Alert(
                    kind="population",
                    severity=severity,
                    drugs=[item.name],
                    involves=[item.key, *item.ingredients],
                    effect=f"说明书：{m.group(0)}；顾客{age:g}岁",
                    advice="顾客年龄在说明书禁用或慎用之列，请由药师评估后再答复。",
                    source=f"说明书【{section.heading}】",
                    rule_id="label-age-limit",
                )
            )
            break
    return alerts


# The label's own words for the youngest age (18岁以下患者禁用, 8岁以下儿童禁用): 禁用 makes a child
# below it a contraindication; otherwise (不宜, 慎用, 请咨询医师) a major caution.
_UNDER_AGE = re.compile(r"(\d{1,2})\s*(?:周)?岁以下[^。；;]{0,12}?(禁用|禁止使用|不得使用)")


def _under_age_severity(doc, age: float) -> str:
    for section in doc.sections:
        for m in _UNDER_AGE.finditer(section.text):
            if age < int(m.group(1)):
                return "contraindicated"
    return "major"
