"""Each label's dose limits, read once from its 用法用量 section and front matter: the largest
single dose (一次1～2片 → 2 片) and the daily maximum in dosage units (24小时内最多4片; or the
front matter's max_daily_mg over per_unit_mg; or the largest 一日N次 times the largest single
dose). The overdose check compares what a customer took or asks about with these."""

from __future__ import annotations

import re
from dataclasses import dataclass

from copilot.safety.dose_tables import DoseRow, read_tables
from copilot.safety.quantities import _NUM, cn_to_number
from copilot.schemas import Document

UNIT = r"(片|粒|颗|袋|包|支|丸|ml|毫升|滴|喷|揿|勺)"
# Customers count tablets and capsules alike (吃了十多粒钙片, 一次两颗): one solid-dose count.
_SAME_UNIT = {"毫升": "ml", "包": "袋", "粒": "片", "颗": "片", "喷": "揿"}  # a puff is a puff
_PER_DOSE = re.compile(
    rf"(一次|每次)[^，。；\n\d]{{0,3}}?({_NUM})(?:\s*[～~\-至到]\s*({_NUM}))?\s*{UNIT}"
)
# 一次10毫克（1片）: a dose given in mg with the units in brackets
_PER_DOSE_MG = re.compile(
    rf"(一次|每次)[^，。；\n\d]{{0,3}}?(?:{_NUM}\s*[～~\-至到]\s*)?{_NUM}\s*(?:毫克|mg|克|g|汤匙|茶匙|勺)"
    rf"\s*[（(]\s*约?"
    rf"(?:{_NUM}\s*[～~\-至到]\s*)?({_NUM})\s*{UNIT}[）)]"
)
# 一次10mg / 一次0.1克 with no count: counted through the front matter's per_unit_mg
_PER_DOSE_MASS = re.compile(
    rf"(一次|每次)[^，。；\n\d]{{0,3}}?({_NUM})(?:\s*[～~\-至到]\s*({_NUM}))?\s*(毫克|mg|克|g)(?![（(])"
)
_MASS = {"毫克": 1.0, "mg": 1.0, "克": 1000.0, "g": 1000.0}
# a single dose written by its interval or its moment, not 一次 (每12小时服1粒, 每6小时1片,
# 临睡前服用1片, 单次口服2片, 先服1片)
_PER_DOSE_TIMED = re.compile(
    rf"(每\s*{_NUM}\s*个?小时|单次|先|临睡前|睡前|每晚|每早)[^，。；\n\d]{{0,4}}?"
    rf"({_NUM})(?:\s*[～~\-至到]\s*({_NUM}))?\s*{UNIT}"
)
# a daily amount in units (成人及12岁以上儿童：一日2片): the day's most when nothing says more
_DAY_AMOUNT = re.compile(
    rf"(一日|每日|一天|每天)\s*({_NUM})(?:\s*[～~\-至到]\s*({_NUM}))?\s*{UNIT}(?!\s*[（(])"
)


def _counted_form(form: str) -> str | None:
    """片 for tablets (薄膜衣片, 肠溶片 …), 粒 for capsules; None for forms not counted."""
    if form.endswith(("片", "片剂")):
        return "片"
    if "胶囊" in form:
        return "粒"
    return None


_DAY_MAX = re.compile(
    rf"(24小时内|一日|每日|一天|每天)(最多|不得超过|不超过|不宜超过|最大量为?)[^，。；\n\d]{{0,4}}?"
    rf"({_NUM})\s*{UNIT}"
)
_AND_MORE = re.compile(rf"\s*(?:加|另加|和|及)[^，。；\n\d]{{0,5}}?({_NUM})\s*{UNIT}")
_TIMES_MAX = re.compile(rf"(24小时内|一日|每日)(最多|不得超过|不超过)?\s*({_NUM})\s*次")
_TIMES = re.compile(rf"(一日|每日|一天|每天)\s*({_NUM})(?:\s*[～~\-至到]\s*({_NUM}))?\s*次")


def unit_of(text: str) -> str:
    return _SAME_UNIT.get(text, text)


@dataclass(frozen=True)
class DoseLimit:
    unit: str  # the dosage unit compared (片 for tablets and capsules alike, 袋, ml …)
    per_dose: float | None  # largest single dose in units
    per_day: float | None  # daily maximum in units
    shown: str = ""  # the unit as the label prints it (粒 for a capsule), for messages
    first_dose: float | None = None  # a larger first dose the label allows (首次剂量加倍)
    # days a week the medicine may be taken when the label doses it weekly only (甲氨蝶呤：每周只在
    # 1～2天用药): taking it every day is an overdose whatever the count of tablets
    days_per_week: float | None = None
    times_per_day: float | None = None  # the most doses a day (24小时内不得超过4次, 一日3次)


def dose_rows(doc: Document) -> list[DoseRow]:
    """The label's dosing table rows (age / weight bands), if it has a table."""
    return read_tables("\n".join(s.text for s in doc.sections if s.heading == "用法用量"))


