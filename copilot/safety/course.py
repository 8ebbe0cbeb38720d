"""The course of a complaint, read from its structure rather than from listed sentences: a
complaint that keeps coming back (a count per period, a frequency adverb, or one that returns as
soon as the medicine stops) and a complaint that has gone on past any OTC self-care period
(longer than a week; the labels' own limits are shorter still). FACTS.md: recurring symptoms and
symptoms past the label limits go to a pharmacist (routine).

Both need a complaint in the same clause: a rate of doses (一天吃三次) or a medicine taken for a
long time without a complaint (高血压药吃了五年) is not a course of illness.
"""

from __future__ import annotations

import re

from copilot.safety.quantities import cn_to_number
from copilot.safety.tense import OVER

# Complaints customers describe, by stem: pain, fever, cough, bowels, stomach, skin, nose,
# throat, sleep, and words that stand for "the problem" (犯, 发作, 这样, 毛病).
COMPLAINT = (
    r"(疼|痛|酸|胀|咳|喘|烧|热|拉|泻|便秘|拉不出|吐|恶心|反酸|烧心|胃|溃疡|痒|疹|痘|癣|脚气|湿疹"
    r"|痔|鼻塞|鼻子[^，。,]{0,2}(不通|堵)|流鼻涕|喷嚏|嗓子|咽|哑|失眠|睡不着|晕|心慌|没劲|乏力"
    r"|不舒服|难受|犯|发作|复发|这样|毛病|起|长|出血|不好"
    # dryness, numbness, swelling, stiffness and the like (眼睛干涩, 腿麻, 脚肿, 耳鸣)
    r"|干涩|干燥|发干|口干|眼干|麻(?!烦)|木(?![瓜耳糖])|肿|僵|耳鸣|眼花|模糊|盗汗|掉头发|脱发|尿频|尿急)"
)
COMPLAINT_RE = re.compile(COMPLAINT)
_COMPLAINT = COMPLAINT_RE
_TAKE_NEAR = re.compile(r"(吃|服|喝|用|喷|涂|抹|擦|贴|冲|滴|吸|喂)")
_DOSING = re.compile(r"(片|粒|包|袋|支|毫升|ml|揿|喷|滴|克|g)(?![a-z])")
_COUNT = r"(?P<count>好几|几|[两二三四五六七八九十\d]+|一两|两三|三四|四五)"
_PERIOD = r"(天|日|周|星期|礼拜|个?月|年)"
_CLAUSE = r"[^，。,？?！!\n]"

# A count per period (一周好几回, 一个月犯三四次, 这周又疼了两回, 今年第三次) …
_RATE = re.compile(
    rf"((一|每|一个|每个)(个)?{_PERIOD}|(这|本|上)(个)?{_PERIOD}|最近|近来|今年|这半年)"
    rf"{_CLAUSE}{{0,6}}?{_COUNT}(回|次|遍|趟)"
)
# … a frequency said in words (隔三差五就犯, 三天两头, 时不时, 最近老这样, 老是反酸) …
_OFTEN = re.compile(
    r"(隔三差五|三天两头|时不时|动不动|反反复复|反复|老是|总是|经常|常常|一阵一阵又|每回|每次"
    r"|(?<![古])老(?=[犯疼痛咳拉这长起烧反毛]))"
)
_RETURNS = r"(冒|回来|反弹|又来|出来)"
# … or a complaint that returns when the medicine stops (一停又起, 不吃就反酸, 停了就犯).
_STOP_RETURNS = re.compile(
    rf"(一停|停了|停药|一不(吃|用|抹|涂|喷)|不(吃|用|抹|涂|喷)(了)?|断了)"
    # … a short while may pass between (停了 没两天又开始反酸, 药一断 过了三四天又痒)
    rf"({_CLAUSE}{{0,2}}|\s*(没|不到|才|过了)?[^，。,？?！!\n]{{0,3}}?天{_CLAUSE}{{0,1}})"
    rf"(就|又|就又|马上|立马){_CLAUSE}{{0,4}}({COMPLAINT}|{_RETURNS})"
)
# Where a spray or drop ran to is a place, not a complaint (老是喷完流到嗓子里, 滴眼药总流进嘴里).
_FLOWED_TO = re.compile(
    r"(流|滴|渗|跑|倒|喷)(到|进|入|出)(了)?" + _CLAUSE + r"{0,2}(嗓子|喉咙|眼睛|嘴|鼻子|耳朵|鼻腔)"
)
# What is over is not a course (以前老犯 现在好了, 早好了).
_PAST = re.compile(r"(以前|之前|过去|小时候|那会儿?)" + _CLAUSE + r"{0,4}$")


