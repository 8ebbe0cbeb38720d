"""Usage questions the product's own label does not answer (FACTS: a dose question the labels do
not answer goes to a pharmacist, routine): when to take it (早上还是晚上), with or without
food (饭前饭后), in another form (嚼碎, 泡水, 掰开), with a drink (牛奶, 茶), or how far apart
from another product (隔多久). The question's aspect is read from the message; the label's
usage sections are searched for words that answer that aspect. A label that says it answers;
one that says nothing of it leaves the question to the pharmacist, whatever a draft would
guess."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from copilot.schemas import Document


@dataclass(frozen=True)
class Aspect:
    name: str
    asked: re.Pattern
    answered: re.Pattern  # a word of the aspect in the label's text


_TIMES = r"(早上|早晨|晚上|睡前|白天|夜里|上午|下午|中午)"
_PERMIT = r"(能|可以|能不能|可不可以|行不行|要不要|可否)"
_OK = r"(行吗|可以吗|能吗|行不行|可不可以|好吗|没事吧)"


def _asked_as(verbs: str) -> re.Pattern:
    """The act asked about (能嚼碎吗, 泡水行不行, 嚼碎了吃可以吗)."""
    return re.compile(rf"{_PERMIT}[^，。？?]{{0,6}}({verbs})|({verbs})[^，。？?]{{0,6}}{_OK}")


# Each aspect: how it is asked, and the words a label answering it uses. The asked act decides
# (泡水 is not answered by 嚼碎后咽下; 牛奶 is not answered by 不应与浓茶同服).
ASPECTS: tuple[Aspect, ...] = (
    Aspect(
        "time-of-day",
        re.compile(
            rf"{_TIMES}[^，。？?]{{0,6}}还是[^，。？?]{{0,6}}{_TIMES}"
            r"|(早上|晚上|睡前)(吃|服|喝|用)(好|比较好|效果好)"
        ),
        re.compile(r"早|晚|睡前|清晨|晨起|定时|白天|夜间"),
    ),
    Aspect(
        "when",
        re.compile(r"什么时(候|间)(吃|服|喝|用|喷)|几点(吃|服|喝|用)"),
        # (a meal is a time too: 随餐或饭后服用 answers 什么时候吃)
        re.compile(r"早|晚|睡前|清晨|晨起|定时|白天|夜间|饭前|饭后|餐前|餐后|随餐|进餐"),
    ),
    Aspect(
        "missed-dose",
        re.compile(
            r"(忘吃|漏吃|忘了吃|忘记吃|漏服|忘服|没吃上)[^。？?]{0,14}(补|要不要|还要|怎么办|咋办)"
        ),
        re.compile(r"漏服|忘服|补服|遗漏|忘记服用|漏用|忘用"),
    ),
    Aspect(
        "food",
        re.compile(r"饭前|饭后|餐前|餐后|空腹|随餐|吃饭(的时候|时)|饭点|和饭一起"),
        re.compile(r"饭前|饭后|餐前|餐后|空腹|随餐|进餐|进食|食物|用餐|餐时|餐中"),
    ),
    Aspect("chew", _asked_as("嚼|咬碎"), re.compile(r"嚼|整片吞|整粒吞|吞服")),
    Aspect(
        "dissolve",
        re.compile(
            r"(能|可以|能不能|可不可以|行不行|要不要|可否)[^，。？?]{0,6}(?<!开)(?<!热)"
            r"(泡水|化水|化开|冲水|兑水|溶|冲着喝|泡着喝)"
            r"|(?<!开)(?<!热)(泡水|化水|化开|冲水|兑水|溶)[^，。？?]{0,6}(行吗|可以吗|能吗|行不行)"
        ),
        re.compile(r"溶|冲服|温水中|水中|分散|泡"),
    ),
    # (a capsule "掰开" is opened: 整粒吞服, 不得打开胶囊 answer it)
    Aspect("split", _asked_as("掰|切开|半片"), re.compile(r"掰|分割|半片|刻痕|整片|整粒|打开")),
    Aspect(
        "hot-water",
        re.compile(r"(开水|热水|烫水|滚水)[^，。？?]{0,4}(冲|泡|送|喝|化)"),
        re.compile(r"热水|开水|温水|水温|\d+\s*[℃度]"),
    ),
    Aspect(
        "crush",
        _asked_as("碾|压碎|磨碎|磨成|研碎|捣碎"),
        re.compile(r"碾|压碎|研碎|磨|整片|整粒|吞服"),
    ),
    Aspect(
        "open-capsule",
        _asked_as("打开胶囊|拆开胶囊|胶囊打开|胶囊拆开|倒出来"),
        re.compile(r"打开|整粒|吞服"),
    ),
    Aspect("swallowing", re.compile(r"咽不下|吞不下|咽不进|吞不进"), re.compile(r"嚼|溶|冲服")),
    Aspect(
        "milk",
        re.compile(
            r"(牛奶|酸奶|奶粉|奶)[^，。？?]{0,6}(一起|同时|送服|送|混|冲)|(用|拿|就着)(牛奶|奶)"
        ),
        re.compile(r"牛奶|奶|乳制品"),
    ),
    Aspect(
        "tea-coffee-juice",
        re.compile(
            r"(茶|咖啡|果汁|饮料)[^，。？?]{0,6}(一起|同时|送服|送|混)|(用|拿|就着)(茶|咖啡|果汁|饮料)"
        ),
        re.compile(r"茶|咖啡|果汁|饮料"),
    ),
    Aspect(
        "interval",
        re.compile(r"(隔|间隔|错开|分开|相隔)[^，。？?]{0,4}(多久|多长|几个?小时|多少|几个?钟头)"),
        # a number of hours, not only "keep apart" (间隔一段时间, 间隔多久请咨询药师)
        re.compile(r"\d+\s*(个)?小时|[一二两三四五六]\s*个?小时"),
    ),
)


# The sections a label answers usage in (not 贮藏's 时间 or 不良反应's 早期)
_WHERE_ANSWERED = {"用法用量", "注意事项", "药物相互作用", "儿童用药", "老年用药"}


def unanswered_usage(
    message: str, doc_ids: list[str], documents: Mapping[str, Document]
) -> str | None:
    """The aspect of a usage question none of the products' labels answers, or None. The
    interval between two products is answered only when a label gives the hours apart (间隔2小时),
    not by "分开服用" or "间隔多久请咨询药师"."""
    labels = [documents[d] for d in dict.fromkeys(doc_ids) if d in documents]
    labels = [d for d in labels if d.label is not None]
    if not labels:
        return None
    asked = [a for a in ASPECTS if a.asked.search(message)]
    if any(a.name == "hot-water" for a in asked):
        asked = [a for a in asked if a.name != "dissolve"]  # 开水冲着喝: the water's heat asked
    for aspect in asked:
        if aspect.name == "interval" and len(labels) < 2:
            continue  # 隔多久 of one product is its dosing interval (a dose question)
        sentences = [
            s
            for doc in labels
            for section in doc.sections
            if section.heading in _WHERE_ANSWERED
            for s in re.split(r"[。；\n]", section.text)
        ]
        # a sentence that defers (间隔多久请咨询药师) does not answer
        if not any(aspect.answered.search(s) and "咨询" not in s for s in sentences):
            return aspect.name
    return None
