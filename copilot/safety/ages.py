"""Ages in a conversation, in years: a child's (宝宝8个月, 3岁半的孩子, 7周大, 出生20天, 满月,
百天; an age given as the answer to the agent's 多大了) and an adult's (我妈78了, 儿子28岁).
Read by triage; a son or daughter aged 18 or more is an adult, not a child."""

from __future__ import annotations

import itertools
import re

from copilot.ingest.lexicon import normalize
from copilot.safety.quantities import cn_to_number, with_halves
from copilot.schemas import Turn

# A word for a child (shared with triage: who a message is about).
CHILD_WORD = (
    r"(宝宝|孩子|小孩|儿子|女儿|闺女|娃|婴儿|小朋友|宝|外孙|孙子|孙女|侄子|老大|老二|老三"
    r"|阿仔|囡囡|小子|小家伙|丫头|崽)"
)
_NUM = r"(\d+(?:\.\d+)?|[一二两俩三四五六七八九十半]+[多来]?)"
# A person word, then an age in years: 岁 says it is an age, so a few words or a pause may sit
# between (儿子今年9岁, 那我儿子呢，9岁，35公斤).
_AGE_CHILD_YEARS = re.compile(CHILD_WORD + r"[^。？?！!]{0,6}?" + _NUM + r"\s*(岁半|周岁|岁)")
# A person word, then days, weeks or months: only age words may sit between (宝宝才3个月,
# 孩子刚满20天) and no dose or frequency may follow, or a duration or a frequency would be read as
# a baby's age (孩子一天喝多少, 孩子发烧三天了, 宝宝吃了两个月).
_AGE_CHILD_SMALL = re.compile(
    CHILD_WORD
    + r"(才|刚|刚刚|已经|现在|今年|只有|刚满|满|快|都|还不到|不到|还没|没|大概|差不多|出生)*"
    + _NUM
    + r"\s*(个多月|多个月|个月|多月|月|周半|多天|来天|天|周|个星期|个礼拜)"
    + r"(?![吃喝用服涂擦喂滴贴几多内里次后前之以左没不能可要最该])"
)
_AGE_PRONOUN_SMALL = re.compile(
    r"(他|她)(才|刚|刚满|满|已经|现在)?"
    + _NUM
    + r"\s*(周|个星期|个礼拜|天|个月|个多月)(大|了)?(?=[，。,？?！!\s]|$)"
)
_AGE_CHILD_BEFORE = re.compile(
    r"(\d+(?:\.\d+)?|[一二两俩三四五六七八九十半]+)\s*(个多月|个月|岁半|岁|周岁|周半|天|周|个星期)(大)?的?(宝宝|孩子|小孩|儿子|女儿|闺女|娃|婴儿|小朋友|宝)"
)
# An age in years under 14 said with no person word (才4岁, 七岁了) is a child's: an adult who
# gives their own age is older. Not a label's age limit (12岁以上, 6岁以下的儿童).
_AGE_BARE_CHILD = re.compile(
    r"(?<![\d.])(\d{1,2}|[一二两三四五六七八九十]+)\s*(岁半|周岁|岁)"
    r"(?!以上|以下|以内|及|至|到|-|~|～|以后|之前|之后|的时候|开始|左右)"
)
# An age said in days, weeks or months is a baby's whoever says it: 7周大, 出生20天, 两个月零几天,
# 生下来才十来天. Months need 大 / 零 / 出生 around them (吃了两个月 is a duration).
_AGE_INFANT_PLAIN = re.compile(
    r"(出生|生下来|刚生|刚出生|才生)[^，。,？?！!\d]{0,3}?(\d+|[一二两俩三四五六七八九十]+[多来]?)\s*(天|周|个星期|个礼拜|个月|个多月)"
    r"|(\d+|[一二两俩三四五六七八九十]+[多来]?)\s*(天|周|个星期|个礼拜|个月|个多月|月)(大|零|的(?=宝宝|宝|娃|孩子|婴儿|小孩|小宝|闺女|儿子))"
)
# Ages said with words: 新生儿, 刚出生 (days), 没满月 (< 1 month), 满月 (1), 双满月 (2), 百天 (3.3).
_AGE_WORDS: tuple[tuple[re.Pattern, float], ...] = (
    (re.compile(r"(新生儿|刚出生|刚生下来|才出生)"), 0.02),
    (re.compile(r"(没满月|未满月|不到满月|没出月子|还在月子里)"), 0.05),
    (re.compile(r"双满月"), 2 / 12),
    (re.compile(r"(?<![双没未到])满月(?![酒照宴])"), 1.1 / 12),
    (re.compile(r"(?<!过了)(百天|一百天)"), 100 / 365),
    # a school year said of a child: the youngest age in it (初二 → 13, 高一 → 15)
    (re.compile(r"(?<![年a-z\d])初一(?![日号])"), 12.0),
    (re.compile(r"(?<![年a-z\d])初二(?![日号])"), 13.0),
    (re.compile(r"(?<![年a-z\d])初三(?![日号])"), 14.0),
    (re.compile(r"高一"), 15.0),
    (re.compile(r"高二"), 16.0),
    (re.compile(r"高三"), 17.0),
)
# An age not reached yet (三个月都未够, 还不到两个月, 没满月): a little under the number said.
_SHORT_OF = re.compile(r"\s*(都|还)?(未够|不够|不到|没到|没满|不满|未满|不足)")
_NOT_YET_REACHED = re.compile(r"(还不到|不到|还没满|没满|不满|未满|不足)")
# The agent asked how old (多大, 几岁, 几个月): the customer's next turn answers with an age.
_ASKED_AGE = re.compile(r"(多大|几岁|几个月|年龄|月龄|多少岁|多少个月)")
_AGE_ANSWER = re.compile(
    r"(\d+(?:\.\d+)?|[一二两俩三四五六七八九十半]+[多来]?)\s*(个多月|个月|岁半|岁|周岁|天|周|个星期|个礼拜)"
)
# Days and weeks answer "多大了" only when said as an age (出生十天, 20天了, 两周大), never as a
# period of dosing (一天最多几次, 一周吃几次).
_SPAN_UNITS = ("天", "周", "个星期", "个礼拜")
_AGE_END = re.compile(r"(大|了|多了|整|左右)?\s*([，,。！!？?\s]|$|的(宝宝|孩子|小孩|娃))")
_NOT_AN_AGE_BEFORE = re.compile(r"(吃了|用了|服了|喝了|连续|每|吃|用|服|喝|隔|过了|已经)\s*$")
_AGE_ADULT = re.compile(
    r"(我|我爸|我妈|老人|爸爸|妈妈|父亲|母亲|爷爷|奶奶|外公|外婆|老公|老婆|本人)[^，。,？?！!]{0,4}?(\d+|[一二三四五六七八九十]+)\s*(岁|多岁|了)"
)
# An age said of a son, a daughter or "him/her" (她25了, 儿子28岁): whether they are children.
_AGE_OF_KIN = re.compile(
    r"(儿子|女儿|闺女|孩子|孙子|孙女|外孙|外孙女|他|她)[^，。,？?！!\d]{0,4}?(?<![大初高研博])"
    r"(\d+|[一二三四五六七八九十]+)\s*(岁|周岁|了)"
)  # not a school year (闺女大三了, 儿子高二了, 初一了)