def read_limits(doc: Document) -> DoseLimit | None:
    lab = doc.label
    if lab is None:
        return None
    text = "\n".join(s.text for s in doc.sections if s.heading == "用法用量")
    doses: dict[str, float] = {}
    printed = {}
    for m in _PER_DOSE.finditer(text):
        printed.setdefault(unit_of(m.group(4)), m.group(4))
        value = max(cn_to_number(m.group(2)) or 0, cn_to_number(m.group(3) or "") or 0)
        unit = unit_of(m.group(4))
        doses[unit] = max(doses.get(unit, 0), value)
    for m in _PER_DOSE_MG.finditer(text):
        unit = unit_of(m.group(3))
        doses[unit] = max(doses.get(unit, 0), cn_to_number(m.group(2)) or 0)
    for m in _PER_DOSE_TIMED.finditer(text):
        unit = unit_of(m.group(4))
        printed.setdefault(unit, m.group(4))
        value = max(cn_to_number(m.group(2)) or 0, cn_to_number(m.group(3) or "") or 0)
        doses[unit] = max(doses.get(unit, 0), value)
    form = _counted_form(lab.dosage_form or "")
    single = [i for i in lab.ingredients if i.per_unit_mg]
    front_day = [i.max_daily_mg / i.per_unit_mg for i in single if i.max_daily_mg]
    if not doses and form and len(single) == 1:
        for m in _PER_DOSE_MASS.finditer(text):
            top = max(cn_to_number(m.group(2)) or 0, cn_to_number(m.group(3) or "") or 0)
            units = top * _MASS[m.group(4)] / single[0].per_unit_mg
            if units:
                doses["片"] = max(doses.get("片", 0), units)
                printed.setdefault("片", form)
    amounts: dict[str, float] = {}
    for m in _DAY_AMOUNT.finditer(text):
        value = max(cn_to_number(m.group(2)) or 0, cn_to_number(m.group(3) or "") or 0)
        amounts[unit_of(m.group(4))] = max(amounts.get(unit_of(m.group(4)), 0), value)
    if not doses and form and (front_day or amounts.get(form)):
        # a label that doses in mg a day only (格列美脲：最大推荐剂量为每日6mg; 一日2片): no
        # single dose printed, the day's most still known, from the front matter (validated at
        # build time) or the daily amount in units
        day = min(front_day) if front_day else amounts[form]
        return DoseLimit(
            unit=form,
            per_dose=None,
            per_day=day,
            shown=form,
            times_per_day=_times_per_day(text),
        )
    if not doses:
        # a label that doses by a table only (混悬液 by age and weight): the rows hold the
        # amounts (dose_rows); how many doses a day is still the label's limit
        times = _times_per_day(text)
        return (
            DoseLimit(unit="次", per_dose=None, per_day=None, times_per_day=times)
            if times
            else None
        )
    unit = next(iter(doses))  # the label's own unit: the first one its dosing names
    per_dose = doses[unit]
    per_day = None
    for m in _DAY_MAX.finditer(text):
        if unit_of(m.group(4)) == unit:
            value = cn_to_number(m.group(3)) or 0
            more = _AND_MORE.match(text, m.end())  # 日用片2片加夜用片1片: the two together
            if more and unit_of(more.group(2)) == unit:
                value += cn_to_number(more.group(1)) or 0
            per_day = max(per_day or 0, value) or per_day
    if per_day is None:
        ing = [i for i in lab.ingredients if i.per_unit_mg and i.max_daily_mg]
        if ing and unit in ("片", "粒", "丸"):
            per_day = min(i.max_daily_mg / i.per_unit_mg for i in ing)
    if per_day is None:
        times = [cn_to_number(m.group(3)) or 0 for m in _TIMES_MAX.finditer(text)]
        times += [
            max(cn_to_number(m.group(2)) or 0, cn_to_number(m.group(3) or "") or 0)
            for m in _TIMES.finditer(text)
        ]
        if times and max(times):
            per_day = max(times) * per_dose
    first_dose = None
    if per_dose and _FIRST_DOUBLED.search(text):
        first_dose = per_dose * 2
    return DoseLimit(
        unit=unit,
        per_dose=per_dose or None,
        per_day=per_day or None,
        shown=printed.get(unit, unit),
        first_dose=first_dose,
        days_per_week=_weekly_days(text),
        times_per_day=_times_per_day(text),
    )


def _times_per_day(text: str) -> float | None:
    """The most doses a day the label allows: its stated maximum (24小时内不得超过4次), else the
    largest 一日N次."""
    stated = [cn_to_number(m.group(3)) or 0 for m in _TIMES_MAX.finditer(text) if m.group(2)]
    if stated and max(stated):
        return max(stated)
    times = [
        max(cn_to_number(m.group(2)) or 0, cn_to_number(m.group(3) or "") or 0)
        for m in _TIMES.finditer(text)
    ]
    return max(times) if times and max(times) else None


