"""Drug entity linking: generic names, brand names, aliases and ingredient names, exact and with
one homophone typo (布落芬 → 布洛芬, 阿莫西临 → 阿莫西林)."""

from __future__ import annotations

from dataclasses import dataclass

from pypinyin import lazy_pinyin

from copilot.ingest.lexicon import normalize
from copilot.schemas import Document

# How strongly a matched name points at a document.
PRODUCT_NAME = 3  # generic name, brand name or alias of this very product
SOLE_INGREDIENT = 2  # the product's only active ingredient
COMPONENT = 1  # one ingredient of a combination product
CLASS_WORD = 1  # a word for a whole drug class (头孢, 止疼药) naming a product's ingredient class

MIN_FUZZY_LEN = 3
MAX_FUZZY_LEN = 10  # typos are looked for in names up to this length


@dataclass(frozen=True)
class DrugLink:
    doc_id: str
    name: str  # the known name that matched
    matched: str  # the text in the query
    strength: int
    fuzzy: bool
    start: int


class DrugLinker:
    def __init__(
        self,
        documents: list[Document],
        *,
        fuzzy: bool = True,
        class_words: dict[str, list[str]] | None = None,
    ) -> None:
        self.fuzzy = fuzzy
        self.class_words = {normalize(w): set(c) for w, c in (class_words or {}).items()}
        self.names: dict[str, dict[str, int]] = {}
        self._exact_only: set[str] = set()
        self.ingredient_keys: dict[str, str] = {}  # Chinese ingredient name → key
        for doc in documents:
            if doc.label is None:
                continue
            lab = doc.label
            for name in [lab.generic_name, *lab.brand_names, *lab.aliases]:
                self._add(name, doc.doc_id, PRODUCT_NAME)
            western = [i for i in lab.ingredients if "tcm" not in i.classes]
            for ing in western:
                strength = SOLE_INGREDIENT if len(western) == 1 else COMPONENT
                self._add(ing.name, doc.doc_id, strength)
                self.ingredient_keys.setdefault(normalize(ing.name), ing.key)
            classes = {c for ing in western for c in ing.classes}
            for word, wanted in self.class_words.items():
                if classes & wanted:
                    self._add(word, doc.doc_id, CLASS_WORD, fuzzy=False)
        self.max_len = max((len(n) for n in self.names), default=0)
        self.lengths = sorted({len(n) for n in self.names if len(n) >= 2})
        self._cache: dict[str, list[DrugLink]] = {}
        self._masked: dict[str, list[str]] = {}
        for name in self.names:
            if len(name) >= MIN_FUZZY_LEN and name not in self._exact_only:
                for pos in range(len(name)):
                    self._masked.setdefault(name[:pos] + "*" + name[pos + 1 :], []).append(name)

    def _add(self, name: str, doc_id: str, strength: int, *, fuzzy: bool = True) -> None:
        key = normalize(name)
        if len(key) < 2:
            return
        docs = self.names.setdefault(key, {})
        docs[doc_id] = max(docs.get(doc_id, 0), strength)
        if not fuzzy:
            self._exact_only.add(key)

    @staticmethod
    def _same_sound(a: str, b: str) -> bool:
        return lazy_pinyin(a) == lazy_pinyin(b)

    def _matches(self, text: str) -> list[tuple[int, int, str, bool]]:
        """(start, end, known name, fuzzy) for every name found in text."""
        found = []
        n = len(text)
        for start in range(n):
            for length in self.lengths:
                end = start + length
                if end > n:
                    break
                piece = text[start:end]
                if piece in self.names:
                    found.append((start, end, piece, False))
                elif self.fuzzy and MIN_FUZZY_LEN <= length <= MAX_FUZZY_LEN:
                    for pos in range(len(piece)):
                        for name in self._masked.get(piece[:pos] + "*" + piece[pos + 1 :], ()):
                            if self._same_sound(piece[pos], name[pos]):
                                found.append((start, end, name, True))
        # Keep the longest matches; drop those inside a longer one (布洛芬 inside 布洛芬混悬液).
        found.sort(key=lambda m: (-(m[1] - m[0]), m[3], m[0]))
        kept: list[tuple[int, int, str, bool]] = []
        for match in found:
            if any(k[0] <= match[0] and match[1] <= k[1] and k != match for k in kept):
                continue
            kept.append(match)
        return sorted(kept)

    def link(self, text: str) -> list[DrugLink]:
        """Linked documents, strongest first (product names before shared ingredients)."""
        norm = normalize(text)
        hit = self._cache.get(norm)
        if hit is not None:
            return list(hit)
        links = self._link(norm)
        if len(self._cache) > 20000:
            self._cache.clear()
        self._cache[norm] = links
        return list(links)

    def _link(self, norm: str) -> list[DrugLink]:
        best: dict[str, DrugLink] = {}
        for start, end, name, fuzzy in self._matches(norm):
            for doc_id, strength in self.names[name].items():
                link = DrugLink(doc_id, name, norm[start:end], strength, fuzzy, start)
                old = best.get(doc_id)
                if old is None or (link.strength, not link.fuzzy) > (old.strength, not old.fuzzy):
                    best[doc_id] = link
        return sorted(best.values(), key=lambda lk: (-lk.strength, lk.fuzzy, lk.start, lk.doc_id))
