"""Chinese tokenisation for BM25: jieba with the drug names and lexicon as a user dictionary."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path

from copilot.ingest.lexicon import Lexicon, normalize

_KEEP = re.compile(r"[\u4e00-\u9fffa-z0-9]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
STOPWORDS = frozenset(
    [
        "的",
        "了",
        "吗",
        "呢",
        "啊",
        "吧",
        "呀",
        "哦",
        "嘛",
        "么",
        "我",
        "你",
        "他",
        "她",
        "它",
        "我们",
        "您",
        "是",
        "有",
        "在",
        "和",
        "与",
        "及",
        "或",
        "请问",
        "一下",
        "这个",
        "那个",
        "什么",
        "怎么",
        "怎样",
        "如何",
        "可以",
        "能",
        "能不能",
        "可不可以",
        "会",
        "会不会",
        "要",
        "需要",
        "还",
        "也",
        "都",
        "就",
        "吃",
        "用",
        "药",
        "个",
        "一",
        "这",
        "那",
        "些",
        "就是",
        "还是",
        "没",
        "不",
        "么样",
        "谢谢",
        "你好",
        "您好",
        "想",
        "问",
        "问下",
        "请",
        "给",
        "帮",
        "帮我",
    ]
)


class Tokenizer:
    """A private jieba tokenizer (the global one is left alone) with our user words added."""

    def __init__(self, words: Iterable[str] = (), cache_dir: Path | None = None) -> None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        self._jieba = jieba.Tokenizer()
        if cache_dir is not None:
            cache_dir.mkdir(parents=True, exist_ok=True)
            self._jieba.tmp_dir = str(cache_dir)
        for word in sorted(set(words)):
            word = normalize(word)
            if 2 <= len(word) <= 16 and " " not in word:
                self._jieba.add_word(word, freq=50000)

    def segments(self, text: str) -> list[str]:
        """The plain segmentation of the normalised text, in order (for reading structure)."""
        return self._jieba.lcut(normalize(text))

    def knows(self, word: str) -> bool:
        """Whether the dictionary (jieba's, plus drug names and lexicon words) has the word."""
        return self._jieba.FREQ.get(word, 0) > 0

    def tokens(self, text: str) -> list[str]:
        """Search-mode words without punctuation and stop words, plus the single Chinese
        characters of each word (啤酒 also yields 酒, which meets 饮酒 and 酒精)."""
        out = []
        for token in self._jieba.lcut_for_search(normalize(text)):
            token = token.strip()
            if token and token not in STOPWORDS and _KEEP.search(token):
                out.append(token)
                if len(token) > 1:
                    out += [ch for ch in token if _CJK.match(ch) and ch not in STOPWORDS]
        return out

    def query_tokens(self, query: str, lexicon: Lexicon) -> list[str]:
        tokens = self.tokens(query)
        for clinical in lexicon.expand(query):
            tokens += self.tokens(clinical)
        return tokens
