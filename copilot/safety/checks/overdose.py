"""Doses the customer took or asks about, compared with the label's largest single dose and
daily maximum (safety/dose_limits.py): 一次3片, 一次2粒一天4次, 今天已经吃了7片, 一天喝5袋.

Which product the numbers belong to: the one product the message names; else the one product
of the earlier turns, then of the cart, then of the current medicines ("这个一次吃3片行吗").
A name several products share counts as one product, the one whose dosage unit the customer
used (对乙酰氨基酚…片 → the tablet)."""

from __future__ import annotations

import re

from copilot.safety.checks.items import INTO_MOUTH, TAKE, CheckInput, Item, check, dosed_in
from copilot.safety.dose_limits import UNIT, unit_of
from copilot.safety.patient import child_age
from copilot.safety.quantities import _NUM, cn_to_number
from copilot.safety.tense import said_to_happen
from copilot.schemas import Alert

_PER_DOSE = re.compile(
    # a dose said by the meal it goes with (饭前两片, 每顿三粒) is a dose too
    rf"(一次|每次|一回|一下子|一口气|同时|每顿|一顿|饭前|饭后|餐前|餐后)[^，。,\d]{{0,3}}?({_NUM})\s*{UNIT}"
)
# (a symptom counted per day is not a dose: 一天拉五六次, 一天吐了三次, 一天咳十几回)
_PER_DAY = re.compile(
    rf"(一天|一日|每天|每日|天天)(?:(?!拉|吐|咳|尿|泻|便|烧|疼|痛|醒|抽|发作|喘|晕)[^，。,\d]){{0,8}}?"
    rf"({_NUM})\s*(次|回|遍|顿)"
)
_TWICE_EACH = re.compile(rf"早晚各[^，。,\d]{{0,2}}?({_NUM})\s*{UNIT}")
_EVERY_HOURS = re.compile(
    rf"每(隔)?\s*({_NUM})\s*个?(钟头|小时)[^，。,\d]{{0,3}}?({_NUM})\s*{UNIT}"
)
# A day's doses said by the time of day (早上一片晚上一片, 上午2粒 下午2粒 睡前1粒): summed when
# two or more times are named.
_AT_TIME = re.compile(
    rf"(早上|早晨|早起|上午|中午|午饭|下午|傍晚|晚上|晚饭|睡前|夜里|半夜|(?<![提趁尽])早|(?<![傍今昨明])晚)"
    rf"[^，。,\d]{{0,3}}?({_NUM})\s*{UNIT}"
)
# Times of the day listed, then one amount for each (早上8点 中午12点 下午4点 晚上8点各吃一片):
# as many doses as times named; and a count of takings said with clock times (一点 三点 五点
# 七点又各喂了一次 一共六次了): that many doses today.
_CLOCK = re.compile(
    r"(早上|早晨|上午|中午|下午|傍晚|晚上|睡前|夜里|半夜|凌晨)?\s*(\d{1,2}|[一二两三四五六七八九十]{1,3})\s*点半?"
    r"|早上|早晨|上午|中午|下午|傍晚|晚上|睡前|夜里|半夜|凌晨"
)
_EACH = re.compile(rf"各(?:{TAKE}|喂|用|喷)?了?\s*({_NUM})\s*{UNIT}")
_TOTAL_TIMES = re.compile(rf"(一共|总共|前后|加起来)[^，。,\d]{{0,3}}({_NUM})\s*(次|回|遍)")


_EACH_DOSE = re.compile(rf"(每次|每回)[^，。,\d]{{0,3}}?({_NUM})\s*{UNIT}")


def _clock_list_doses(text: str) -> list[float]:
    """Clock times listed, then the amount of each dose (早上6点 9点 12点 … 每次喂1.5毫升): as
    many doses that day as times listed (three or more)."""
    out = []
    for dose in _EACH_DOSE.finditer(text):
        start = max(text.rfind(c, 0, dose.start()) for c in "。？?！!\n") + 1
        times = len(_CLOCK.findall(text[start : dose.start()]))
        if times >= 3:
            out.append(float(times))
    return out


