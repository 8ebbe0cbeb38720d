"""Suicidal intent read from what it is made of, not from listed sentences: a statement that
life is not worth going on with, that the customer wants to be gone or to stop being a burden,
or wants it over; and, with such a statement, the means (many packs, a stock, all at once).
FACTS.md: suicidal intent, including stockpiling and "taking it all tonight", is an emergency.

A statement alone is enough (the pharmacist calls, the reply gives the crisis line); the means
only make the evidence clearer. Heard-about and future cases are left to the caller's guards.
"""

from __future__ import annotations

import re

_CLAUSE = r"[^，。,？?！!\n]"
# life said to be not worth it or without hope (活着也没啥意思, 人生没意义, 日子没法过了), or
# living said to be too hard (活得太累)
_LIFE = r"(活着|活下去|人生|这辈子|日子)"
_WORTHLESS = (
    r"(没(啥|什么|有)?(意思|意义|盼头|指望|奔头|希望)|熬不下去|过不下去|撑不下去|没法过|受够了)"
)
_HOPELESS = re.compile(
    rf"{_LIFE}{_CLAUSE}{{0,4}}{_WORTHLESS}|(活着|活得){_CLAUSE}{{0,2}}(太累|好累|真累|太苦|太难)"
    # being in the way of everyone (自己是多余的, 没有我大家会更好, 活着就是个累赘)
    rf"|(我|自己)(就|本来就|根本)?是(个)?多余的|没有我{_CLAUSE}{{0,4}}(更好|更轻松|就好了)"
    rf"|(活着|我|自己)(就|只)?是(个)?(家里的?|大家的?|别人的?)?(累赘|拖累|负担)"
)
# wanting to be gone or the end (不想活了, 想死, 死了算了, 一了百了, 解脱)
_GONE = re.compile(
    r"((不想|不打算|不准备|不愿意?|没打算)(再)?活(了|下去|着)?|想死|去死|死了算了|死了就好|不如死了|活够了|一了百了|解脱|轻生|自杀|寻死|了结自己"
    r"|结束(自己|生命|这一切)|不想(再)?醒|永远睡过去|离开这个世界"
    # a sleep they want no waking from (睡过去别醒了, 好好睡一觉再也不用醒, 一觉睡过去不醒来)
    r"|(睡过去|睡着|睡一觉|一觉|一睡)[^，。,]{0,8}(别|不|不用|不要|再也不用?|永远不)(再)?醒(?!酒)"
    r"|(再也不用?|永远不|别再|不用再)醒(了|过来|来)?(?!酒)"
    # the goodbye already written or arranged (遗书我已经写好了, 后事都交代好了)
    r"|遗书|遗言|绝笔|后事[^，。,]{0,3}(交代|安排|准备)"
    # all of it at once, "and be done with it" (一次全吞了算了)
    r"|(全|都|一口气)[^，。,]{0,2}(吞|吃|喝)(了|掉|下去|光)?(就)?算了"
    # no longer here after a day named (反正我明天就不在了, 过几天我就不在人世了)
    r"|(反正|马上|很快|明天|今晚|过几天|过两天)[^，。,]{0,3}(就)?(不在了|不在人世|离开人世)"
    r"|不在人世|离开人世"
    # ending it said plainly (干脆结束算了, 索性了结了吧)
    r"|(干脆|索性|不如|要不)[^，。,]{0,3}(结束|了结|一了百了)"
    # a plan to take all of it (买这一盒就是想全部吃掉, 打算一次全吞了)
    r"|(想|打算|准备|就是要|就是想)[^，。,]{0,4}(全部|全都|都|一次|一口气|一下子|全)[^，。,]{0,2}(吃|吞|喝)(掉|光|下去|完))"
)
# pain that will stop for good (就不用再痛苦了, 再也不用受罪了): with a stock kept back, a plan
_RELIEF = re.compile(r"(不用|不会|再也不用?)再?(痛苦|受罪|受苦|难受|折磨)")
# not wanting to be a burden any more (不想再拖累家里人, 以后就不用再麻烦你们了)
_BURDEN = re.compile(
    r"(不想|不愿|不用|不必|不会)(再)?(拖累|连累|牵连)|(拖累|累赘)"
    + _CLAUSE
    + r"{0,4}(家里|家人|孩子|大家|别人|你们)"
)
# a farewell (以后不麻烦你们了, 最后一次麻烦你们, 再也不会来了): with a stock kept back, a
# goodbye to the pharmacy is a goodbye
_FAREWELL = re.compile(
    r"以后(就)?(不|不用|不会|不必)(再)?(麻烦|打扰|找)(你们|你)?了?|最后一次(麻烦|打扰|来|买|找)"
    r"|再也不(会)?(来|麻烦|打扰)|永别|下辈子|来世"
    # a goodbye said with the medicines laid out (跟你们说声再见, 谢谢你们一直照顾): counted only
    # with a stock or the medicines gathered, never on its own
    r"|(说|道)(声|句)?再见|再见了|再见[\s。！!~～]*$|道别|告别|谢谢(你们|大家)(一直|这么久|这些年)"
    r"|以后[^，。,]{0,4}不会再来"
    # an apology to everyone, as a goodbye (对不起大家, 原谅我)
    r"|对不起(大家|你们|爸妈|所有人|家里人)|请?原谅我"
)
_CARE_THANKS = re.compile(r"(谢谢|感谢)[^，。,]{0,6}(照顾|这段时间|一直以来|这么久|这些年)")
# the medicines gathered, laid out ready (把家里所有的药都倒出来了, 安眠药倒在手心里, 找齐了)
_GATHERED = re.compile(
    r"(所有|全部|全家|家里)的?药" + _CLAUSE + r"{0,4}(倒|拿|找|翻|摆|凑)(出来|齐|好|到一起)"
    r"|药(都|全|全部)" + _CLAUSE + r"{0,2}(倒|摊|放)在(手心|手里|桌上)"
    r"|(倒|拿|找|翻|摆|凑)(出来|齐|好)了" + _CLAUSE + r"{0,4}(想好了|决定了)"
    # a heap of medicines shown (配图一堆药盒, 桌上一大堆药片)
    r"|(一堆|一大堆|一桌子|一地|满桌)[^，。,？?]{0,2}(药|药盒|药瓶|药片|安眠药)"
)
# the means: many packs or a stock of medicine, all of it at once
_MEANS = re.compile(
    r"((多|几|[两三四五六七八九十\d]+)(盒|瓶|板)|攒|囤|存(点|些|着|够)|多卖|多买|一次全|全(吞|吃)"
    r"|一口气|一把)"
)


