"""A reported suspected adverse drug reaction, read from the structure of the message rather than
from listed phrasings: a use event (a medicine taken, applied, sprayed, dropped, inserted,
injected) followed by a change in the body, or a change the customer asks whether a medicine
caused. Works for any route and without the words 过敏 / 副作用 / 不良反应.

The signs are a vocabulary by body system (`knowledge/lexicon/reaction_signs.yaml`). A sign the
used product itself treats (in its label's 适应症 / 功能主治) is read as the illness, and a sign
said as persisting (还是, 仍然), negated, or after an improvement word is not a reaction.
The caller (triage) drops hypothetical and hearsay readings, as for every red flag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from copilot.ingest.yamlfile import read_yaml
from copilot.safety.tense import PAST_TIME

_USE = re.compile(
    r"(开始|自从|从|刚)?(吃|喝|服|用|涂|抹|擦|搽|喷|滴|点|贴|塞|放|打|输|挂|上|换|含)"
    r"(了|完|过|上|着|进去)?"
)
_MED_WORD = re.compile(
    r"(药膏|药水|眼药水?|滴眼液|眼膏|滴耳液|滴剂|喷剂|喷雾|鼻喷|栓剂|栓|膏药|贴剂|针剂|针|吊瓶|点滴|"
    r"胶囊|药片|片子|颗粒|冲剂|口服液|糖浆|疫苗|软膏|乳膏|凝胶|药)"
)
_NEGATED = re.compile(r"(没|没有|不|无|未|不再|没再|没啥|没什么|不怎么)[^，。,]{0,2}$")
_PERSISTING = re.compile(
    r"(还是|仍然|仍|依然|照样|还没好|一直没好|好多了|好些了|好了)[^，。,]{0,3}$"
)
# The window tells the illness goes on (吃了三天还是不好 鼻塞头疼): what follows is the illness.
_NOT_BETTER = re.compile(r"(还是|仍然|依然|照样|没好|不见好|不管用|没效果|没用|不见效|没起色)")
# ... or says so right after the sign (痒一点没见轻, 疼得还是没缓解): the illness, not a change
_NOT_BETTER_AFTER = re.compile(
    r"^[^，。,？?]{0,4}?(一点|完全|根本|压根|丝毫|还是|仍然|依然)?[都也还就]?"
    r"(没|没有|不)(见)?(好|轻(?![松易微])|减轻|缓解|消(?![化毒])|好转|起色|效果|管用)"
)
_CAUSE_ASKED = re.compile(
    r"(是不是|会不会是|可能是|该不会是|难道是|跟|和|与)[^。？?]{0,14}"
    r"(引起|导致|造成|吃的|用的|喷的|涂的|有关|有关系|的原因|的问题|闹的|的副作用|的反应)"
)
# A reaction told as history (去年吃头孢起过一次疹子): the allergy record, not a report now.
_EXPERIENTIAL = re.compile(r"(起过|出过|长过|过敏过|犯过|有过)")
# A change told as now, after a use told as past (上礼拜吃了几天… 这两天发现眼白有点黄)
_NOW = re.compile(r"这两天|这几天|这阵子|现在|今天|昨天|最近|目前|这会儿|发现|开始")
# A use event whose object is left unsaid (开始吃的, 用了以后, 吃完, 抹上之后)
_ELIDED = re.compile(
    r"(开始|自从|刚)?(吃|用|服|涂|抹|擦|喷|喝)(的|了?以后|了?之后|完|上以后|上之后)"
)
_VOMITED = re.compile(r"吐")
_REDOSE_ASKED = re.compile(
    r"(要不要|需不需要|用不用|还要|要|得|需要)[^，。,]{0,2}(补|再|重新)(吃|服|喝)"
    r"|补(吃|服)|再补|(再吃|补)一(片|粒|次|颗)"
    # or what the label says about it (说明书上怎么说的, 说明书咋写的)
    r"|说明书[^，。,？?]{0,3}(怎么|咋|如何)(说|写|讲)|说明书[^，。,？?]{0,3}(写|说)(了)?(什么|啥)"
    r"|还(有效|管用)吗|还(管不管用|有没有效)"
)
_LABEL_REDOSE = re.compile(r"呕吐[^。]{0,12}补服")
_ORGAN = re.compile(r"(胃|肚子|心口|腹)")
_WHICH = re.compile(r"什么|啥|哪|几种|几款")
_STOP = re.compile(r"[？?]")  # a question ends the window: what follows is a new question
WINDOW = 40


_ASKED_BEFORE = re.compile(r"(会|会不会|可能|容易|能不能|怕|担心)[^，。,]{0,1}$")
_ASKED_AFTER = re.compile(r"^[^，。,]{0,3}(吗|么|嘛|\?|？)")


@dataclass(frozen=True)
class Reaction:
    evidence: str
    at: int
    drug: str | None  # the product id when the medicine was linked
    mild_known: bool = False  # a mild effect the product's own label lists


class ReactionReader:
    def __init__(
        self,
        signs: list[str],
        indications: dict[str, str],
        listed: dict[str, str] | None = None,
        mild: dict[str, list[str]] | None = None,
        label_words: dict[str, list[str]] | None = None,
        patterns: list[str] | None = None,
        not_medicine: list[str] | None = None,
    ) -> None:
        self.signs = sorted({s for s in [*signs, *(mild or {})] if s}, key=len, reverse=True)
        alternatives = [*(f"(?:{p})" for p in patterns or []), *map(re.escape, self.signs)]
        self._sign = re.compile("|".join(alternatives)) if alternatives else None
        self._not_medicine = (
            re.compile("|".join(map(re.escape, not_medicine))) if not_medicine else None
        )
        self.indications = indications
        self.listed = listed or {}  # product → its label's 不良反应 and 注意事项 text
        self.mild = mild or {}
        self.label_words = label_words or {}

    @classmethod
    def load(cls, knowledge_dir: Path, documents: dict) -> ReactionReader:
        path = knowledge_dir / "lexicon" / "reaction_signs.yaml"
        data = dict(read_yaml(path) or {}) if path.exists() else {}
        label_words = data.pop("label_words", None) or {}
        patterns = [str(p) for p in data.pop("patterns", None) or []]
        not_medicine = [str(w) for w in data.pop("not_medicine", None) or []]
        mild_words = data.pop("mild_known", None) or {}
        mild = {str(k): [str(w) for w in v] for k, v in mild_words.items()}
        signs = [str(w) for words in data.values() for w in (words or [])]
        indications, listed = {}, {}
        for doc_id, doc in documents.items():
            if doc.label is None:
                continue
            indications[doc_id] = "\n".join(
                s.text for s in doc.sections if s.heading in ("适应症", "功能主治")
            )
            listed[doc_id] = "\n".join(
                s.text for s in doc.sections if s.heading in ("不良反应", "注意事项")
            )
        return cls(
            signs,
            indications,
            listed,
            mild,
            {str(k): [str(w) for w in v] for k, v in label_words.items()},
            patterns,
            not_medicine,
        )

    def read(self, text: str, links: list) -> Reaction | None:
        """The first reported reaction in `text` (normalised), or None. `links`: the message's
        drug links (objects with doc_id, matched and start)."""
        if self._sign is None:
            return None
        refs = [(lk.start, lk.start + len(lk.matched), lk.doc_id) for lk in links]
        refs += [(m.start(), m.end(), None) for m in _MED_WORD.finditer(text)]
        if not refs and not self.not_medicine(text):
            # the medicine left unsaid, as in a pharmacy chat it often is (昨天开始吃的 今天…起
            # 红疹子, 吃了以后就…): the use event stands for it
            refs = [(m.end(), m.end(), None) for m in _ELIDED.finditer(text)]
        for use in _USE.finditer(text):
            ref = self._object(use, refs)
            if ref is None:
                continue
            past = PAST_TIME.search(text[max(0, use.start() - 10) : use.start()])
            if _WHICH.search(text[use.end() : max(use.end(), ref[0])]):
                continue  # 用什么药消肿, 吃哪种药: asking which medicine, nothing used yet
            start = max(use.end(), ref[1])
            window = text[start : start + WINDOW]
            if stop := _STOP.search(window):
                window = window[: stop.start()]
            found = self._sign_in(window, ref[2])
            if found is not None and past and not _NOW.search(window[: found[1]]):
                continue  # 去年吃头孢起过疹子: history; 上周吃了… 这两天发现眼白黄: a change now
            if found is not None and not _EXPERIENTIAL.search(window[: found[1] + len(found[0])]):
                sign, at = found
                return Reaction(
                    text[use.start() : start + at + len(sign)],
                    use.start(),
                    ref[2],
                    mild_known=self._mild_known(sign, ref[2])
                    or self._redose_answered(sign, ref[2], text),
                )
        for m in _CAUSE_ASKED.finditer(text):
            inside = [r for r in refs if m.start() <= r[0] < m.end()]
            if inside:
                before = text[max(0, m.start() - WINDOW) : m.start()]
                found = self._sign_in(before, inside[0][2])
                if found is not None:
                    return Reaction(
                        text[max(0, m.start() - WINDOW) : m.end()], m.start(), inside[0][2]
                    )
        return None

    def not_medicine(self, text: str) -> bool:
        """The text names something that is not a medicine (food, cosmetics)."""
        return bool(self._not_medicine and self._not_medicine.search(text))

    def _treats(self, sign: str, indications: str) -> bool:
        words = {sign, sign.replace("疼", "痛"), *self.label_words.get(sign, [])}
        if any(w in indications for w in words):
            return True
        # an organ's upset said in free words (胃里火烧火燎): the stomach product treats it
        organ = _ORGAN.match(sign)
        upset = f"{organ.group(1)}[^，。；]{{0,4}}(痛|疼|不适|灼|酸|胀)" if organ else None
        return bool(upset and re.search(upset, indications))

    def _mild_known(self, sign: str, doc_id: str | None) -> bool:
        words = self.mild.get(sign)
        text = self.listed.get(doc_id or "", "")
        return bool(words and text and any(w in text for w in words))

    def _redose_answered(self, sign: str, doc_id: str | None, text: str) -> bool:
        """Vomiting soon after a dose, asked whether to take it again, when the product's label
        says what to do (如服药后2小时内发生呕吐，应立即补服1片): a question the label answers."""
        return bool(
            _VOMITED.search(sign)
            and _REDOSE_ASKED.search(text)
            and _LABEL_REDOSE.search(self.listed.get(doc_id or "", ""))
        )

    @staticmethod
    def _object(use: re.Match, refs: list) -> tuple | None:
        """The medicine of a use event: right after the verb (吃了阿莫西林) or right before it
        (达克宁霜涂了, 那个药吃了以后)."""
        after = [r for r in refs if use.end() <= r[0] <= use.end() + 10]
        if after:
            return min(after, key=lambda r: (r[0], r[2] is None))
        before = [r for r in refs if use.start() - 6 <= r[1] <= use.start()]
        if before:
            return max(before, key=lambda r: (r[1], r[2] is not None))
        return None

    def _sign_in(self, window: str, doc_id: str | None) -> tuple[str, int] | None:
        treats = self.indications.get(doc_id or "", "")
        for m in self._sign.finditer(window):
            head = window[: m.start()]
            if _NEGATED.search(head[-4:]) or _PERSISTING.search(head[-6:]):
                continue
            if _ASKED_BEFORE.search(head[-4:]) or _ASKED_AFTER.search(window[m.end() :]):
                continue  # 吃了会犯困吗: a question about an effect, not a report
            if _NOT_BETTER.search(head) or _NOT_BETTER_AFTER.search(window[m.end() :]):
                return None  # the illness goes on; not a new change
            if treats and self._treats(m.group(0), treats):
                continue  # the product treats it: the illness, not a reaction
            return m.group(0), m.start()
        return None
