"""Asked or taken doses compared with the label's single and daily maximum."""

from __future__ import annotations

import re

from copilot.safety.checks.items import CheckInput, check
from copilot.safety.quantities import _NUM, cn_to_number
from copilot.schemas import Alert

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
