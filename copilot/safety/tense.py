"""When what the customer tells happened, or whether it happened to them: times of the past,
hearsay, and "it is over now". Shared by triage (a past drug, a resolved sign, a sign heard
about), the reaction reader, the semantic net and the rules' `said_matches`, so they read a
story the same way; `said_to_happen` keeps only the clauses that tell what happens now."""

from __future__ import annotations

import re

# Times of the past (去年吃头孢起过疹子, 前几年用过): a drug or a sign there is history.
PAST_TIME = re.compile(
    r"(以前|之前|曾经|过去|早先|小时候|去年|前年|上次|上回|上一回|上一次|那次|那回|前几年|前些年|早些年|那几年|几年前"
    r"|[一二两三四五六七八九十几\d]+年前"
    # last week or month, a while ago (上周胸口疼去医院查过了 … 已经好了)
    r"|上周|上个?星期|上个?礼拜|上个?月|前阵子|前段时间|前些天|前些日子|前几天|前两天"
    # the day before yesterday (前天孩子误吃药那事 … 已经处理过了): past enough to be over
    r"|大前天|前天)"
)
# Heard or seen, not happening to the customer (听邻居说, 看新闻说, 电视上说, 我妈老说).
HEARSAY = re.compile(
    r"(听(说|人说|[\u4e00-\u9fa5]{1,3}说)|看(新闻|报道|网上|视频)[^，。]{0,2}说|新闻(上|里)|网上说|据说"
    r"|(电视|视频|报道|短视频|抖音|朋友圈)(上|里)?[^，。]{0,2}说"
    # a story in a drama, film or novel (看电视剧里有人吃了一整瓶…)
    r"|(电视剧|电影|小说|剧里|短剧)(上|里|中)"
    r"|(老|总|常常?)说|年轻时|小时候)"
)
# Told by someone outside the family (同事说她孩子误吃过药, 听邻居讲她家娃去年误服过): their story.
# It is hearsay only when what they tell is over (过, 去年, 那次); a friend telling of a plan
# tonight (同事说她攒了安眠药今晚就全吃了) or of now is a case in front of us.
TOLD_BY_OTHERS = re.compile(
    r"(听[\u4e00-\u9fa5]{1,3}(讲|提过|提起)"
    r"|(同事|朋友|邻居|同学|闺蜜|网友|群里|别人|人家|有人)[^，。？?]{0,3}(说|讲|提过|提起|告诉我))"
)
_OVER_EVENT = re.compile(r"过(?!敏)|以前|之前|去年|前年|那次|那回|上次|小时候|几年前|后来")
COMING = re.compile(
    r"今晚|今天|今夜|现在|刚才|刚刚|正在|马上|一会|待会|等会|准备|打算|要(吃|喝|吞)|就(要|全)"
)


# A general claim someone made (邻居说扑热息痛吃多了伤肝, 朋友说布洛芬长期吃伤胃): what a medicine
# does in general, not an event; told by someone else, it is not happening to the customer.
GENERAL_CLAIM = re.compile(
    r"(吃多了|喝多了|用多了|多吃|多喝|长期(吃|用|服|喝)|吃久了|用久了|过量)[^，。,？?]{0,3}"
    r"(伤|损|会|容易|对[^，。,？?]{0,4}不好|有害|有毒|中毒|上瘾|依赖|不好)"
)


def heard_of_past(text: str) -> bool:
    """A story someone else told the customer of something over (同事说她孩子误吃过药)."""
    return bool(
        TOLD_BY_OTHERS.search(text) and _OVER_EVENT.search(text) and not COMING.search(text)
    )


# Over now (早就好了, 现在没事了).
OVER = re.compile(
    r"(现在|已经|早就|早)(就|都)?(好了|没事了|没事|不疼了|没有了|好利索)"
    # how it ended (后来查了没事, 结果啥事没有, 最后也没事)
    r"|(后来|结果|最后)[^，。,？?]{0,4}(没事|好了|没问题|啥事没有|什么事都没有)"
    # taken care of, discharged, or the doctor's all-clear (已经去医院处理过了, 做完支架出院了,
    # 医生说没事, 已经退烧好了)
    r"|(已经|早就|早)[^，。,？?]{0,6}(处理过了|处理好了|看过了|治好了|出院了|康复了|痊愈了|退烧了|好了)"
    r"|出院了|医生(说|讲)[^，。,？?]{0,2}(没事|没什么事|问题不大|不要紧)"
)


