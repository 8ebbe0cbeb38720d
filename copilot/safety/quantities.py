"""Numbers with units in Chinese text: 0.3克, 一次2粒, 一日三次, 每4～6小时, 宝宝8个月, 38.5度.

Shared by triage (what the customer says) and the draft verifier (is every dose in a draft
grounded in a cited chunk).
"""

from __future__ import annotations

import re

from copilot.ingest.lexicon import normalize
from copilot.schemas import Quantity

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_DIGITS.update({"俩": 2, "仨": 3})
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_NUM = "[零〇一二两俩仨三四五六七八九十百千半]+"
# Approximate counts as customers say them: 十多粒, 二十来片, 十几片, 好几片, 三四片, 两个多星期.
# The number read is the smallest the words allow (十多 → 11, 好几 → 3) except a pair of
# neighbouring digits, which reads as the larger (三四片 → 4): either way an amount over a label
# maximum is still over it.
_APPROX = "(?:多|来|余|几)"
_NUM = rf"(?:\d+(?:\.\d+)?{_APPROX}?|好几|几十|{_CN_NUM}{_APPROX}?)"

# Unit → (canonical unit, kind, factor to the canonical unit)
UNITS: dict[str, tuple[str, str, float]] = {
    "mg": ("mg", "dose", 1),
    "毫克": ("mg", "dose", 1),
    "g": ("mg", "dose", 1000),
    "克": ("mg", "dose", 1000),
    "μg": ("mg", "dose", 0.001),
    "ug": ("mg", "dose", 0.001),
    "微克": ("mg", "dose", 0.001),
    "ml": ("ml", "dose", 1),
    "毫升": ("ml", "dose", 1),
    "iu": ("iu", "dose", 1),
    "单位": ("iu", "dose", 1),
    "万单位": ("iu", "dose", 10000),
    "片": ("片", "dose", 1),
    "粒": ("粒", "dose", 1),
    "袋": ("袋", "dose", 1),
    "包": ("袋", "dose", 1),
    "支": ("支", "dose", 1),
    "滴": ("滴", "dose", 1),
    "丸": ("丸", "dose", 1),
    "贴": ("贴", "dose", 1),
    "喷": ("喷", "dose", 1),
    "揿": ("喷", "dose", 1),
    "瓶": ("瓶", "dose", 1),
    "勺": ("勺", "dose", 1),
    "次": ("次", "frequency", 1),
    "小时": ("小时", "duration", 1),
    "分钟": ("分钟", "duration", 1),
    "天": ("天", "duration", 1),
    "日": ("天", "duration", 1),
    "周": ("周", "duration", 1),
    "个星期": ("周", "duration", 1),
    "礼拜": ("周", "duration", 1),
    "个礼拜": ("周", "duration", 1),
    "个多月": ("月", "duration", 1),
    "个多星期": ("周", "duration", 1),
    "个多礼拜": ("周", "duration", 1),
    "多星期": ("周", "duration", 1),
    "多个月": ("月", "duration", 1),
    "元": ("元", "money", 1),
    "块": ("元", "money", 1),
    "星期": ("周", "duration", 1),
    "个月": ("月", "duration", 1),
    "月": ("月", "duration", 1),
    "岁": ("岁", "age", 1),
    "周岁": ("岁", "age", 1),
    "kg": ("kg", "weight", 1),
    "公斤": ("kg", "weight", 1),
    "千克": ("kg", "weight", 1),
    "斤": ("kg", "weight", 0.5),
    "度": ("℃", "temperature", 1),
    "℃": ("℃", "temperature", 1),
    "°c": ("℃", "temperature", 1),
}
_UNIT_RE = "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True))
# "4～6小时" / "4-6小时" / "4至6小时": the first number takes the unit of the second.
_RANGE = re.compile(rf"({_NUM})\s*(?:~|～|-|—|至|到)\s*({_NUM})\s*({_UNIT_RE})")
# A digit right after a Latin letter is part of a name (维生素D3片, 辅酶Q10), not a quantity.
_SINGLE = re.compile(rf"(?<![a-z\d.])({_NUM})\s*({_UNIT_RE})")
# "一日3次" style frequency: keep "日/天" as context, the quantity is N 次.
_NOT_UNIT_AFTER = re.compile(r"^(?:[a-z])")
_STARTS_NUMBER = re.compile(rf"^\s*(?:最多|不超过|可)?\s*{_NUM}")


def cn_to_number(text: str) -> float | None:
    """Arabic or Chinese numerals → float (三 → 3, 十二 → 12, 两 → 2, 半 → 0.5, 0.3 → 0.3)."""
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    if text == "半":
        return 0.5
    if text in ("好几", "几"):
        return 3.0
    if text == "几十":
        return 20.0
    if text[-1] in "多来余几":
        base = cn_to_number(text[:-1])
        if base is None:
            return None
        # 十多 → 11, 二十来 → 21, 三十几 → 31; 一百多 → 101; 2多 (rare) → 2
        step = 1 if base >= 10 else 0
        return base + step
    if len(text) == 2 and text[0] in _CN_DIGITS and text[1] in _CN_DIGITS:
        a, b = _CN_DIGITS[text[0]], _CN_DIGITS[text[1]]
        if a and b == a + 1:
            return float(b)  # 三四片, 七八粒: the larger of two neighbours
    total, current = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (current or 1) * _CN_UNITS[ch]
            current = 0
        elif ch == "半":
            return total + current + 0.5
        else:
            return None
    return float(total + current)


