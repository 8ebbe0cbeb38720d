"""How long a symptom has lasted, from every way customers say it: a duration next to the
symptom (咳了两个多礼拜), the Nth day (都第五天了), a start said as a time ago or a weekday
(两周前开始, 前天开始烧的, 上周五开始), a duration given as the answer to the agent's
多久了, and time added since an earlier turn (又过了一个多礼拜). Read by triage for the
OTC-limit rules."""

from __future__ import annotations

import itertools
import re
from datetime import date

from copilot.ingest.lexicon import normalize
from copilot.safety.ages import age_spans
from copilot.safety.quantities import (
    cn_to_number,
    days,
    extract_quantities,
    weekday_span_days,
    with_halves,
)
from copilot.schemas import Turn

_SYMPTOM_DURATION = re.compile(
    r"(烧|发烧|发热|咳|咳嗽|疼|痛|拉|腹泻|哑|嘶哑|吐|过敏|痒|不好|不舒服|持续|已经|都|快|症状"
    r"|麻(?!烦)|肿|干涩|酸|胀|晕)"
    r"[^，。,？?！!]{0,4}?((\d+(?:\.\d+)?|好几|好些|十几|二十几|[一二两俩三四五六七八九十半]+[多来]?)\s*"
    r"(天|日|周|星期|个星期|个多星期|礼拜|个礼拜|个多礼拜|个多月|个月|多月|月))"
    # a period followed by a count is a rate (一周好几回, 一个月三四次), not a duration
    r"(?![^，。,？?！!]{0,2}(好几|几|[\d一二两三四五六七八九十]+)\s*(回|次|遍|趟))"
)
# Years (好些年了, 半年多了, 三年多了, 这几年一直): a long course, counted as days.
_YEARS = re.compile(
    r"(好些|好几|这几|这些|近几|几|半|\d+|[一二两三四五六七八九十]+)\s*个?(多)?年(?![级纪龄代底初])(头)?(多)?"
    r"(?=[^，。,？?！!]{0,1}(了|来|以上|都|一直|老|总|反复|没好|不好|还))"
)
_YEAR_WORDS = {"好些": 3, "好几": 3, "这几": 3, "这些": 3, "近几": 3, "几": 3, "半": 0.5}
_DURATION_PLAIN = re.compile(
    r"((\d+(?:\.\d+)?|好几|好些|十几|二十几|[一二两俩三四五六七八九十半]+[多来]?)\s*(天|日|周|星期|个星期|个多星期|礼拜|个礼拜|个多礼拜|个多月|个月|月))"
    r"(了|多了|以上|还没好|还不好|都没好)"
)


# Not better (还是疼, 还38度5, 烧还没退, 不管用): the symptom goes on.
PERSISTS = re.compile(
    r"还(是|在|没|不|疼|痛|烧|咳|痒|拉|吐|\d)|还有(点|些)|仍|依然|照样|没退|不退|没好|不见好|没见好|没用|不管用"
    r"|没效果|没缓解|不见轻|没减轻"
)
# A course of medicine said as its length (吃了三天退烧药, 达克宁用了五天): when the message says
# the symptom goes on, the symptom has lasted at least that long.
_COURSE = re.compile(
    r"(吃|用|喝|服|抹|涂|喷|擦)了?[^，。,？?！!\d一二两俩三四五六七八九十]{0,6}?"
    r"((\d+|[一二两俩三四五六七八九十半]+[多来]?)\s*"
    r"(天|日|周|星期|个星期|个多星期|礼拜|个礼拜|个多礼拜|个多月|个月|多月|月))"
)


# The day of an illness counted (都第五天了, 今天第4天): that many days.
_DAY_NUMBER = re.compile(r"第\s*(\d+|[二两三四五六七八九十]+)\s*天")


_SPAN = (
    r"((\d+(?:\.\d+)?|好几|[一二两俩三四五六七八九十半]+[多来几]?)\s*"
    r"(天|日|周|星期|个星期|个多星期|礼拜|个礼拜|个多礼拜|个多月|个月|多月|月))"
)
# A start said as a time ago (两周前就开始咳了, 前天开始烧的): that many days so far.
_AGO = re.compile(_SPAN + r"(以)?前[^，。,？?！!]{0,2}(开始|起|就)")
_DAYS_BEFORE = re.compile(r"(大前天|前天|昨天)[^，。,？?！!]{0,3}(开始|起)")
# More time gone since an earlier turn gave a duration (又过了一个多礼拜, 现在又拖了十来天).
_MORE = re.compile(
    r"(又|再)(过了|过去了|拖了|熬了|过)[^，。,？?！!\d一二两三四五六七八九十]{0,2}" + _SPAN
)


# The agent asked how long (多久了, 几天了): the customer's next turn answers with a duration.
_ASKED_HOW_LONG = re.compile(r"(多久|几天|多长时间|多少天|什么时候开始|哪天开始)")


def answered_days(history: list[Turn], message: str) -> float | None:
    """A duration given as the answer to the agent's question (客服：多久了？ 顾客：两个多礼拜)."""
    turns = [*history, Turn(role="customer", text=message)]
    best = None
    for before, turn in itertools.pairwise(turns):
        asked = before.role != "customer" and _ASKED_HOW_LONG.search(before.text)
        if not asked or turn.role != "customer":
            continue
        m = re.match(r"\s*" + _SPAN, normalize(turn.text))
        for q in extract_quantities(m.group(1)) if m else []:
            d = days(q)
            if d is not None:
                best = max(best or 0.0, d)
    return best


