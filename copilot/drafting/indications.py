"""Is the customer's condition among what the label says the product is for?

"湿疹能用达克宁吗", "红霉素软膏能治脚气吗": the answer is the label's 适应症 (or 功能主治), and when
the condition the customer names is not in it, the draft says so first: a product used for a
condition its label does not list is not something an agent recommends.

Conditions are the terms every label's indications name (头痛, 足癣, 痤疮 …), read once from
the labels, plus the clinical words of the customer's colloquial ones (脚气 → 足癣), so a
condition is recognised whichever label it belongs to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_SPLIT = re.compile(r"[，,、；;。：:（）()\s和及与或等如]+|\d+[.、]")
_LEAD = re.compile(
    r"^(?:也|可|并)?(?:用于|适用于|缓解|治疗|预防|降低|辅助治疗|改善|轻至中度|轻中度|急性|慢性)+"
)
_TAIL = re.compile(r"(?:引起的|所致的|导致的|的|者|患者|等)$")
_CONDITION_END = re.compile(
    r"(?:炎|症|病|痛|癣|疹|疮|热|咳|咳嗽|泻|秘|晕|痒|伤|感冒|贫血|哮喘|痛风|失眠|中暑|积食|湿疹|痤疮"
    r"|溃疡|感染|过敏|鼻塞|流涕|咽痛|腹胀|消化不良|胃酸|反酸|烧心|脚气|疖|脓|痛经)$"
)


def condition_terms(indication_texts: Iterable[str]) -> set[str]:
    """The condition words the labels' indications name (2 to 8 characters)."""
    terms = set()
    for text in indication_texts:
        for piece in _SPLIT.split(text):
            piece = _TAIL.sub("", _LEAD.sub("", piece.strip()))
            if 2 <= len(piece) <= 8 and _CONDITION_END.search(piece):
                terms.add(piece)
    return terms


def unlisted_condition(
    message: str,
    indication: str,
    terms: set[str],
    synonyms: dict[str, str],
    not_words: set[str],
) -> str | None:
    """The condition the message names that `indication` (this label's indications) does not
    list, as the customer wrote it; None when a named condition is listed or none is named.
    `synonyms`: colloquial → clinical words (脚气 → 足癣); `not_words`: the product's names."""
    named: list[tuple[str, str]] = []  # (the customer's word, the word looked up)
    for colloquial, clinical in synonyms.items():
        if colloquial in message and clinical in terms:
            named.append((colloquial, clinical))
    for term in sorted(terms, key=len, reverse=True):
        if term not in message or any(term in n for n in not_words):
            continue
        if not any(term in said for said, _ in named):
            named.append((term, term))
    if not named or any(looked in indication or said in indication for said, looked in named):
        return None
    return named[0][0]