def _each_at_times(text: str) -> list[tuple[float, str]]:
    """(daily amount, unit) for amounts said once for several listed times."""
    out = []
    for m in _EACH.finditer(text):
        start = max(text.rfind(c, 0, m.start()) for c in "。？?！!\n") + 1
        times = len(_CLOCK.findall(text[start : m.start()]))
        value = cn_to_number(m.group(1))
        if times >= 2 and value:
            out.append((value * times, unit_of(m.group(2))))
    return out


_THREE_TIMES = re.compile(rf"(早中晚|早午晚|一日三餐)各?(吃|服|喝|用)?\s*({_NUM})")
_DAY_TOTAL = re.compile(
    rf"(今天|一天|一日|每天|24小时)[^，。,\d]{{0,8}}?({TAKE}|用)了?\s*({_NUM})\s*{UNIT}"
)
# A day's amount said with no verb (钙尔奇我一天三片, 每天4粒行吗): the amount right after the day
# word, with no count of times or dose frame between (一天两次每次两片 is not a day of 两片)
_DAY_AMOUNT = re.compile(
    rf"(一天|一日|每天|每日|天天|24小时内?)(?:(?!次|回|顿|遍|每|一次|早|晚)[^，。,\d]){{0,4}}?"
    rf"(?<![一二两三四五六七八九十几\d])({_NUM})\s*{UNIT}"
)
# An amount the customer wants to go up to (能喝到四五包不, 加到三片行吗, 吃到6粒): read in the
# frame said before it in the message (一天三包不顶事 … → a day's amount; 一次一片 … → a dose).
_UP_TO = re.compile(
    rf"({TAKE}|用|加|增加|加量|涨|添)(到|至)(?P<frame>一天|一日|每天|每日|一次|每次)?\s*({_NUM})\s*{UNIT}"
)
_DAY_FRAME = re.compile(r"一天|一日|每天|每日|天天|24小时")
_DOSE_FRAME = re.compile(r"一次|每次|一回|每回|一顿|每顿")


# An amount asked about (能不能吃四粒, 饭前吃两片会不会效果更好, 可以喝三包吗): in the frame before
# it, or a dose when none is said.
_ASKED_AMOUNT = re.compile(
    rf"(能不能|能|可以|可不可以|要不要|想)[^，。,？?\d]{{0,3}}?({TAKE})\s*({_NUM})\s*{UNIT}"
    rf"|({TAKE})\s*({_NUM})\s*{UNIT}(?=[^，。,]{{0,8}}(吗|么|不|行不行|可以不|会不会|好不好|效果))"
)


def _frame(text: str, at: int) -> str | None:
    """The frame said last before `at`: "day" (一天, 每天) or "dose" (一次, 每次), or None."""
    head = text[:at]
    day = max((f.end() for f in _DAY_FRAME.finditer(head)), default=-1)
    dose = max((f.end() for f in _DOSE_FRAME.finditer(head)), default=-1)
    return "day" if day > dose else "dose" if dose > day else None


# A dose asked (or taken) on top of the label's (能多吃一片吗, 多喂了半袋, 额外加一粒): the label's
# single dose plus that much.
_EXTRA = re.compile(rf"(多|额外|再多|另外多)(吃|服|喝|喂|用|加|吞)(了)?\s*({_NUM})\s*{UNIT}")


def _extra_on_label(text: str, limit) -> list[tuple]:
    if not limit.per_dose:
        return []
    return [
        (limit.per_dose + (cn_to_number(m.group(4)) or 0), unit_of(m.group(5)) or limit.unit)
        for m in _EXTRA.finditer(text)
    ]