def symptom_days(text: str, earlier: str = "", answered: float | None = None) -> float | None:
    """The longest duration said; with `earlier` (the customer's earlier turns) and `answered`
    (a duration given as the answer to the agent's question), a message that adds time since
    then (又过了一个多礼拜) adds it to the duration those turns gave."""
    best = _said_days(text)
    if answered is not None:
        best = max(best or 0.0, answered)
    more = [
        d for m in _MORE.finditer(text) for q in extract_quantities(m.group(3)) if (d := days(q))
    ]
    if more and earlier:
        before = max(_said_days(earlier) or 0.0, answered or 0.0) or None
        if before is not None:
            best = max(best or 0.0, before + max(more))
    return best


# How far along a pregnancy is, or how long since a birth (怀孕3个月了, 孕28周, 生完孩子两个月, 产后
# 半年), or how long someone has worked, been married, been at school (上班好几年了, 结婚三年):
# a time of life, not how long a symptom has lasted.
_LIFE_SPAN = re.compile(
    r"(怀孕|怀了|孕|备孕|生完孩子|生完宝宝|生完|产后|坐月子|哺乳|喂奶|断奶"
    r"|上班|工作|参加工作|结婚|退休|上学|读书|上大学|当兵)[^，。,？?！!]{0,3}?"
    r"(\d+(?:\.\d+)?|好几|[一二两俩三四五六七八九十半几]+)[多来]?\s*(个多月|个月|多月|月|周|个星期|天|年)(多)?"
)


# An episode of the past told as over (去年吃坏肚子拉了一个礼拜 后来好了, 以前咳过一个月 早好了):
# how long it lasted then is not how long anything has lasted now.
_PAST_EPISODE = re.compile(
    r"(去年|前年|以前|之前|上次|那次|那回|小时候|几年前|上个月|上半年|年前)[^。？?！!]{0,30}?"
    r"(后来|早就|已经|早)?(好了|痊愈了?|没事了|好利索了?|治好了)"
)


# A day counted from an event (化疗完第8天, 术后第三天, 打完疫苗第2天, 出院第5天): when something
# happened, not how long a complaint has lasted.
_SINCE_EVENT = re.compile(
    r"(完|后|之后|以后|结束|出院|手术|术后|做完|打完|生完)[^，。,？?]{0,2}第\s*"
    r"(\d+|[一二两三四五六七八九十]+)\s*(天|周|个?星期)"
)
# How long an order, a parcel or a reply has taken (物流三天没动了, 快递五天还没到, 投诉两天没人理):
# not how long a symptom has lasted.
_SERVICE_SPAN = re.compile(
    r"(物流|快递|包裹|订单|发货|到货|退款|客服|投诉)[^，。,？?]{0,6}?"
    r"(\d+|好几|[一二两俩三四五六七八九十几]+)[多来]?\s*(天|周|个?星期|个?礼拜|小时)"
    r"|(\d+|好几|[一二两俩三四五六七八九十几]+)[多来]?\s*(天|周|个?星期|个?礼拜|小时)[^，。,？?]{0,3}"
    r"(没到|没动|没发|没更新|没收到|还没到|没人理|没回复|没消息)"
)


def _said_days(text: str) -> float | None:
    text = _LIFE_SPAN.sub(lambda m: "◇" * len(m.group(0)), text)
    text = _PAST_EPISODE.sub(lambda m: "◇" * len(m.group(0)), text)
    text = _SERVICE_SPAN.sub(lambda m: "◇" * len(m.group(0)), text)
    text = _SINCE_EVENT.sub(lambda m: "◇" * len(m.group(0)), text)
    text = with_halves(text)
    for start, end in age_spans(text):
        text = text[:start] + "◇" * (end - start) + text[end:]  # a child's age, not a duration
    best = weekday_span_days(text, date.today().weekday())
    for m in _YEARS.finditer(text):
        n = _YEAR_WORDS.get(m.group(1)) or cn_to_number(m.group(1))
        if n:
            more = (0.5 if n >= 1 else 0.1) if (m.group(2) or m.group(4)) else 0.0
            d = 365.0 * (n + more)
            best = max(best or 0.0, d)
    for m in _AGO.finditer(text):
        for q in extract_quantities(m.group(1)):
            d = days(q)
            if d is not None and (best is None or d > best):
                best = d
    for m in _DAYS_BEFORE.finditer(text):
        d = {"昨天": 2.0, "前天": 3.0, "大前天": 4.0}[m.group(1)]  # counting today
        best = max(best or 0.0, d)
    for m in _DAY_NUMBER.finditer(text):
        n = cn_to_number(m.group(1))
        if n is not None and (best is None or n > best):
            best = float(n)
    courses = [(_COURSE, 2)] if PERSISTS.search(text) else []
    for pattern, group in ((_SYMPTOM_DURATION, 2), (_DURATION_PLAIN, 1), *courses):
        for m in pattern.finditer(text):
            for q in extract_quantities(m.group(group)):
                d = days(q)
                if d is not None and (best is None or d > best):
                    best = d
    return best