# "And a half" between a count and its unit (两个半月, 一个半小时, 三天半 … 岁半 is read by its
# own unit): rewritten as a decimal before anything reads the number.
# (a numeral that belongs to the word before it is not part of the count: 老二两个半月 is
# 老二 + 2.5 months; the count's own numeral is one number, 二两 is not)
_CN_COUNT = (
    r"(?:十[一二三四五六七八九]?|[一二三四五六七八九]十[一二三四五六七八九]?"
    r"|[一二两俩三四五六七八九])"
)
_HALF = re.compile(
    rf"(?<![\d.])(?<![老初第])(\d+|{_CN_COUNT})\s*(个)?半\s*(个?月|小时|钟头|星期|礼拜)"
)
_HALF_AFTER = re.compile(rf"(?<![\d.])(?<![老初第])(\d+|{_CN_COUNT})\s*(天|周)半(?!年)")


def with_halves(text: str) -> str:
    """两个半月 → 2.5个月, 一个半小时 → 1.5小时, 三天半 → 3.5天."""

    def whole(m: re.Match, unit: str) -> str:
        value = cn_to_number(m.group(1))
        if value is None:
            return m.group(0)
        return f"{value + 0.5:g}{unit}"

    text = _HALF.sub(lambda m: whole(m, "个月" if "月" in m.group(3) else m.group(3)), text)
    return _HALF_AFTER.sub(lambda m: whole(m, m.group(2)), text)


def _quantity(number: str, unit: str, span_text: str) -> Quantity | None:
    value = cn_to_number(number)
    if value is None:
        return None
    canonical, kind, factor = UNITS[unit]
    return Quantity(text=span_text, value=round(value * factor, 6), unit=canonical, kind=kind)


_TEMP_TENTH = re.compile(r"(?<![\d.])(3[4-9]|4[0-2])\s*度\s*([0-9])(?![\d.度])")


def extract_quantities(text: str) -> list[Quantity]:
    """Every number-with-unit in text (normalised: NFKC, lower case)."""
    norm = with_halves(normalize(text))
    found: list[Quantity] = []
    taken: list[tuple[int, int]] = []
    for match in _RANGE.finditer(norm):
        unit = match.group(3)
        for number in (match.group(1), match.group(2)):
            q = _quantity(number, unit, match.group(0))
            if q:
                found.append(q)
        taken.append(match.span())
    # a temperature said with its tenth after 度 (38度1, 39度5): 38.1 ℃, not 38
    for match in _TEMP_TENTH.finditer(norm):
        value = float(match.group(1)) + float(match.group(2)) / 10
        found.append(Quantity(text=match.group(0), value=value, unit="℃", kind="temperature"))
        taken.append(match.span())
    for match in _SINGLE.finditer(norm):
        if any(a <= match.start() < b for a, b in taken):
            continue
        end = match.end()
        if match.group(2) in ("g", "mg", "ml", "kg", "ug", "iu") and _NOT_UNIT_AFTER.match(
            norm[end : end + 1]
        ):
            continue  # part of a word, not a unit
        if match.group(2) in ("日", "月") and norm[end : end + 1] in ("期", "份", "常", "光"):
            continue  # 日期, 月份, 日常, 日光
        if match.group(1) == "一" and (
            match.group(2) in ("日", "天")
            or (match.group(2) == "次" and _STARTS_NUMBER.match(norm[end:]))
        ):
            continue  # "一次1粒", "一日三次", "一天吃几次": "per dose" / "per day"
        q = _quantity(match.group(1), match.group(2), match.group(0))
        if q:
            found.append(q)
    return found


def days(q: Quantity) -> float | None:
    """A duration in days (周 → 7, 月 → 30, 小时 → 1/24). "And more" of a whole unit (一个多礼拜,
    两个多月) is read as half a unit more: over the number, as the customer means."""
    if q.kind != "duration":
        return None
    value = q.value + (0.5 if re.search(r"个多|多个|多(星期|礼拜|月)", q.text) else 0.0)
    return {"天": 1.0, "周": 7.0, "月": 30.0, "小时": 1 / 24, "分钟": 1 / 1440}[q.unit] * value


# A symptom's start said as a weekday (周二开始拉肚子, 上周五开始头疼), and today as one too
# (今天都周四了) or not (then today is the calendar's): the days between them.
_WEEKDAY_NUM = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}
_WEEKDAY_START = re.compile(
    r"(上上|上)?个?(周|星期|礼拜)([一二三四五六日天末])[^，。,？?！!]{0,3}(开始|起|那天|就|到现在|至今)"
)
_WEEKDAY_TODAY = re.compile(
    r"(今天|今儿|现在|到今天|今个)[^，。,？?！!\d]{0,3}?(周|星期|礼拜)([一二三四五六日天])"
)


def weekday_span_days(text: str, today_weekday: int) -> float | None:
    """Days from a weekday the symptom started to today (`today_weekday`: 0 Monday … 6 Sunday,
    used when the message does not say which day today is)."""
    start = _WEEKDAY_START.search(text)
    if start is None:
        return None
    begin = _WEEKDAY_NUM[start.group(3)]
    said_today = _WEEKDAY_TODAY.search(text, start.end())
    today = _WEEKDAY_NUM[said_today.group(3)] if said_today else today_weekday
    weeks_back = {"上": 1, "上上": 2}.get(start.group(1) or "", 0)
    if weeks_back:  # 上周五 → 今天周四: 6 days
        return float(today - begin + 7 * weeks_back)
    return float((today - begin) % 7)  # 周二 → 今天周六: 4 days