def _up_to(text: str) -> tuple[list[tuple], list[tuple]]:
    """(per-dose amounts, daily amounts) the customer asks to go up to or asks about, by the
    frame said before (an amount asked about with no frame is a dose)."""
    doses, days = [], []
    for m in _ASKED_AMOUNT.finditer(text):
        number, unit = (m.group(3), m.group(4)) if m.group(3) else (m.group(6), m.group(7))
        amount = (cn_to_number(number), unit_of(unit))
        (days if _frame(text, m.start()) == "day" else doses).append(amount)
    for m in _UP_TO.finditer(text):
        said = m.group("frame")  # 加到一天4片: the frame said after 到
        frame = ("day" if said[1] in "天日" else "dose") if said else _frame(text, m.start())
        amount = (cn_to_number(m.group(4)), unit_of(m.group(5)))
        # with no frame said (能加到两片吗), a dose, as for an amount asked about
        (days if frame == "day" else doses).append(amount)
    return doses, days


# Taken: done (吃了, 喝光), or kept up for days (连着三天每天吃八片, 这几天一直吃)
_TAKEN = re.compile(
    rf"(?<![忘没不别漏])({TAKE}|用|喂|挤|滴|喷|吸|揿)(了|光|完|掉|下去)|(吃|喝|喂)过|{INTO_MOUTH}"
    # drunk down in one go, said as 干了 (一口气干了三袋)
    rf"|(一口气|一下子|直接)干了"
    rf"|(连着|连续|一直|这几天|这些天|这两天|最近)[^，。,？?]{{0,8}}({TAKE})(?![^，。,]{{0,8}}[吗么？?])"
)
# Taken in all: 吃了8片, 喝光了100ml, 又喂了5ml, 冲了十几包
_TAKEN_COUNT = re.compile(
    # (a caregiver squeezing or dropping it in: 给孩子挤了五六粒, 滴了十几滴; 一口气干了三袋)
    rf"(?<![忘没不别漏])({TAKE}|喂|挤|滴|喷|吸|揿|(?<=一口气)干|(?<=一下子)干)(了|光了|完了|掉了|下去了?)"
    rf"[^，。,\d]{{0,6}}?({_NUM})\s*{UNIT}"
)
# The amount first, then taken (三四袋倒嘴里了, 两袋干吃了, 5片一起吞了, 半瓶都喝了)
# Taken again (又吃一粒, 又喝了一袋): a dose taken, with or without 了
_AGAIN_COUNT = re.compile(rf"又\s*({TAKE}|喂)(?:了)?[^，。,\d]{{0,4}}?({_NUM})\s*{UNIT}")
_COUNT_THEN_TAKEN = re.compile(
    rf"({_NUM})\s*{UNIT}[^，。,？?！!\d\s分]{{0,14}}?"
    rf"(?:(?:{TAKE}|喂)(?:了|光|完|掉|下去)|{INTO_MOUTH})"
)
# Packs, counted in any wording: 一整盒, 大半瓶, 两板, 快两盒, 差不多三排
_PACKS = (
    r"(?:快|差不多|将近|大概|约|得有)?"
    r"(?:一整|整|大半|小半|半|好几|[一两俩三四五六七八九十几\d]+)"
)
_PACKAGE = re.compile(rf"{_PACKS}(盒|瓶|板|排)")
_ALL_OF_IT = re.compile(
    rf"(都|全|全部)({TAKE}|喂)(了|光|完|掉|下去)|(都|全|全部)?{INTO_MOUTH}|(?<![没未不])(吃|喝|吞)(光|完)了?"
    rf"|(?<![忘没不别漏])({TAKE})(了|掉|下)[^，。,]{{0,2}}{_PACKS}(盒|瓶|板|排)"
    # 把一整盒二甲双胍当成维生素吃了: the pack, then taken
    rf"|把{_PACKS}(盒|瓶|板|排)[^。？?]{{0,12}}({TAKE}|喂)(了|掉|下去|光)"
)


