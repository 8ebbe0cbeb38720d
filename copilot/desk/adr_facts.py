"""What the customer told in the chat that an ADR report asks for: the pack's batch number (批号)
and maker (生产厂家), when the medicine was started, and how it was taken (一次2粒，一天3次).

The pharmacist asks for these with the report page's ready reply, and the customer answers in
the conversation (批号是B2308112，上周三开始吃的，一次两粒). Each customer message is read with
the time it arrived, so 昨天 / 3天前 / 吃了三天 / 上周三 / 11月20号 become dates. A fact is tied
to a medicine when the clause names it, or to the only suspected medicine when just one is;
otherwise it is left for the pharmacist. Nothing here decides anything: the facts only fill
fields that are still empty, and the pharmacist checks them before submitting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from copilot.safety.quantities import cn_to_number

_NUM = r"(?:\d{1,3}|[一二两三四五六七八九十]{1,3})"
_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_CLAUSE = re.compile(r"[^，,。；;！!？?\n]+")

_BATCH = re.compile(
    r"(?:生产批号|产品批号|批号|lot|LOT|Lot)\s*(?:号)?\s*(?:是|为|[:：])?\s*"
    r"([A-Za-z0-9][A-Za-z0-9\-]{3,24})"
)
_MAKER_SAID = re.compile(
    r"(?:生产)?(?:厂家|厂商|企业)\s*(?:是|为|叫|[:：])?\s*([\u4e00-\u9fff（）()]{2,30})"
)
_MAKER_NAMED = re.compile(
    r"(?:写着|写的是|是)?([\u4e00-\u9fff（）()]{2,16}?(?:制药|药业)(?:股份)?(?:有限)?(?:公司|厂|集团)?)"
)
_LEAD = re.compile(r"写着|写的是|是|[盒瓶袋]上(?:的)?|包装上(?:的)?")
_TAKE = r"(?:开始)?(?:吃|服|用|喝|涂|抹|擦|喷|贴|打)"
_WHEN = (
    r"(?P<day>大前天|前天|昨天|今天|今早|昨晚|前晚)"
    r"|(?P<ago>" + _NUM + r")\s*天(?:以)?前"
    r"|(?P<week>上上|上)(?:个)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天])"
    r"|(?:(?P<month>\d{1,2}|[一二三四五六七八九十]{1,3})月)?"
    r"(?P<dom>\d{1,2}|[一二三四五六七八九十]{1,3})(?:号|日)"
)
_STARTED = re.compile(
    rf"(?:{_WHEN})(?:早上|上午|中午|下午|晚上|夜里)?(?:就|才)?(?:开始|起)?{_TAKE}"
)
_FOR_DAYS = re.compile(rf"{_TAKE}了\s*(?P<n>{_NUM})\s*天")
_DOSE = re.compile(
    rf"(?:一次|每次)\s*(?:吃|服|用|喝|涂|喷|滴)?\s*(?P<n>{_NUM}|半)\s*"
    r"(?P<unit>片|粒|袋|包|支|毫升|ml|mL|滴|丸|喷)"
)
# stopped on a day said (今天早上就没再吃了, 昨天停的药, 前天开始停了)
_STOPPED = re.compile(
    rf"(?:{_WHEN})(?:早上|上午|中午|下午|晚上|夜里)?(?:就|以后|之后|开始|起)?"
    # (no other day between: 昨天开始吃的 今天停了 stopped today)
    r"(?:(?!今天|昨天|前天|天前|号|周|星期|吃的|用的)[^，。,]){0,6}"
    r"(?:没再|不再|停)(?:吃|用|服|喝|涂|药)?"
)
_FREQ = re.compile(rf"(?:一天|每天|一日|每日)\s*(?P<n>{_NUM})\s*次")


def _number(text: str) -> int | None:
    """A whole count or day number (3, 三, 十五, 两), by the safety layer's numeral reader."""
    value = cn_to_number(text)
    return int(value) if value is not None and value == int(value) else None


def _when(m: re.Match, said: date) -> date | None:
    if m.group("day"):
        back = {"大前天": 3, "前天": 2, "前晚": 2, "昨天": 1, "昨晚": 1}.get(m.group("day"), 0)
        return said - timedelta(days=back)
    if m.group("ago"):
        n = _number(m.group("ago"))
        return said - timedelta(days=n) if n is not None and n < 400 else None
    if m.group("week"):
        weeks = 2 if m.group("week") == "上上" else 1
        monday = said - timedelta(days=said.weekday() + 7 * weeks)
        return monday + timedelta(days=_WEEKDAY[m.group("wd")])
    if m.group("dom"):
        day = _number(m.group("dom"))
        month = _number(m.group("month")) if m.group("month") else said.month
        if not day or not month or month > 12:
            return None
        for year in (said.year, said.year - 1):
            try:
                d = date(year, month, day)
            except ValueError:
                return None
            if d <= said:
                return d
    return None


@dataclass
class DrugFacts:
    batch_no: str = ""
    maker: str = ""
    start_date: date | None = None
    stop_date: date | None = None
    dose: str = ""
    frequency: str = ""

    def fields(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass
class ChatFacts:
    """Facts per medicine (index into the report's drug list)."""

    by_drug: dict[int, DrugFacts] = field(default_factory=dict)


def read_facts(
    messages: list[tuple[str, datetime]], names: list[list[str]], suspected: list[int]
) -> ChatFacts:
    """Read the customer's `messages` (text, when it arrived) for the report's medicines:
    `names[i]` are the words that name medicine i, `suspected` the indexes of the suspected
    ones (a fact in a clause naming no medicine goes to the only suspected one)."""
    out = ChatFacts()
    for text, at in messages:
        said = at.date()
        current: int | None = None
        for clause in _CLAUSE.findall(text):
            named = [i for i, words in enumerate(names) if any(w and w in clause for w in words)]
            if len(named) == 1:
                current = named[0]
            elif len(named) > 1:
                current = None  # two medicines in one clause: which is whose is not clear
                continue
            only = suspected[0] if len(suspected) == 1 else None
            target = current if current is not None else only
            if target is None:
                continue
            facts = out.by_drug.setdefault(target, DrugFacts())
            if m := _BATCH.search(clause):
                facts.batch_no = facts.batch_no or m.group(1).upper()
            if (m := _MAKER_SAID.search(clause) or _MAKER_NAMED.search(clause)) and not facts.maker:
                # 药盒上写着华北制药 → 华北制药 (上海… keeps its 上)
                facts.maker = _LEAD.split(m.group(1))[-1]
            if (m := _STOPPED.search(clause)) and facts.stop_date is None:
                facts.stop_date = _when(m, said)
            if (m := _STARTED.search(clause)) and facts.start_date is None:
                facts.start_date = _when(m, said)
            elif (m := _FOR_DAYS.search(clause)) and facts.start_date is None:
                n = _number(m.group("n"))
                if n:
                    facts.start_date = said - timedelta(days=n - 1)  # day n is today
            if (m := _DOSE.search(clause)) and not facts.dose:
                n = m.group("n")
                amount = "0.5" if n == "半" else str(_number(n) or n)
                facts.dose = f"{amount}{m.group('unit')}"
            if (m := _FREQ.search(clause)) and not facts.frequency:
                facts.frequency = f"一日{_number(m.group('n')) or m.group('n')}次"
    out.by_drug = {i: f for i, f in out.by_drug.items() if f.fields()}
    return out
