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
}
_FORMS = re.compile("|".join(sorted(map(re.escape, _PAIRS), key=len, reverse=True)))


def mandarin(text: str) -> str:
    if not _FORMS.search(text):
        return text
    return _FORMS.sub(lambda m: _PAIRS[m.group(0)], text)