# All of it poured or pressed out and taken (全倒出来吃了, 全部拆开吞了, 一股脑都吃了)
_POURED_OUT = re.compile(
    rf"(全|都|全部|一股脑(儿)?)(给)?(倒出来|拆开|打开|抠出来|掏出来|剥出来|挤出来|翻出来)[^，。,]{{0,2}}"
    rf"({TAKE}|喂)(了|光|完|掉|下去)|全部({TAKE})(了|光|完|掉|下去)|一股脑(儿)?[^，。,]{{0,8}}({TAKE})(了|光|完|掉|下去)"
    # 把…都吃了: all of what is named (把开瑞坦都吃了)
    rf"|把[^，。,]{{1,10}}(都|全)({TAKE})(了|光|完|掉|下去)"
)
# A pack bought or kept is not a pack taken (想备一盒, 买两盒, 来一瓶).
_BOUGHT = re.compile(r"(买|备|来|要|拿|下单|订|囤|屯|寄|发|送|剩|还有|买了)[^，。,？?！!]{0,2}$")
_NEAR = 12


# A pack finished over a course (一盒都吃完了 还是咳嗽, 吃了一周 这盒吃完了要不要再买) is not an
# overdose, unless the message says it went down at once.
_COURSE = re.compile(
    r"(还是|还没好|没好|不见好|没见好|不管用|没(什么|啥)?效果|没用|要不要再|再买|再来|换(个|一种|别的)?药"
    r"|第[二三四五]盒|疗程"
    # a course said as time taking it (吃了一周, 用了三天了), not an age (一岁八个月)
    r"|(吃|用|喝|服)了?[^，。,]{0,2}[一二两三四五六七八九十几\d]+(天|周|个?星期|个?礼拜|个月)"
    r"|[一二两三四五六七八九十几\d]+(天|周|个?星期|个?礼拜|个月)(了|以来|下来)"
    r"|(上|这|每|一)个?月)"
)
_AT_ONCE = re.compile(r"(一下子|一次性?|一口气|一把|全吞|都吞|吞了|刚才|刚刚|误|偷吃|趁)")


def over_a_course(text: str) -> bool:
    """Taken over a course, not at once (一盒都吃完了 还是咳嗽, 医生开的药都吃了 还是不好)."""
    return bool(_COURSE.search(text)) and not _AT_ONCE.search(text)


def _whole_pack(text: str) -> str | None:
    """The packs said (一整盒, 快两盒) when whole packs were taken: a pack (not one bought or
    kept) and an "all of it / taken" phrase close together in one sentence (吃完火锅 … 想备一盒
    is not), not a pack finished over a course."""
    if over_a_course(text):
        return None
    for done in _ALL_OF_IT.finditer(text):
        # all of several packs listed before it (一板芬必得还有半盒感冒灵都吞了): the list is
        # what went down, 还有 joining it ("and"), not "some left"
        listed = bool(re.match(r"(都|全|全部)", done.group(0)))
        for pack in _PACKAGE.finditer(text):
            lo, hi = sorted((done.start(), pack.start()))
            between = text[lo:hi]
            if hi - lo > (2 * _NEAR if listed else _NEAR) or re.search(r"[。？?！!]", between):
                continue
            before = text[max(0, pack.start() - 4) : pack.start()]
            if _BOUGHT.search(before) and not (listed and before.endswith("还有")):
                continue
            return pack.group(0)
    return None


_MEDICINE_WORD = re.compile(r"[^，。,？?！!\s]{0,4}(药|片|胶囊|糖浆|丸|口服液|颗粒|冲剂)")


def _unnamed_medicine(ci: CheckInput) -> Item | None:
    """Whole packs of a medicine the message names only by its kind (一盒退烧药, 半瓶安眠药,
    两板感冒药): no label to compare with, and none is needed."""
    said = [c.word for c in ci.triage.drug_classes if c.source == "message"]
    if not said:
        m = _MEDICINE_WORD.search(ci.message)
        said = [m.group(0)] if m else []
    if not said:
        return None
    return Item(key=f"class:{said[0]}", name=said[0], source="message")


# A product named only as the measure or the thing mistaken for (按美林的量喂了泰诺林滴剂, 照大人
# 芬必得的剂量, 以为是钙片): not the product taken.
_REFERENCE_BEFORE = re.compile(r"(按|照|按照|参照|当成?|当作|以为是|看成)\s*$")
_REFERENCE_AFTER = re.compile(r"^\s*(的|那个|那样的)?\s*(量|剂量|用量|毫升数|片数|标准|吃法)")


