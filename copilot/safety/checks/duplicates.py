"""The same ingredient from two products, with the summed daily maximum."""

from __future__ import annotations

from copilot.safety.checks.items import CheckInput, Item, check
from copilot.schemas import Alert


@check
def duplicate_ingredients(ci: CheckInput) -> list[Alert]:
    alerts = []
    products = [i for i in ci.items if i.is_product]
    by_key: dict[str, list[Item]] = {}
    for item in products:
        for key, classes in item.ingredients.items():
            if "tcm" not in classes:  # herbs shared by patent medicines are not double dosing
                by_key.setdefault(key, []).append(item)
    for key, holders in by_key.items():
        if len({h.group or h.key for h in holders}) < 2:
            continue  # one product, or alternatives for one name
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
