"""What an allergy names, and which label lines name it.

A customer's allergy (档案：硝苯地平过敏; 消息：我对磺胺过敏) is read into class ids through
`lexicon/allergens.yaml` (substance and class words, and the stems generic names share within a
class: …地平, …硝唑, 头孢…) as well as the drug-class lexicon and the labels we carry. A label's
allergy lines (对二氢吡啶类钙通道阻滞剂（如氨氯地平、硝苯地平等）过敏者禁用; 本品与磺胺类药物…有交
叉过敏; 对本品及酒精过敏者禁用) are read at load into the words and classes they name, with the
severity the line gives (禁用 or the 禁忌 section → contraindicated, otherwise major). A
contraindication written only in the label text so still raises an alert."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from copilot.errors import KnowledgeError
from copilot.ingest.lexicon import normalize
from copilot.ingest.yamlfile import read_yaml

SECTIONS = ("禁忌", "注意事项", "警示语")
_SENTENCE = re.compile(r"[。；;\n]")
_ALLERGY_LINE = re.compile(r"过敏")
_SEVERE = re.compile(r"禁用|不得使用|禁止使用")
_CAUTION = re.compile(r"慎用|交叉过敏|告知医生|咨询医师|咨询药师|不应使用|不宜")
# "过敏体质者慎用" names no allergen: a line whose only allergy is the constitution is skipped
_CONSTITUTION = re.compile(r"过敏体质|过敏性疾病|过敏史者")
_HAN = r"[\u4e00-\u9fff]"


@dataclass(frozen=True)
class AllergenLexicon:
    words: dict[str, frozenset[str]] = field(default_factory=dict)
    drugs: dict[str, frozenset[str]] = field(default_factory=dict)
    suffixes: dict[str, frozenset[str]] = field(default_factory=dict)
    prefixes: dict[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> AllergenLexicon:
        if not path.is_file():
            return cls()
        data = read_yaml(path) or {}
        out = {}
        for part in ("words", "drugs", "suffixes", "prefixes"):
            entries = data.get(part) or {}
            if not isinstance(entries, dict):
                raise KnowledgeError(
                    f"`{part}` is not a mapping of word → [class ids]",
                    path=path,
                    fix=f"write `{part}:` then lines like `硝唑: [nitroimidazole]`",
                )
            out[part] = {
                normalize(str(k)): frozenset(str(c) for c in v or []) for k, v in entries.items()
            }
        return cls(**out)

    def classes_in(self, text: str) -> set[str]:
        """Every class a piece of text names: class words, and generic names by their stems."""
        text = normalize(text)
        found: set[str] = set()
        for table in (self.words, self.drugs):
            for word, classes in table.items():
                if word in text:
                    found |= classes
        for stem, classes in self.suffixes.items():
            if re.search(f"{_HAN}{stem}", text):
                found |= classes
        for stem, classes in self.prefixes.items():
            if re.search(f"{stem}{_HAN}", text):
                found |= classes
        return found


@dataclass(frozen=True)
class AllergyLine:
    """One label sentence about allergy: what it names and how strongly."""

    section: str
    sentence: str
    severity: str  # contraindicated | major
    classes: frozenset[str]


def read_allergy_lines(doc, allergens: AllergenLexicon) -> list[AllergyLine]:
    out = []
    for section in doc.sections:
        if section.heading not in SECTIONS:
            continue
        for sentence in _SENTENCE.split(section.text):
            sentence = sentence.strip()
            if not _ALLERGY_LINE.search(sentence):
                continue
            named = _CONSTITUTION.sub("", sentence)
            if "过敏" not in named:
                continue
            if section.heading == "禁忌" or _SEVERE.search(sentence):
                severity = "contraindicated"
            elif _CAUTION.search(sentence):
                severity = "major"
            else:
                continue
            out.append(
                AllergyLine(
                    section=section.heading,
                    sentence=sentence,
                    severity=severity,
                    classes=frozenset(allergens.classes_in(sentence)),
                )
            )
    return out


def names_allergy(line: AllergyLine, word: str, classes: set[str]) -> bool:
    """The line names the customer's allergy: the word itself (磺胺 in 磺胺类药物, 硝苯地平 in
    如氨氯地平、硝苯地平等), or a class the allergy belongs to (替硝唑 → 其他硝基咪唑类)."""
    word = normalize(word)
    if len(word) >= 2 and word not in ("本品", "药物", "药品") and word in normalize(line.sentence):
        return True
    return bool(classes & line.classes)
