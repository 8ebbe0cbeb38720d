"""Written Cantonese (and a few traditional characters) read as the Mandarin the lexicons are
written in: 我阿爸食咗成板药 → 我爸爸吃了一整板药. Part of `normalize`, so every reader (triage,
checks, quantities, linking) sees one language.

Only forms that mean nothing else in Mandarin are mapped (咗, 佢, 唔, 冇, 食咗 …); a bare 食
stays (食物, 饮食, 消食). Labels and policies are Mandarin and contain none of these forms.
"""

from __future__ import annotations

import re

_PAIRS = {
    # eating and drinking, done
    "食咗": "吃了",
    "食左": "吃了",
    "食晒": "全吃了",
    "食埋": "吃了",
    "食药": "吃药",
    "食藥": "吃药",
    "饮咗": "喝了",
    "飲咗": "喝了",
    "吞咗": "吞了",
    "咗": "了",
    # whole packs
    "成板": "一整板",
    "成盒": "一整盒",
    "成樽": "一整瓶",
    "成排": "一整排",
    "樽": "瓶",
    # people
    "阿爸": "爸爸",
    "阿媽": "妈妈",
    "阿妈": "妈妈",
    "個仔": "儿子",
    "个仔": "儿子",
    "個女": "女儿",
    "个女": "女儿",
    "细路仔": "小孩",
    "細路": "小孩",
    "细路": "小孩",
    "佢哋": "他们",
    "佢": "他",
    # words
    "依家": "现在",
    "而家": "现在",
    "乜嘢": "什么",
    "咩": "什么",
    "點算": "怎么办",
    "点算": "怎么办",
    "唔係": "不是",
    "唔": "不",
    "冇": "没有",
    "啲": "些",
    "嘅": "的",
    "係": "是",
    "喺": "在",
    "瞓": "睡",
    "攰": "累",
    "耳仔": "耳朵",
    "暈": "晕",
    "頭": "头",
    "藥": "药",
    # the body and what comes out of it
    "屙": "拉",
    "黑蚊蚊": "很黑",
    "黑麻麻": "很黑",
    "黑咪嘛": "很黑",
    "心口痛": "胸口痛",
    "心口翳": "胸闷",
    "透唔到气": "喘不上气",
    "透唔到氣": "喘不上气",
    "抖唔到气": "喘不上气",
    "唞唔到气": "喘不上气",
    "晕低": "晕倒",
    "暈低": "晕倒",
    "好痕": "很痒",
    "痕痕": "痒痒",
    "肚痛": "肚子痛",
    "成身": "全身",
    "出晒汗": "出了一身汗",
    "好辛苦": "很难受",
    "叫极唔醒": "叫不醒",
    "叫極唔醒": "叫不醒",
    # medicines said by what they do
    "薄血药": "抗凝药",
    "薄血藥": "抗凝药",
    # people
    "老豆": "爸爸",
    "老窦": "爸爸",
    "阿嫲": "奶奶",
    "阿婆": "外婆",
    "bb仔": "宝宝",
    "bb女": "宝宝",
    # time
    "今朝": "今天早上",
    "琴日": "昨天",
    "尋日": "昨天",
    "寻日": "昨天",
    "听日": "明天",
    "聽日": "明天",
    # questions
    "系咪": "是不是",
    "係咪": "是不是",
    "点解": "为什么",
    "點解": "为什么",
    "几多": "多少",
    "幾多": "多少",
    "得唔得": "行不行",
    "使唔使": "需不需要",
    "啱啱": "刚刚",
    "跟住": "接着",
    "条脷": "舌头",
    "脷": "舌头",
    "讲嘢": "说话",
    "好似": "好像",
    "出嚟": "出来",
    "嘢": "东西",
    "嚟": "来",
}
_FORMS = re.compile("|".join(sorted(map(re.escape, _PAIRS), key=len, reverse=True)))
# 食 before an amount (食两粒) or with a word of taking (食开 taking now, 食紧, 食完, 食多, 食唔落)
# is eating; a 食 of Mandarin words stays (食物, 饮食, 消食, 零食多)
_NOT_EATING = "饮飲零消主副膳粮糧美甜熟生肉素伙夥"
_TAKING_NOW = re.compile(rf"(?<![{_NOT_EATING}])食(开|開|紧|緊)")
_EAT = re.compile(rf"(?<![{_NOT_EATING}])食(?=[一二两三四五六七八九十半几\d]|完|多|少)")


def mandarin(text: str) -> str:
    text = _EAT.sub("吃", _TAKING_NOW.sub("在吃", text.replace("食唔落", "吃不下")))
    if not _FORMS.search(text):
        return text
    return _FORMS.sub(lambda m: _PAIRS[m.group(0)], text)