# A clause that says a sign is absent (没胸闷也不喘, 没有发烧, 不咳了): an embedding reads the
# sign's word and not the "no" before it, so such clauses are left out of what the net compares.
# (不想活了, 没精神, 没尿 are not absences: only 没/无/未/不 before a sign word count.)
_SIGN = (
    r"(?:发烧|发热|烧|胸闷|胸痛|喘|咳|吐|拉|疼|痛|痒|晕|头晕|疹|红疹|皮疹|出血|肿|过敏|不舒服|症状)"
)
_ABSENT = re.compile(
    rf"^(?:也|还|并|都|倒是)?(?:没有|没|无|未)(?:什么|啥|有)?{_SIGN}"
    rf"|^(?:也|还|都)?不{_SIGN}了?$"
)
_CLAUSES = re.compile(r"[，,。；;！!？?\s]+")
# A question about how long the label lets one use a product (最多吃几天, 最长能用多久, 能一直用吗,
# 可以长期喷吗): asked about the label, nothing reported (a clause that reports says 了).
_USE_LIMIT_ASKED = re.compile(
    r"^[^了]*((最多|最长|最久)[^了]{0,6}(几天|多久|多长时间|几个月|几周)"
    r"|(能|可以|可不可以|能不能)[^了]{0,4}(一直|长期|连续|连着|天天)[^了]{0,6}(吗|么|嘛|多久|几天))[^了]*$"
)


# A disease whose name says 过敏 (过敏性鼻炎) is not a reaction to a drug: compared without it.
_ALLERGIC_DISEASE = re.compile(r"过敏性(?=鼻炎|皮炎|结膜炎|哮喘|紫癜|咳嗽|湿疹)")


# A clause told as hearsay (听说布洛芬伤胃) or as the past when the message says it is over
# (去年吃阿莫西林起过疹子 … 早好了) is not happening to the customer now.


# Nearly taken, stopped in time (差点把钙片当糖吃了 被我一把抢下来, 数了一片没少, 还没放进嘴里就
# 被拿走了): nothing went down.
_NEARLY = re.compile(
    r"(差点|差一点|险些|幸好没|还好没|好在没)[^。？?，,\s]{0,14}(吃|吞|喝|喂|放进嘴)"
)
_NOTHING_MISSING = re.compile(
    r"(抢|夺|拿|抠)(了)?(下来|回来|走了|出来)[^。？?]{0,16}(没少|一(片|粒|颗)(都|也)?没少|没吃|没吞)"
    r"|(一(片|粒|颗)(都|也)?没少|数了[^，。,]{0,4}没少)"
)


def near_miss(text: str, at: int) -> bool:
    """The taking read at `at` did not happen: nothing is missing from the pack, or its own
    clause says it nearly did (孩子差点把钙片当糖吃了); 差点 said of something else (我差点忘了
    吃药 孩子把降压药吃了) does not cover it."""
    if _NOTHING_MISSING.search(text):
        return True
    start = max(text.rfind(c, 0, at) for c in "，,。；;！!？? \n") + 1
    ends = [i for i in (text.find(c, at) for c in "，,。；;！!？? \n") if i >= 0]
    return bool(_NEARLY.search(text[start : min(ends, default=len(text))]))


def _heard(clause: str) -> bool:
    """A clause that opens as hearsay (听说…, 刷到个视频说有人…, 我在网上看到说…): the source is
    named at its start, what follows is the story."""
    m = HEARSAY.search(clause)
    return m is not None and m.start() <= 6


# The customer's own taking reported beside the story (网上说一次吃一整瓶就能解脱 我已经吃了,
# 看视频说吃多了伤肝 我刚吃了十片): the story is what they acted on, no longer hearsay.
_OWN_TAKING = re.compile(r"(我|已经|刚|也|都)[^，,。？?！!\s]{0,4}(吃|喝|吞|服)(了|下去|掉|光|完)")


def acted_on(message: str) -> bool:
    """A clause outside any hearsay reports the customer's own taking."""
    return any(_OWN_TAKING.search(c) for c in _CLAUSES.split(message) if c and not _heard(c))


def said_to_happen(message: str) -> str:
    """The message without its clauses that say a sign is absent, that tell hearsay, that
    tell a past the message says is over, or that ask how long the label allows a product; and
    without the 过敏 of an allergic disease's name."""
    clauses = [c for c in _CLAUSES.split(message) if c]
    over = bool(OVER.search(message))
    acted = acted_on(message)
    kept = [
        c
        for c in clauses
        if not _ABSENT.match(c)
        and (acted or not _heard(c))
        and not heard_of_past(c)
        and not (over and PAST_TIME.match(c))
        and not _USE_LIMIT_ASKED.match(c)
    ]
    return _ALLERGIC_DISEASE.sub("", " ".join(kept))
