"""Population contraindications from the label flags (pregnancy, children, elderly …)."""

from __future__ import annotations

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