def _reference_only(ci: CheckInput, item: Item) -> bool:
    names = {d.name for d in ci.triage.drugs if d.doc_id == item.key and d.source == "message"}
    spans = [m for n in names for m in re.finditer(re.escape(n), ci.message)]
    return bool(spans) and all(
        _REFERENCE_BEFORE.search(ci.message[max(0, m.start() - 4) : m.start()])
        or _REFERENCE_AFTER.search(ci.message[m.end() : m.end() + 6])
        for m in spans
    )


def _subject(ci: CheckInput, unit: str | None) -> Item | None:
    for source in ("message", "history", "cart", "profile"):
        pool = [i for i in ci.items if i.is_product and i.source == source]
        if source == "message" and len(pool) > 1:
            pool = [i for i in pool if not _reference_only(ci, i)] or pool
        pool = dosed_in(ci, pool, unit)
        groups = {i.group or i.key for i in pool}
        if len(groups) == 1:
            return pool[0]
        if len(groups) > 1:
            return None  # several products: which one the number belongs to is unclear
    return None


# Puffs counted as 下 or 口 (喷了二十来下, 吸了五六口): puffs, in the inhaler's unit
_PUFFS_SAID = re.compile(rf"((喷|吸|揿|按)了?[^，。,\d]{{0,4}}?{_NUM})\s*(下|口)(?!午|去|来|面)")