# An adult's age opening the message with no unit (七十六了 高血压…, 本人65了): the patient's
_OPENING_AGE = re.compile(
    r"^(我|本人)?(今年|都|已经)?(\d{2,3}|[二三四五六七八九]十[一二三四五六七八九]?|一百)(多)?(了|岁)"
)
# An age said after 今年 with no unit (我儿子今年三十二, 她今年8): years.
_AGE_THIS_YEAR = re.compile(
    r"(儿子|女儿|闺女|孩子|他|她|我爸|我妈|老公|老婆|我)[^，。,？?！!\d]{0,3}今年\s*"
    r"(\d{1,3}|[一二三四五六七八九十]+)(?![\d.个天周月岁斤公块元多])"
)


def age_spans(text: str) -> list[tuple[int, int]]:
    """Where a child's age in months, weeks or days is said (宝宝2.5个月, 老二两个月了, 3个月大的
    宝宝): not a duration of anything (`text` with halves already written as decimals)."""
    return [
        m.span()
        for pattern in (_AGE_CHILD_SMALL, _AGE_CHILD_BEFORE, _AGE_INFANT_PLAIN)
        for m in pattern.finditer(text)
    ]


def read_ages(text: str) -> tuple[float | None, float | None]:
    """(youngest child age, adult age) in years. A son or daughter aged 18 or more is an
    adult (我儿子28了, 她25了), not a child."""
    text = with_halves(text)  # 两个半月 → 2.5个月
    child = None
    adult = None
    found: list[float] = []
    for pattern, num_group, unit_group in (
        (_AGE_CHILD_YEARS, 2, 3),
        (_AGE_CHILD_SMALL, 3, 4),
        (_AGE_CHILD_BEFORE, 1, 2),
    ):
        for m in pattern.finditer(text):
            years = _years(m.group(num_group), m.group(unit_group))
            if years is None:
                continue
            if _SHORT_OF.match(text, m.end()) or _NOT_YET_REACHED.search(m.group(0)):
                years -= 1 / 52  # 三个月都未够, 还没满三个月: under it (a week short)
            if years >= 18:
                adult = years
                continue
            found.append(years)
    if re.search(CHILD_WORD, text):
        # the child named, then 他 / 她 with an age in weeks, days or months at the end of a
        # clause (囡囡…烧到38.6 她十周)
        for m in _AGE_PRONOUN_SMALL.finditer(text):
            years = _years(m.group(3), "个星期" if m.group(4) == "周" else m.group(4))
            if years is not None and years < 2:
                found.append(years)
    for m in _AGE_BARE_CHILD.finditer(text):
        years = _years(m.group(1), m.group(2))
        if years is not None and (years < 14 or (years < 18 and m.start() <= 1)):
            found.append(years)  # (an age opening the message is the patient's: 17岁 咳得…)
        elif years is not None and years >= 18 and m.start() <= 1 and adult is None:
            adult = years  # 45岁了 昨晚…: an adult's age opening the message is the patient's
    for m in _AGE_INFANT_PLAIN.finditer(text):
        unit = m.group(3) or m.group(5)
        years = _years(m.group(2) or m.group(4), "个星期" if unit == "周" else unit)
        if years is not None and years < 2:
            found.append(years)
    for pattern, years in _AGE_WORDS:
        if pattern.search(text):
            found.append(years)
    for m in _AGE_THIS_YEAR.finditer(text):
        value = cn_to_number(m.group(2))
        if value is not None and value >= 18:
            adult = value
        elif value is not None and value >= 1:
            found.append(value)
    for m in _AGE_OF_KIN.finditer(text):
        value = cn_to_number(m.group(2))
        if value is not None and value >= 18:
            adult = value
        elif value is not None and value >= 1:
            found.append(value)  # 孩子十三了, 她七岁了
    opening = _OPENING_AGE.match(text.lstrip())
    if opening and adult is None:
        value = cn_to_number(opening.group(3))
        if value is not None and 18 <= value <= 120:
            adult = value
    if found:
        child = min(found)
    for m in _AGE_ADULT.finditer(text):
        value = cn_to_number(m.group(2))
        if value is not None and value >= 18:
            adult = value
        elif value is not None and m.group(1) in ("我", "本人") and 6 <= value < 18:
            # the customer a minor themselves (我17岁, 本人15岁): the patient is a child
            child = value if child is None else min(child, value)
    return child, adult


