"""A time of day the customer gives (晚上11点上传的处方, 下午五点下单, 凌晨两点), and the hours a
policy unit's time window covers (每日8:00–22:00提交的, 22:00以后提交的, 16:00前付款的): a
unit whose window does not contain the customer's time answers someone else's case."""

from __future__ import annotations

import re

from copilot.safety.quantities import cn_to_number

_NUM = r"(\d{1,2}|[零一二两三四五六七八九十]{1,3})"
_SAID = re.compile(
    rf"(早上|早晨|上午|中午|下午|傍晚|晚上|夜里|半夜|深夜|凌晨)?\s*{_NUM}\s*(?:点|:|：|时)(半|\d{{2}})?"
)
_PM = {"下午", "傍晚", "晚上", "夜里", "深夜"}
_RANGE = re.compile(r"(\d{1,2}):(\d{2})\s*(?:–|-|~|～|—|至|到)\s*(?:次日)?(\d{1,2}):(\d{2})")
_AFTER = re.compile(r"(\d{1,2}):(\d{2})\s*(?:以后|之后|后)")
_BEFORE = re.compile(r"(\d{1,2}):(\d{2})\s*(?:以前|之前|前)")


def said_hour(text: str) -> float | None:
    """The hour of day (0–24) the message names, or None. 晚上11点 → 23; 凌晨2点 → 2; 12点半 →
    12.5. A bare number below 8 with no part of the day is left alone (3点 may be either)."""
    for m in _SAID.finditer(text):
        part, number, minutes = m.group(1), cn_to_number(m.group(2)), m.group(3)
        if number is None or number > 24:
            continue
        hour = float(number)
        if (part in _PM and hour < 12) or (part == "中午" and hour < 6):
            hour += 12
        elif part in ("半夜", "深夜") and hour == 12:
            hour = 24
        elif part is None and hour < 8:
            continue
        if minutes == "半":
            hour += 0.5
        elif minutes:
            hour += int(minutes) / 60
        return hour % 24
    return None


def window_contains(unit_text: str, hour: float) -> bool | None:
    """Whether one of the unit's time windows contains `hour` (16:00前付款的当日发货，16:00后
    付款的次日发货 holds every hour); None when it states no window."""
    held: list[bool] = []
    for m in _RANGE.finditer(unit_text):
        start = int(m.group(1)) + int(m.group(2)) / 60
        end = int(m.group(3)) + int(m.group(4)) / 60
        if end <= start:  # 22:00至次日8:00
            held.append(hour >= start or hour < end)
        else:
            held.append(start <= hour < end)
    rest = _RANGE.sub(" ", unit_text)
    for m in _AFTER.finditer(rest):
        start = int(m.group(1)) + int(m.group(2)) / 60
        held.append(hour >= start or hour < 6)  # the night goes on after midnight
    for m in _BEFORE.finditer(rest):
        held.append(hour < int(m.group(1)) + int(m.group(2)) / 60)
    return any(held) if held else None