@check
def overdose(ci: CheckInput) -> list[Alert]:
    text = said_to_happen(ci.message)  # not a past told as over, not hearsay
    text = _PUFFS_SAID.sub(lambda m: m.group(1) + "喷", text)
    per_dose = [(cn_to_number(m.group(2)), unit_of(m.group(3))) for m in _PER_DOSE.finditer(text)]
    totals = [(cn_to_number(m.group(3)), unit_of(m.group(4))) for m in _DAY_TOTAL.finditer(text)]
    totals += [
        (cn_to_number(m.group(2)), unit_of(m.group(3)))
        for m in _DAY_AMOUNT.finditer(text)
        if not _DAY_TOTAL.match(text, m.start())  # (said with a verb: counted above)
    ]
    per_day_times = [cn_to_number(m.group(2)) for m in _PER_DAY.finditer(text)]
    if len(_CLOCK.findall(text)) >= 2:
        per_day_times += [cn_to_number(m.group(2)) for m in _TOTAL_TIMES.finditer(text)]
    clock_doses = _clock_list_doses(text)  # doses told as given, at the times listed
    per_day_times += clock_doses
    totals += _each_at_times(text)
    up_dose, up_day = _up_to(text)
    per_dose += up_dose
    totals += up_day
    taken_counts = [
        (cn_to_number(m.group(3)), unit_of(m.group(4))) for m in _TAKEN_COUNT.finditer(text)
    ] + [
        (cn_to_number(m.group(1)), unit_of(m.group(2)))
        for m in _COUNT_THEN_TAKEN.finditer(text)
        if not _BOUGHT.search(text[max(0, m.start() - 4) : m.start()])  # 买了两袋…吃了
    ]
    # one taking said by its moment (下午两点吃了两片) or as taken again (又吃了两片) is one dose
    per_dose += [
        (cn_to_number(m.group(3)), unit_of(m.group(4)))
        for m in _TAKEN_COUNT.finditer(text)
        if _CLOCK.search(text[max(0, m.start() - 8) : m.start()])
        or text[max(0, m.start() - 1) : m.start()] == "又"
    ]
    counted = {m.end() for m in _TAKEN_COUNT.finditer(text)}
    taken_counts += [
        (cn_to_number(m.group(2)), unit_of(m.group(3)))
        for m in _AGAIN_COUNT.finditer(text)
        if m.end() not in counted  # 又吃了一粒 is counted once
    ]
    per_dose += [
        (cn_to_number(m.group(2)), unit_of(m.group(3)))
        for m in _AGAIN_COUNT.finditer(text)
        if m.end() not in counted
    ]
    if not (per_dose or totals or taken_counts) and _TAKEN.search(text):
        # taken, and one amount said on its own (喂了一整管 差不多5毫升): that amount
        alone = [
            (cn_to_number(m.group(1)), unit_of(m.group(2)))
            for m in _AMOUNT.finditer(text)
            if not _BOUGHT.search(text[max(0, m.start() - 4) : m.start()])
        ]
        if len(alone) == 1:
            taken_counts = alone
    units = [u for _, u in per_dose + totals + taken_counts]
    item = _subject(ci, units[0] if units else None)
    whole_pack = _whole_pack(text)
    if whole_pack is not None:
        # several products named with the packs (半板开瑞坦加一整板西替利嗪都吞了): each of them
        named = [i for i in ci.items if i.is_product and i.source == "message"]
        taken = [item] if item is not None else named or [_unnamed_medicine(ci)]
        alerts = [
            _alert(i, "major", f"顾客说服下了{whole_pack}，远超说明书用量", "overdose-taken")
            for i in taken
            if i is not None
        ]
        if alerts:
            return alerts
    poured = _POURED_OUT.search(text)
    if poured is not None and not over_a_course(text):
        # named products poured out and taken, the amount unsaid (感康和感冒灵全倒出来吃了): the
        # worst case, as for whole packs
        named = [i for i in ci.items if i.is_product and i.source == "message"]
        alerts = [
            _alert(i, "major", f"顾客说{poured.group(0)}，用量不明，按过量处理", "overdose-taken")
            for i in named
        ]
        if alerts:
            return alerts
    if item is not None:
        banded = _over_band(
            ci,
            item,
            per_dose + taken_counts,
            taken=bool(_TAKEN.search(text)) and not ci.triage.asked_only,
        )
        if banded is not None:
            return [banded]
    if item is not None:
        weekly = _weekly_taken_daily(ci, item, text)
        if weekly is not None:
            return [weekly]
    totals += taken_counts
    if item is None or not (
        per_dose
        or per_day_times
        or _EXTRA.search(text)
        or per_day_times
        or totals
        or _THREE_TIMES.search(text)
        or _TWICE_EACH.search(text)
        or _EVERY_HOURS.search(text)
        or len(_AT_TIME.findall(text)) >= 2
    ):
        return []
    limit = ci.sk.dose_limits.get(item.key)
    if limit is None:
        return []
    taken = (bool(_TAKEN.search(text)) and not ci.triage.asked_only) or bool(clock_doses)
    per_dose += _extra_on_label(text, limit)
    dose = max((v for v, u in per_dose if v and u == limit.unit), default=None)
    daily = [v for v, u in totals if v and u == limit.unit]
    if dose and per_day_times and per_day_times[0]:
        daily.append(dose * per_day_times[0])
    for m in _THREE_TIMES.finditer(text):
        value = cn_to_number(m.group(3))
        if value:
            daily.append(value * 3)
    for m in _TWICE_EACH.finditer(text):
        value = cn_to_number(m.group(1))
        if value and unit_of(m.group(2)) == limit.unit:
            daily.append(value * 2)
            dose = max(dose or 0, value)
    at_times = [
        (m.group(1), cn_to_number(m.group(2)))
        for m in _AT_TIME.finditer(text)
        if unit_of(m.group(3)) == limit.unit
    ]
    if len({t for t, _ in at_times}) >= 2 and all(v for _, v in at_times):
        daily.append(sum(v for _, v in at_times))
        dose = max(dose or 0, max(v for _, v in at_times))
    for m in _EVERY_HOURS.finditer(text):
        hours, value = cn_to_number(m.group(2)), cn_to_number(m.group(4))
        if hours and value and unit_of(m.group(5)) == limit.unit:
            daily.append(value * (24 // hours))
            dose = max(dose or 0, value)
    mine_each = [v for v, u in taken_counts if v and u == limit.unit]
    if len(mine_each) >= 2 and _AGAIN.search(text):
        # taken, then taken again (睡前吃了四片 … 今早又吃了四片): within a day, all together
        daily.append(sum(mine_each))
        dose = max(dose or 0, max(mine_each))
    if (
        limit.times_per_day
        and per_day_times
        and per_day_times[0]
        and per_day_times[0] > limit.times_per_day
    ):
        # more doses a day than the label allows (一天喂了五六次美林; label: 24小时内不超过4次)
        times_said = per_day_times[0]
    else:
        times_said = None
    today = _taken_earlier_today(ci, limit.unit)
    mine = sum(v for v, u in taken_counts if v and u == limit.unit)
    if today and mine:
        # taken again now, after doses earlier turns said were taken today (上午吃了两片 …
        # 下午又吃了两片 … 刚才又吃了两片): what was taken today, all together
        daily.append(today + mine)
        taken = taken or not ci.triage.asked_only
    alerts = []
    if times_said is not None:
        alerts.append(
            _alert(
                item,
                "major",
                f"一天用药{times_said:g}次，超过说明书每日最多{limit.times_per_day:g}次",
                "overdose-taken" if taken else "overdose-daily-max",
            )
        )
    elif limit.per_day and daily and max(daily) > limit.per_day + 1e-6:
        alerts.append(
            _alert(
                item,
                "major",
                f"按所述每日{max(daily):g}{limit.shown}，超过说明书每日最大量{limit.per_day:g}{limit.shown}",
                "overdose-taken" if taken else "overdose-daily-max",
            )
        )
    elif limit.per_dose and dose and dose > _single_cap(limit, text) + 1e-6:
        alerts.append(
            _alert(
                item,
                "major" if taken else "moderate",
                f"一次{dose:g}{limit.shown}超过说明书单次最大量{limit.per_dose:g}{limit.shown}",
                "overdose-taken" if taken else "overdose-single-dose",
            )
        )
    return alerts


# Taken every day, said any way: 天天吃, 每天一片, 当成每日的药, 连着吃了5天, 已经吃4天了
_EVERY_DAY = re.compile(r"天天|每天|每日|日日|一天一(次|回|顿|片)")
# Daily use told as what someone does (我每天早上吃一片, 他天天都在吃): already taken, whatever
# the confirmation asked after it (对吧); not a question whether one may (能每天吃吗).
_DAILY_HABIT = re.compile(
    rf"(我|他|她|我妈|我爸|老人|孩子|老公|老婆)[^，。,？?]{{0,4}}(天天|每天|每日)[^，。,？?]{{0,4}}(都|在)?({TAKE})"
    # daily over a past stretch (这一个礼拜天天吃三片, 这几天每天都吃, 最近天天在吃)
    rf"|(这|这一个?|这几|最近|上)[^，。,？?]{{0,3}}(礼拜|星期|周|天|阵子|段时间)?[^，。,？?]{{0,2}}"
    rf"(天天|每天|每日)[^，。,？?]{{0,3}}(都|在)?({TAKE})"
)
_MAY_I = re.compile(
    r"(能|可以|能不能|可不可以|是否可以|行不行|想|要|打算|准备|改成|改为)[^，。,？?]{0,4}(天天|每天|每日)"
)
_DAYS_RUNNING = re.compile(rf"(({TAKE})了?\s*({_NUM})\s*天)|(({_NUM})\s*天了)")


def _weekly_taken_daily(ci: CheckInput, item: Item, text: str) -> Alert | None:
    """A medicine the label doses on one or two days a week only (甲氨蝶呤) taken, or asked to
    be taken, every day or on more days running than the label allows a week."""
    limit = ci.sk.dose_limits.get(item.key)
    if limit is None or not limit.days_per_week:
        return None
    days = [cn_to_number(m.group(3) or m.group(5) or "") or 0 for m in _DAYS_RUNNING.finditer(text)]
    daily = bool(_EVERY_DAY.search(text))
    running = max(days, default=0)
    if not daily and running <= limit.days_per_week:
        return None
    habit = bool(_DAILY_HABIT.search(text)) and not _MAY_I.search(text)
    taken = (bool(_TAKEN.search(text)) or running > 0 or habit) and not ci.triage.asked_only
    said = f"连续{running:g}天服用" if running > limit.days_per_week else "每天服用"
    # (a weekly medicine every day is a grave error even when only planned: major either way)
    return _alert(
        item,
        "major",
        f"{said}，而说明书规定每周只在{limit.days_per_week:g}天用药",
        "overdose-taken" if taken else "overdose-daily-max",
    )


_AGAIN = re.compile(r"又|再|接着|然后")
_AMOUNT = re.compile(rf"({_NUM})\s*{UNIT}")


# An earlier turn about another day (昨天吃了两片) is not today's.
_OTHER_DAY = re.compile(r"昨天|昨晚|前天|上周|上个?星期|上个?礼拜|前几天|那天|上次")


def _taken_earlier_today(ci: CheckInput, unit: str) -> float:
    """Doses the customer's earlier turns say were taken, in this unit, not on another day."""
    total = 0.0
    for turn in ci.earlier:
        if _OTHER_DAY.search(turn):
            continue
        for m in _TAKEN_COUNT.finditer(turn):
            value = cn_to_number(m.group(3))
            if value and unit_of(m.group(4)) == unit:
                total += value
    return total


_FIRST = re.compile(r"首次|首剂|第一次|头一次|第一顿|头一顿|头一回|第一回|头回|刚开始那次|开头那次")


def _single_cap(limit, text: str) -> float:
    """The largest single dose for what the message asks: the first dose the label allows to be
    larger (首次剂量加倍) when the message is about the first one."""
    if limit.first_dose and _FIRST.search(text):
        return limit.first_dose
    return limit.per_dose


def _over_band(
    ci: CheckInput, item: Item, amounts: list[tuple[float | None, str]], *, taken: bool
) -> Alert | None:
    """A child's single dose above the row of the label's table for their weight (or age)."""
    rows = ci.sk.dose_tables.get(item.key)
    if not rows:
        return None
    weight = max((q.value for q in ci.triage.quantities if q.kind == "weight"), default=None)
    age = child_age(ci.triage, ci.profile)
    if weight is None and age is None:
        return None
    row = next((r for r in rows if r.per == "dose" and r.fits(age=age, weight=weight)), None)
    if row is None:
        row = _below_youngest(rows, age, weight)
    if row is None:
        return None
    said = [v for v, u in amounts if v and u == unit_of(row.unit)]
    if not said or max(said) <= row.dose_max * 1.05:
        return None
    who = f"体重{weight:g}公斤" if weight is not None else f"{age:g}岁"
    return _alert(
        item,
        "major",
        f"{who}的孩子一次{max(said):g}{row.unit}，超过说明书该档一次{row.dose_max:g}{row.unit}"
        f"（{row.text}）",
        "overdose-taken" if taken else "overdose-child-band",
    )


def _below_youngest(rows, age: float | None, weight: float | None):
    """A child younger (or lighter) than every row of the table (9个月 for a table from 1岁):
    no dose is written for them, so the youngest row's is the most they could be given."""
    dosed = [r for r in rows if r.per == "dose"]
    if weight is not None:
        banded = [r for r in dosed if r.weight_min is not None]
        if banded and weight < min(r.weight_min for r in banded):
            return min(banded, key=lambda r: r.weight_min)
        return None
    banded = [r for r in dosed if r.age_min is not None]
    if age is not None and banded and age < min(r.age_min for r in banded):
        return min(banded, key=lambda r: r.age_min)
    return None


def _alert(item: Item, severity: str, effect: str, rule_id: str) -> Alert:
    return Alert(
        kind="overdose",
        severity=severity,
        drugs=[item.name],
        involves=[item.key, *item.ingredients],
        effect=effect,
        advice="请不要超过说明书规定的用量；是否需要调整用药请由药师评估。",
        source="说明书【用法用量】",
        rule_id=rule_id,
    )
