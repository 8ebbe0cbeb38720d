"""Answer units: a label or policy section cut into the pieces an answer is made of.

A unit is one sentence, or one clause of a long sentence (split at ；), or one row of a dosing
table stated with its header ("1～3岁（10～15公斤）：一次4毫升"). Units keep their section and
their order, so the composer can quote the one that states the asked fact instead of the
section's first line. Units are cut once per chunk and cached (chunks never change while an
index is open).

Each unit also knows whom it is written for (`Band`): an age range, a weight range, "成人", so a
child's question is never answered with an adult's dose or another row of the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from copilot.safety.dose_tables import DoseRow, read_tables
from copilot.safety.quantities import cn_to_number
from copilot.schemas import Chunk

_SPLIT = re.compile(r"(?<=[。；;！!？?])")
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d+[.、)）]|[（(]\d+[)）])\s*")
_EMPTY = re.compile(r"^(?:尚不明确|尚无|暂无|不详)[。.]?$")
_NUM = r"(\d+(?:\.\d+)?|[一二两三四五六七八九十]+)"
_AGE_RANGE = re.compile(
    _NUM + r"\s*(个月|岁)?\s*(?:～|~|-|—|至|到)\s*" + _NUM + r"\s*(个月|周岁|岁)"
)
_AGE_SIDE = re.compile(_NUM + r"\s*(个月|周岁|岁)\s*(以上|以下|及以上|及以下|以内|以后)")
_WEIGHT_SIDE = re.compile(
    r"体重\s*(大于|超过|不足|小于|低于|>|<|≥|≤)\s*" + _NUM + r"\s*(?:公斤|千克|kg)"
    r"|" + _NUM + r"\s*(?:公斤|千克|kg)\s*(及以下|以下|以上|及以上)"
)
_ADULT = re.compile(r"成人|(?<!未)成年人")  # (未成年人 is a minor)


def _num(raw: str) -> float:
    return cn_to_number(raw) or 0.0


def _years(value: float, unit: str | None) -> float:
    return value / 12 if unit == "个月" else value


@dataclass(frozen=True)
class Band:
    """Whom a unit is written for. Empty (no ages, no weights, not adult-only): everyone."""

    ages: tuple[tuple[float, float], ...] = ()  # [low, high) in years
    weights: tuple[tuple[float, float], ...] = ()  # [low, high] in kg
    adult: bool = False  # names adults (成人)

    @property
    def empty(self) -> bool:
        return not self.ages and not self.weights and not self.adult

    def fits(self, *, age: float | None, weight: float | None, child: bool) -> bool | None:
        """True / False when the unit is / is not for this person; None when it cannot tell
        (a child of unknown age and weight before an age-banded unit)."""
        if self.empty:
            return True
        if weight is not None and self.weights:
            return any(lo <= weight <= hi for lo, hi in self.weights)
        if age is None and not child:
            age = 30.0  # nobody else named: an adult asks for themself
        if age is not None:
            if self.ages:
                inside = any(lo <= age < hi for lo, hi in self.ages)
                return inside or (self.adult and age >= 18)
            if self.weights:
                return None if age < 14 else True
            return age >= 12 if self.adult else True
        # a child of unknown age: an adult-only unit is not theirs; a banded one cannot tell
        if self.adult and not self.ages:
            return False
        return None


def read_band(text: str) -> Band:
    ages: list[tuple[float, float]] = []
    for m in _AGE_RANGE.finditer(text):
        lo_unit = m.group(2) or m.group(4)
        lo = _years(_num(m.group(1)), lo_unit)
        hi = _years(_num(m.group(3)), m.group(4))
        ages.append((lo, hi + (1 if m.group(4) != "个月" else 1 / 12)))
    for m in _AGE_SIDE.finditer(text):
        if _AGE_RANGE.search(text[max(0, m.start() - 6) : m.end()]):
            continue
        value = _years(_num(m.group(1)), m.group(2))
        if m.group(3) in ("以上", "及以上", "以后"):
            ages.append((value, 200.0))
        else:
            ages.append((0.0, value + (0 if m.group(3) == "以下" else 1)))
    weights: list[tuple[float, float]] = []
    for m in _WEIGHT_SIDE.finditer(text):
        if m.group(1):
            value = _num(m.group(2))
            if m.group(1) in ("大于", "超过", ">"):
                weights.append((value + 0.001, 1e9))
            elif m.group(1) == "≥":
                weights.append((value, 1e9))
            else:
                weights.append((0.0, value - (0 if m.group(1) == "≤" else 0.001)))
        else:
            value = _num(m.group(3))
            side = m.group(4)
            weights.append((value, 1e9) if "以上" in side else (0.0, value))
    return Band(ages=tuple(ages), weights=tuple(weights), adult=bool(_ADULT.search(text)))


@dataclass(frozen=True)
class Unit:
    text: str  # without the closing mark
    chunk: Chunk
    position: int
    band: Band = field(default_factory=Band)
    row: DoseRow | None = None  # set for a dosing-table row

    @property
    def section(self) -> str:
        return self.chunk.section

    def fits(self, *, age: float | None, weight: float | None, child: bool) -> bool | None:
        if self.row is not None:
            if weight is None and age is None:
                return None if child else self.row.age_min is not None and self.row.age_min >= 12
            return self.row.fits(age=age, weight=weight)
        return self.band.fits(age=age, weight=weight, child=child)


def _pieces(line: str) -> list[str]:
    line = _BULLET.sub("", line).strip()
    out = []
    for piece in _SPLIT.split(line):
        piece = piece.strip().rstrip("。；;")
        if len(piece) >= 4 and not _EMPTY.match(piece):
            out.append(piece)
    return out


def _by_band(piece: str) -> list[str]:
    """A sentence that gives several bands one after another ("体重大于30公斤一次1片，30公斤
    及以下一次半片") becomes one unit per band, each keeping the sentence's lead
    ("2～12岁儿童按体重给药：")."""
    band = read_band(piece)
    if len(band.weights) < 2 and len(band.ages) < 2:
        return [piece]
    lead, sep, rest = piece.partition("：")
    if not sep:
        lead, rest = "", piece
    parts = [p for p in re.split(r"[，,]", rest) if p]
    out: list[str] = []
    for part in parts:
        own = read_band(part)
        if (own.weights or own.ages) or not out:
            out.append(part)
        else:
            out[-1] += "，" + part
    if len(out) < 2:
        return [piece]
    return [(lead + "：" if lead else "") + p for p in out]


# How often a table's amounts are taken, said in the line that introduces the table (儿童按年龄
# 每日用量如下，每日用量均分3次服用；一日1次，剂量见下表): it belongs to every row.
_HOW_OFTEN = re.compile(
    r"[^，,。；;：:]*(?:均?分\s*[\d一二两三四]\s*次|(?:一日|每日|一天|每天)\s*[\d一二两三四]\s*次"
    r"|(?:每隔|间隔|每)\s*[\d一二两三四五六]+(?:\s*[～~\-至到]\s*[\d一二三四五六]+)?\s*(?:个)?小时)"
    r"[^，,。；;：:]*"
)


# Alternatives the label lists one per line (方法一：…  方法二：…).
_ALTERNATIVE = re.compile(r"^(?:方法|用法|方案)[一二三四1-4]\s*[：:]")


def _lines_after_tables(lines: list[str]) -> list[str]:
    """For each table in `lines`, the first text line after it ("" at the end): where a label
    says how often the table's amounts may be repeated (可间隔4～6小时重复用药一次)."""
    out = []
    for i, line in enumerate(lines):
        if line.strip().startswith("|") and not (
            i + 1 < len(lines) and lines[i + 1].strip().startswith("|")
        ):
            nxt = next((x.strip() for x in lines[i + 1 :] if x.strip()), "")
            out.append("" if nxt.startswith("|") else nxt)
    return out


def cut_units(chunk: Chunk) -> list[Unit]:
    """The units of one chunk, in order. Table rows become sentences with their header, and
    with how often the amounts are taken when the line before the table says it."""
    units: list[Unit] = []
    lines = chunk.text.splitlines()
    table: list[str] = []
    lead = ""  # the last text line before a table
    after = _lines_after_tables(lines)

    def flush_table() -> None:
        if not table:
            return
        rows = read_tables("\n".join(table))
        note = _HOW_OFTEN.search(lead) or _HOW_OFTEN.search(after.pop(0) if after else "")
        for row in rows:
            text = row.text
            if note and note.group(0).strip() not in text:
                text = f"{text}，{note.group(0).strip()}"
            units.append(Unit(text, chunk, len(units), read_band(row.text), row))
        if not rows:  # not a dosing table: each row as "header：cell" pairs
            header = [c.strip() for c in table[0].strip().strip("|").split("|")]
            for line in table[2:]:
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                text = "，".join(f"{h}：{c}" for h, c in zip(header, cells, strict=False) if c)
                if text:
                    units.append(Unit(text, chunk, len(units), read_band(text)))
        table.clear()

    for line in lines:
        stripped = line.strip()
        if stripped.startswith("|"):
            table.append(stripped)
            continue
        flush_table()
        if not stripped or stripped.startswith((">", "#")):
            continue
        lead = stripped
        band = Band()
        for piece in (p for whole in _pieces(stripped) for p in _by_band(whole)):
            # a clause with no band of its own continues the one before it on the line
            # ("2～5岁儿童：…2.5毫克；最大可增至5毫克" is still the 2～5岁 row)
            own = read_band(piece)
            band = own if not own.empty else band
            if _ALTERNATIVE.match(piece) and units and _ALTERNATIVE.match(units[-1].text):
                # 方法一：…；方法二：… are one answer: the alternatives stay together
                last = units[-1]
                units[-1] = Unit(f"{last.text}；{piece}", chunk, last.position, last.band)
                continue
            units.append(Unit(piece, chunk, len(units), band))
    flush_table()
    return units


class UnitCache:
    """Units per chunk id, cut on first use."""

    def __init__(self) -> None:
        self._units: dict[str, list[Unit]] = {}

    def of(self, chunk: Chunk) -> list[Unit]:
        units = self._units.get(chunk.id)
        if units is None:
            units = self._units[chunk.id] = cut_units(chunk)
        return units