def _clause_at(text: str, start: int, end: int) -> str:
    left = max((m.end() for m in re.finditer(r"[。！!？?\n]", text[:start])), default=0)
    right = re.search(r"[。！!？?\n]", text[end:])
    return text[left : end + right.start() if right else len(text)]


def recurring(text: str) -> str | None:
    """The evidence that a complaint keeps coming back, or None."""
    for pattern in (_STOP_RETURNS, _RATE, _OFTEN):
        for m in pattern.finditer(text):
            clause = _clause_at(text, m.start(), m.end())
            if OVER.search(clause) or _PAST.search(text[: m.start()]):
                continue
            said = m.group(0)
            if pattern is _RATE and (
                _TAKE_NEAR.search(said) or _DOSING.search(said) or m.group("count") == "几"
            ):
                continue  # 一天吃三次, 一天几包 分几次: how often a dose is taken, or asked
            if pattern is _STOP_RETURNS or _COMPLAINT.search(_FLOWED_TO.sub("", clause)):
                return m.group(0)
    return None


# Days in a week or a month on which a medicine is taken (一周有四五天都在吃, 一个月得有十来天靠它,
# 几乎天天吃, 隔一天就得吃一回): how often someone lives on it, read with the medicine's class
# by triage (painkillers on ten or more days a month is overuse, FACTS.md routine).
_DAYS_ON = re.compile(
    rf"(一|每)(个)?(?P<period>周|星期|礼拜|月){_CLAUSE}{{0,5}}?"
    r"(?P<count>\d+|[两二三四五六七八九十]+|一两|两三|三四|四五|五六|十来|十几|二十来|二十几|好几)"
    rf"(个)?天{_CLAUSE}{{0,6}}?(吃|服|用|靠|喝)"
)
_DAILY = re.compile(
    rf"(天天|每天|几乎每天|差不多每天|隔一天|隔天|一天不落){_CLAUSE}{{0,6}}?(都|就|得|要)?"
    rf"{_CLAUSE}{{0,2}}(吃|服|用|靠|喝)"
)
# 每天吃两次 is how a dose is taken (a schedule), unless said as a habit (几乎每天都得吃一片)
_HABIT = re.compile(r"几乎|差不多|一天不落|都|得|靠|离不开")
_DOSE_RATE = re.compile(
    r"[^，。,？?！!\s]{0,2}?(\d+|[一两二三四五六七八九十几半]+)\s*(次|回|片|粒|袋|包|支|毫升|ml|顿)"
)
_FEW = {
    "一两": 2,
    "两三": 3,
    "三四": 4,
    "四五": 5,
    "五六": 6,
    "十来": 10,
    "十几": 12,
    "二十来": 20,
    "二十几": 22,
    "好几": 3,
}


def medicine_days_per_month(text: str) -> tuple[float, str] | None:
    """How many days a month a medicine is said to be taken, with the words that say it; None
    when the message gives no such rate (a rate of doses, 一天吃三次, is not one)."""
    best: tuple[float, str] | None = None
    for m in _DAYS_ON.finditer(text):
        n = _FEW.get(m.group("count")) or cn_to_number(m.group("count"))
        if not n:
            continue
        per_month = n * (30 / 7) if m.group("period") != "月" else float(n)
        if best is None or per_month > best[0]:
            best = (min(per_month, 30.0), m.group(0))
    m = next(
        (
            m
            for m in _DAILY.finditer(text)
            if _HABIT.search(m.group(0)) or not _DOSE_RATE.match(text, m.end())
        ),
        None,
    )
    if m and (best is None or best[0] < 15):
        best = (30.0 if not m.group(1).startswith("隔") else 15.0, m.group(0))
    return best


LONG_COURSE_DAYS = 7.0


def long_course(text: str, days: float | None) -> bool:
    """A complaint said to go on for longer than a week (鼻子一直不通 有三个礼拜了, 脚气膏抹了一个月
    还没好利索)."""
    if days is None or days <= LONG_COURSE_DAYS:
        return False
    return bool(_COMPLAINT.search(text)) and not OVER.search(text)