# a stock of medicine kept back (攒了好多安眠药, 囤着, 存够了) with a plan to take it at a set
# time or all at once (今晚吃掉, 等会儿一起吞了, 一次全吃): the stockpiling FACTS.md names
_STOCK = re.compile(r"(攒|囤|屯|偷偷存|存)(了|着|够|下)")
_PLANNED = re.compile(
    r"(今晚|今天晚上|今夜|晚上|一会儿?|待会儿?|等会儿?|明天|过两天)"
    + _CLAUSE
    + r"{0,6}(吃|吞|喝)(掉|光|下去)"
    + r"|(一次|一口气|一起|全|都)"
    + _CLAUSE
    + r"{0,2}(吃|吞|喝)(掉|光|下去|了)"
    # not a course (都吃了快一个月了)
    + r"(?!"
    + _CLAUSE
    + r"{0,4}(天|周|星期|礼拜|个?月))"
)


def suicidal(text: str) -> str | None:
    """The evidence of suicidal intent in the (normalised) message, or None."""
    for pattern in (_GONE, _HOPELESS):
        m = pattern.search(text)
        if m:
            return m.group(0)
    m = _BURDEN.search(text)
    if m and _MEANS.search(text):
        return m.group(0)  # a burden no more, with the means at hand
    gathered = _GATHERED.search(text)
    relief = _RELIEF.search(text)
    if relief and (_STOCK.search(text) or gathered):
        return relief.group(0)  # 攒够了我就不用再痛苦了
    # a goodbye said several ways with thanks for the care (谢谢你们这段时间的照顾 以后不会再来
    # 买药了 跟大家说声再见): a farewell, even with no means named
    said = {m.group(0) for m in _FAREWELL.finditer(text)}
    if len(said) >= 2 and _CARE_THANKS.search(text):
        return "…".join(sorted(said))
    m = _FAREWELL.search(text)
    if m and (_STOCK.search(text) or gathered):
        # a goodbye with a stock kept back (药都存够了…以后不麻烦了); buying several boxes so as
        # not to order again (一次多买几盒 以后就不用再麻烦你们了) is not one
        return m.group(0)
    stock, plan = _STOCK.search(text) or gathered, _PLANNED.search(text)
    if stock and plan:
        return f"{stock.group(0)}…{plan.group(0)}"
    return None
