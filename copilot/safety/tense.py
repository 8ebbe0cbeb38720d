"""When what the customer tells happened, or whether it happened to them: times of the past,
hearsay, and "it is over now". Shared by triage (a past drug, a resolved sign, a sign heard
about), the reaction reader and the semantic net, so the three read a story the same way."""

from __future__ import annotations

import re

# Times of the past (去年吃头孢起过疹子, 前几年用过): a drug or a sign there is history.
PAST_TIME = re.compile(
    r"(以前|之前|曾经|过去|早先|小时候|去年|前年|上次|那次|那回|前几年|前些年|早些年|那几年|几年前"
    r"|[一二两三四五六七八九十几\d]+年前"
    # last week or month, a while ago (上周胸口疼去医院查过了 … 已经好了)
    r"|上周|上个?星期|上个?礼拜|上个?月|前阵子|前段时间|前些天|前些日子|前几天|前两天)"
)
# Heard or seen, not happening to the customer (听邻居说, 看新闻说, 电视上说, 我妈老说).
HEARSAY = re.compile(
    r"(听(说|人说|[\u4e00-\u9fa5]{1,3}说)|看(新闻|报道|网上|视频)[^，。]{0,2}说|新闻(上|里)|网上说|据说"
    r"|(电视|视频|报道|短视频|抖音|朋友圈)(上|里)?[^，。]{0,2}说"
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
_COMING = re.compile(
    r"今晚|今天|今夜|现在|刚才|刚刚|正在|马上|一会|待会|等会|准备|打算|要(吃|喝|吞)|就(要|全)"
)


def heard_of_past(text: str) -> bool:
    """A story someone else told the customer of something over (同事说她孩子误吃过药)."""
    return bool(
        TOLD_BY_OTHERS.search(text) and _OVER_EVENT.search(text) and not _COMING.search(text)
    )


# Over now (早就好了, 现在没事了).
OVER = re.compile(r"(现在|已经|早就|早)(就|都)?(好了|没事了|没事|不疼了|没有了|好利索)")