_WEEKLY = re.compile(
    rf"每周(?:只在|仅在|仅|只)?\s*({_NUM})(?:\s*[～~\-至到]\s*({_NUM}))?\s*(?:天|日|次)(?:用药|服药|服用)?"
)
_DAILY = re.compile(r"(一日|每日|一天|每天)\s*[\d一二两三四五六]")


def _weekly_days(text: str) -> float | None:
    """The most days a week of a label that doses weekly only (每周只在1～2天用药, 每周1次) and
    never daily (利尿药 每日1～2次 … 或每周连服3～5日 is daily dosing)."""
    if _DAILY.search(text):
        return None
    days = [
        max(cn_to_number(m.group(1)) or 0, cn_to_number(m.group(2) or "") or 0)
        for m in _WEEKLY.finditer(text)
    ]
    return max(days) if days and max(days) else None


# A loading dose the label allows (治疗急性腹泻时，首次剂量应加倍; 首剂加倍)
_FIRST_DOUBLED = re.compile(r"(首次|首剂|第一次)[^。；;]{0,4}(剂量|用量)?[^。；;]{0,2}加倍")


# The label's own limit on self-treatment (服药3天症状无缓解，应去医院就诊; 用药3～7天症状未缓解,
# 请咨询医师或药师; 使用14天后症状仍未改善): the fewest days it names.
_COURSE_LIMIT = re.compile(
    rf"(服药|用药|使用|连续使用)[^。；]{{0,5}}?({_NUM})(?:\s*[～~\-至到]\s*{_NUM})?\s*(天|日)"
    r"[^。；]{0,4}(症状)?[^。；]{0,4}(无|未|没有|不见)(缓解|改善|好转|消失|减轻)"
)
# A plain limit on self-treatment (连续使用不得超过7天, 连用不宜超过5日)
_COURSE_CAP = re.compile(
    rf"(连续使用|连续服用|连续用药|连用|连服)(不得|不宜|不应|不要|不能)超过\s*({_NUM})\s*(天|日)"
)


def read_course_limit(doc: Document) -> float | None:
    """Days of self-treatment after which the label says to see a doctor if not better."""
    text = "\n".join(s.text for s in doc.sections)
    days = [cn_to_number(m.group(2)) for m in _COURSE_LIMIT.finditer(text)]
    days += [cn_to_number(m.group(3)) for m in _COURSE_CAP.finditer(text)]
    days = [d for d in days if d]
    return min(days) if days else None


# An age a dose line of 用法用量 is written for (6～12岁儿童：一次半片, 12岁以上儿童及成人, 2～12岁
# 儿童), and lines that give children no dose (小儿酌减, 儿童用量请咨询医师或药师, 儿童遵医嘱).
_CHILD_AGE_LINE = re.compile(
    rf"({_NUM})\s*(个月|岁)?\s*(?:[～~\-至到]\s*{_NUM}\s*(?:个月|岁))?\s*(?:以上|及以上)?[^，。；\n]{{0,4}}?(儿童|小儿|婴幼儿|幼儿|孩子)"
    rf"|(儿童|小儿)[^，。；\n]{{0,3}}?({_NUM})\s*(个月|岁)"
)
_NO_CHILD_DOSE = re.compile(r"酌减|遵医嘱|请咨询|咨询医师|尚不明确|未给出|不推荐|禁用")
_CHILD_DOSE = re.compile(r"(儿童|小儿|婴幼儿|幼儿)[^。\n]{0,12}?(一次|每次|每日|一日)")


def read_child_dose_age(doc: Document) -> float | None:
    """The youngest age (years) the label's 用法用量 writes a dose for, 0 for a table or a child
    dose with no age; None when it writes none for children (小儿酌减, adults only): a child's
    dose is then a question the label does not answer."""
    text = "\n".join(s.text for s in doc.sections if s.heading == "用法用量")
    ages: list[float] = []
    for row in dose_rows(doc):
        ages.append(row.age_min if row.age_min is not None else 0.0)
    for line in text.splitlines():
        if _NO_CHILD_DOSE.search(line) and not re.search(r"一次|每次|一日|每日", line):
            continue
        for m in _CHILD_AGE_LINE.finditer(line):
            number, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(5), m.group(6))
            value = cn_to_number(number)
            if value is None or not re.search(r"一次|每次|一日|每日|用量", line):
                continue
            if re.match(r"\s*(个月|岁)?\s*(以下|以内|及以下)", line[m.end(1) :]):
                value = 0.0  # 12岁以下儿童：一日1片 is a dose from birth up, not from 12
            ages.append(value / 12 if unit == "个月" else value)
        if not ages and _CHILD_DOSE.search(line) and not _NO_CHILD_DOSE.search(line):
            ages.append(0.0)
    return min(ages) if ages else None
