"""Dosing tables in a label's 用法用量 (markdown tables): one row per age or weight band.

    | 年龄（岁） | 体重（公斤） | 一次用量（毫升） |
    | 1～3      | 10～15      | 4               |

Read once per label into `DoseRow`s: the band (ages in years, weights in kg; open ends for
"1岁以下", "12岁以上"), the dose range with its unit and whether it is per dose or per day, and the
row as one sentence with its header ("1～3岁（10～15公斤）：一次4毫升"). Used by the overdose check
(is this child's dose above its row?) and by the composer (answer with the row for this child).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from copilot.safety.quantities import cn_to_number

_RANGE = re.compile(
    r"(\d+(?:\.\d+)?|[一二两三四五六七八九十半]+)\s*(个月|岁|公斤|kg|千克)?"
    r"(?:\s*[～~\-至到]\s*(\d+(?:\.\d+)?|[一二两三四五六七八九十半]+)\s*(个月|岁|公斤|kg|千克)?)?"
    r"\s*(以下|以上|及以上|以内)?"
)
_DOSE = re.compile(
    r"(\d+(?:\.\d+)?)\s*(?:[～~\-至到]\s*(\d+(?:\.\d+)?))?\s*(毫升|ml|袋|包|片|粒|克|g|毫克|mg|滴)?"
)
_UNIT_IN_HEADER = re.compile(r"[（(](毫升|ml|袋|包|片|粒|克|毫克|滴)[）)]")
_SAME = {"ml": "毫升", "包": "袋", "g": "克", "mg": "毫克"}


@dataclass(frozen=True)
class DoseRow:
    age_min: float | None  # years; None: open
    age_max: float | None
    weight_min: float | None  # kg
    weight_max: float | None
    dose_min: float
    dose_max: float
    unit: str  # 毫升, 袋, 片 …
    per: str  # "dose" (一次) or "day" (每日)
    text: str  # the row as a sentence with its header

    def fits(self, *, age: float | None, weight: float | None) -> bool:
        if weight is not None and self.weight_min is not None:
            return self.weight_min <= weight <= (self.weight_max or 1e9) + 0.999
        if age is not None and (self.age_min is not None or self.age_max is not None):
            low = self.age_min if self.age_min is not None else -1
            high = self.age_max if self.age_max is not None else 200
            # a band 1～3岁 covers ages up to the day before the 4th birthday
            return low <= age < high + (1 if high == int(high) else 0)
        return False


def _band(cell: str, header: str) -> tuple[float | None, float | None]:
    m = _RANGE.search(cell)
    if not m:
        return None, None
    a, unit_a, b, unit_b, side = m.groups()
    unit = unit_b or unit_a or ("个月" if "月" in header else "")

    def to_value(text: str | None, u: str | None) -> float | None:
        value = cn_to_number(text) if text else None
        if value is None:
            return None
        return value / 12 if (u or unit) == "个月" else value

    low = to_value(a, unit_a)
    high = to_value(b, unit_b) if b else low
    if side in ("以下", "以内"):
        return None, low
    if side in ("以上", "及以上"):
        return low, None
    return low, high


def _split(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def read_tables(text: str) -> list[DoseRow]:
    rows: list[DoseRow] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].lstrip().startswith("|") or i + 1 >= len(lines):
            i += 1
            continue
        header = _split(lines[i])
        if not re.match(r"^\|?\s*:?-{3,}", lines[i + 1].strip()):
            i += 1
            continue
        age_col = next((k for k, h in enumerate(header) if "年龄" in h), None)
        weight_col = next((k for k, h in enumerate(header) if "体重" in h), None)
        dose_col = next(
            (k for k, h in enumerate(header) if "用量" in h or "剂量" in h or h == "用法"), None
        )
        i += 2
        while i < len(lines) and lines[i].lstrip().startswith("|"):
            cells = _split(lines[i])
            i += 1
            if dose_col is None or dose_col >= len(cells):
                continue
            row = _row(header, cells, age_col, weight_col, dose_col)
            if row is not None:
                rows.append(row)
    return rows


def _row(header, cells, age_col, weight_col, dose_col) -> DoseRow | None:
    dose_cell, dose_head = cells[dose_col], header[dose_col]
    m = _DOSE.search(dose_cell)
    if not m:
        return None
    unit_head = _UNIT_IN_HEADER.search(dose_head)
    unit = m.group(3) or (unit_head.group(1) if unit_head else "")
    unit = _SAME.get(unit, unit)
    low = float(m.group(1))
    high = float(m.group(2)) if m.group(2) else low
    per = "day" if re.search(r"每日|一日|每天", dose_head) and "一次" not in dose_cell else "dose"
    age = _band(cells[age_col], header[age_col]) if age_col is not None else (None, None)
    weight = (
        _band(cells[weight_col], header[weight_col]) if weight_col is not None else (None, None)
    )
    parts = []
    if age_col is not None:
        parts.append(cells[age_col] + ("岁" if "岁" in header[age_col] else ""))
    if weight_col is not None:
        parts.append(f"（{cells[weight_col]}{'公斤' if '公斤' in header[weight_col] else ''}）")
    amount = dose_cell if re.search(r"[一-龥]", dose_cell) else f"{dose_cell}{unit}"
    lead = (
        ""
        if amount.startswith(("一次", "每次", "每日", "一日"))
        else ("每日" if per == "day" else "一次")
    )
    extra = [
        f"{header[k]}{cells[k]}"
        for k in range(len(cells))
        if k not in (age_col, weight_col, dose_col) and k < len(header)
    ]
    text = "".join(parts) + "：" + lead + amount + ("，" + "，".join(extra) if extra else "")
    return DoseRow(
        age_min=age[0],
        age_max=age[1],
        weight_min=weight[0],
        weight_max=weight[1],
        dose_min=low,
        dose_max=high,
        unit=unit,
        per=per,
        text=text,
    )
