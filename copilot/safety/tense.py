"""When what the customer tells happened, or whether it happened to them: times of the past,
hearsay, and "it is over now". Shared by triage (a past drug, a resolved sign, a sign heard
about), the reaction reader and the semantic net, so the three read a story the same way."""

from __future__ import annotations

import re

# Times of the past (去年吃头孢起过疹子, 前几年用过): a drug or a sign there is history.
PAST_TIME = re.compile(
    r"(以前|之前|曾经|过去|早先|小时候|去年|前年|上次|那次|那回|前几年|前些年|早些年|那几年|几年前"
    r"|[一二两三四五六七八九十几\d]+年前)"
)
# Heard or seen, not happening to the customer (听邻居说, 看新闻说, 电视上说, 我妈老说).
HEARSAY = re.compile(
    r"(听(说|人说|[\u4e00-\u9fa5]{1,3}说)|看(新闻|报道|网上|视频)[^，。]{0,2}说|新闻(上|里)|网上说|据说"
    r"|(电视|视频|报道|短视频|抖音|朋友圈)(上|里)?[^，。]{0,2}说"
    r"|(老|总|常常?)说|年轻时|小时候)"
)
# Over now (早就好了, 现在没事了).
OVER = re.compile(r"(现在|已经|早就|早)(就|都)?(好了|没事了|没事|不疼了|没有了|好利索)")
