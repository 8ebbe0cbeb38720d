"""Questions no aspect names: the label unit that answers one clause of the message by the
clause's own words (能用茶水送吗 → 服用本品时忌茶; 风寒感冒能喝不 → 风寒感冒者不适用; 吃了能把降压药
停了吗 → 本品不能代替药物).

The aspects (answer_aspects.yaml) cover what customers usually ask; a clause none of them names
is matched here instead of being dropped. Each word of the clause (jieba words and the
lexicon's clinical words; single characters of a longer word count half) is weighted by how
rare it is among this label's units: a word every unit has (服用, 本品) says nothing, a word
one unit has (茶, 风寒) points at it. The best unit must share at least one whole word with the
clause (not only characters cut from longer words) and score at least MIN_SCORE; otherwise
nothing is added (a wrong line is worse than none).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from copilot.drafting.units import Unit

MIN_SCORE = 2.5
# Words of asking and of taking, and people: in almost every question, never the asked fact.
_FILLER_WORDS = (
    "吃 用 喝 服 涂 抹 擦 喷 能 可以 行 不 没 吗 呢 啊 吧 还 再 要 会 "
    "得 的 了 着 过 这 那 个 种 药 片 粒 我 他 她 孩子 宝宝 小孩 大人 "
    "老人 医生 说 问 请问 一下 一起 现在 今天 已经 怎么 怎么办 怎么样 什么 "
    "啥 多少 几 多久 是不是 能不能 可不可以 行不行 有没有 需要 需不需要 没事 "
    "有事 影响 问题 正常 注意 情况 时候 东西 时间 一点 有点 一些 接着 继续 "
    "地方 部位 位置 这里 那里 这儿 那儿 "
    "本品 服用 服药 使用 用药 一次 每次 一天 每天 一日 每日 几次 几粒 几片 "
    "几袋 几包 几支 儿子 女儿 闺女 老婆 老公 爸爸 妈妈 我爸 我妈 岁 公斤 斤 "
    "克 毫升 次 天 小时 "
    # the frame of a question, not its fact (不能跟哪些药一块吃)
    "不能 不可以 哪些 哪种 哪个 哪样 一块 一块儿 一同 同时 别的 其他 其它 跟 和 与 平时 周末"
)
_FILLER = frozenset(_FILLER_WORDS.split())
_NUMBER = re.compile(r"^[\d.]+$")
# 能用, 可以吃, 能不能喝: asking words glued to a verb by the word cutter
_FILLER_START = re.compile(
    r"^(?:能|可以|可不可以|能不能|要不要|会不会)(?:吃|用|喝|服|涂|抹|擦|喷)?$"
)
_CLAUSE_SPLIT = re.compile(r"[，,。？?！!；;\s]+|(?:还有|另外|顺便问下|顺便|以及)")


@dataclass(frozen=True)
class OpenHit:
    unit: Unit
    words: tuple[str, ...]  # the clause's words the unit carries
    score: float


def clauses(message: str) -> list[str]:
    return [c for c in _CLAUSE_SPLIT.split(message) if len(c) >= 2]


class OpenMatcher:
    def __init__(
        self,
        words: Callable[[str], list[str]],
        clinical: Callable[[str], list[str]] = lambda text: [],
    ) -> None:
        self.words = words  # the retriever's tokenizer (jieba + lexicon expansion)
        self.clinical = clinical  # the lexicon's clinical words for the text's colloquial ones

    def weights(
        self, text: str, units: list[Unit], not_words: set[str] = frozenset()
    ) -> tuple[dict[str, float], set[str]]:
        """The asked words of `text` that some unit carries, each weighted by how rare it is
        among `units`; and which of them are whole words. `not_words`: the product's names
        (naming the product says nothing about what is asked)."""
        tokens = [w for w in self.words(text) if not any(w in n for n in not_words)]
        longer = [w for w in tokens if len(w) > 1]
        # a word of its own (茶, 酒) is whole; a character cut from a longer word (茶 of 茶水)
        # is a fragment and counts half
        whole = {w for w in tokens if len(w) > 1 or not any(w in m for m in longer)}
        whole |= set(self.clinical(text))  # 茶水 → 茶: the lexicon's word is whole
        wanted = {
            w
            for w in tokens
            if w not in _FILLER and not _FILLER_START.match(w) and not _NUMBER.match(w)
        }
        texts = [u.text for u in units]
        n = len(texts)
        weights = {}
        for w in wanted:
            df = sum(1 for t in texts if w in t)
            if df:
                weights[w] = math.log((n + 1) / df) * (1.0 if w in whole else 0.5)
        return weights, whole

    def best(
        self,
        clause: str,
        units: list[Unit],
        *,
        skip: Callable[[Unit], bool],
        not_words: set[str],
    ) -> OpenHit | None:
        """The unit of `units` that best answers `clause`, or None."""
        weights, whole = self.weights(clause, units, not_words)
        best: OpenHit | None = None
        for unit in units:
            if skip(unit):
                continue
            hit = tuple(w for w in weights if w in unit.text)
            if not any(w in whole for w in hit):
                continue
            score = sum(weights[w] for w in hit)
            if best is None or score > best.score + 1e-9:
                best = OpenHit(unit, hit, score)
        if best is None or best.score < MIN_SCORE:
            return None
        return best