def _years(number: str, unit: str) -> float | None:
    value = cn_to_number(number)
    if value is None:
        return None
    if "月" in unit:
        return value / 12
    if unit == "周半":
        return value + 0.5  # 两周半: two and a half years (周 as 周岁)
    if unit == "周" and value <= 6:
        return value  # 宝宝两周了: 周岁 shorthand; a baby in weeks is 7周大, 出生3周
    if unit in ("周", "个星期", "个礼拜"):
        return value * 7 / 365
    if unit in ("天", "多天", "来天"):
        return (value + (1 if unit != "天" else 0)) / 365  # 50多天: a little over 50 days
    return value + 0.5 if unit == "岁半" else value


def answered_age(history: list[Turn], message: str) -> float | None:
    """An age given as the answer to the agent's question (客服：多大了？ 顾客：两个月零几天)."""
    turns = [*history, Turn(role="customer", text=message)]
    for before, turn in itertools.pairwise(turns):
        if before.role != "customer" and turn.role == "customer" and _ASKED_AGE.search(before.text):
            text = normalize(turn.text)
            for m in _AGE_ANSWER.finditer(text):
                if _NOT_AN_AGE_BEFORE.search(text[: m.start()]):
                    continue  # 吃了三天, 每天: how long or how often, not how old
                if m.group(2) in _SPAN_UNITS and not _AGE_END.match(text[m.end() :]):
                    continue  # 一天最多能吃几次, 一周吃几次: a period, not an age
                return _years(m.group(1), m.group(2))
    return None
