"""The customer's do-not-use list and products never sold online."""

from __future__ import annotations

from copilot.safety.checks.items import CheckInput, check
from copilot.schemas import Alert


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
                    effect="本品在顾客的个人禁用清单上",
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
            effect=f"本品不在本平台线上销售（{ci.sk.documents[item.key].label.never_online_reason}）",
            advice="不能在线购买本品，请由药师为您说明并建议线下就医购药。",
            source="药品网络销售禁止清单 / 本平台处方药政策",
            rule_id="never-online",
        )
        for item in ci.items
        if item.is_product and item.never_online and item.source in ("message", "cart", "history")
    ]
