"""Drug entity linking: generic names, brand names, aliases and ingredient names, exact and with
one homophone typo (布落芬 → 布洛芬, 阿莫西临 → 阿莫西林), the pinyin input method's fuzzy pairs
included (仙特敏 → 仙特明)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pypinyin import lazy_pinyin

from copilot.ingest.lexicon import normalize
from copilot.schemas import Document

# How strongly a matched name points at a document.
PRODUCT_NAME = 3  # generic name, brand name or alias of this very product
SOLE_INGREDIENT = 2  # the product's only active ingredient
COMPONENT = 1  # one ingredient of a combination product
CLASS_WORD = 1  # a word for a whole drug class (头孢, 止疼药) naming a product's ingredient class

# A dosage-form word makes a name product-specific (布洛芬混悬液, 扑热息痛滴剂, 退烧片).
_FORM_WORD = re.compile(
    r"(片|胶囊|颗粒|口服液|溶液|糖浆|滴剂|混悬|喷雾|喷剂|气雾|软膏|乳膏|凝胶|洗剂|栓|丸|贴|散|"
    r"冲剂|注射|针|滴眼|滴耳|膏|缓释|肠溶|咀嚼)"
)

_FORM_SUFFIX = re.compile(
    r"(缓释|肠溶|咀嚼|分散|泡腾|含|软)?(片|胶囊|颗粒|口服液|口服溶液|溶液|糖浆|滴剂|混悬滴剂|混悬液|"
    r"喷雾剂|鼻喷雾剂|气雾剂|软膏|乳膏|凝胶|洗剂|栓|丸|贴|散|冲剂|注射液|滴眼液|水|膏)(Ⅱ|II)?$"
)


# The salt a base is sold as (磷酸奥司他韦, 盐酸氨溴索, 马来酸氯苯那敏): customers name the base
# (奥司他韦, 氨溴索). A base shorter than three characters (碳酸钙 → 钙) is not a name.
_SALT = re.compile(
    r"^(盐酸|磷酸|硫酸氢|硫酸|马来酸|富马酸|枸橼酸|酒石酸|氢溴酸|甲磺酸|苯磺酸|琥珀酸|醋酸|乳酸|"
    r"碳酸|葡萄糖酸|硝酸|门冬氨酸|苯甲酸|丁二酸)"
)


def unsalted(name: str) -> str:
    """The ingredient's base without the salt said before it, or the name itself."""
    base = _SALT.sub("", name)
    return base if len(base) >= 3 else name


_PINYIN_RUN = re.compile(r"[a-z]+(?: [a-z]+)*")


def _sound(name: str) -> str:
    return " ".join(lazy_pinyin(name))


# Sounds a pinyin input method treats as one (its 模糊音 set: z/zh, c/ch, s/sh, n/l, f/h, r/l;
# an/ang, en/eng, in/ing, ian/iang, uan/uang): a customer typing by sound picks the wrong
# character of the pair (仙特敏 for 仙特明, 布络芬 for 布洛芬).
_FUZZY_INITIAL = re.compile(r"^(zh|ch|sh|n|f|r)")
_FUZZY_INITIALS = {"zh": "z", "ch": "c", "sh": "s", "n": "l", "f": "h", "r": "l"}
_FUZZY_FINAL = re.compile(r"(ang|eng|ing)$")


# Characters that name a dosage form never take a fuzzy pair: 达克宁栓 is not 达克宁霜.
_FORM_CHARS = frozenset("片丸散栓霜膏剂液贴胶囊粒水露酊油锭茶冲滴喷雾凝乳")


def _fuzzy_syllable(syllable: str) -> str:
    syllable = _FUZZY_INITIAL.sub(lambda m: _FUZZY_INITIALS[m.group(1)], syllable, count=1)
    return _FUZZY_FINAL.sub(lambda m: m.group(1)[:-1], syllable)


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
        products: list | None = None,
    ) -> None:
        """`products`: rows of the product master (ingest.products.Product): their brands link
        to the product; a brand marked shared links to each product that carries it, equally
        (so naming it alone is ambiguous)."""
        self.fuzzy = fuzzy
        self.class_words = {normalize(w): set(c) for w, c in (class_words or {}).items()}
        self.names: dict[str, dict[str, int]] = {}
        self._exact_only: set[str] = set()
        self.ingredient_keys: dict[str, str] = {}  # Chinese ingredient name → key
        sole_key: dict[str, str] = {}  # doc id → key of its only western ingredient
        for doc in documents:
            if doc.label is not None:
                western = [i for i in doc.label.ingredients if "tcm" not in i.classes]
                if len(western) == 1:
                    sole_key[doc.doc_id] = western[0].key
        same_key: dict[str, list[str]] = {}
        for doc_id, key in sole_key.items():
            same_key.setdefault(key, []).append(doc_id)
        # Names that mean the ingredient, not one product: a sibling's ingredient name, the stem
        # (form word removed) of a sibling's name, or a name that sounds like one of those.
        ingredient_names: dict[str, set[str]] = {}  # ingredient key → names
        for doc in documents:
            key = sole_key.get(doc.doc_id)
            if key is None or len(same_key.get(key, [])) < 2:
                continue
            lab = doc.label
            names = ingredient_names.setdefault(key, set())
            names.update(normalize(i.name) for i in lab.ingredients if i.key == key)
            for name in [lab.generic_name, *lab.aliases]:
                stem = _FORM_SUFFIX.sub("", normalize(name))
                if stem != normalize(name) and len(stem) >= 2:
                    names.add(stem)
        sounds = {key: {_sound(n) for n in names} for key, names in ingredient_names.items()}
        self.ingredient_level: set[str] = set()
        for doc in documents:
            if doc.label is None:
                continue
            lab = doc.label
            for name in [lab.generic_name, *lab.brand_names]:
                self._add(name, doc.doc_id, PRODUCT_NAME)
            key = sole_key.get(doc.doc_id)
            for alias in lab.aliases:
                norm = normalize(alias)
                if key in ingredient_names and (
                    norm in ingredient_names[key] or _sound(norm) in sounds[key]
                ):
                    # 布洛芬, 扑热息痛, 布落芬: the ingredient we sell in several forms links
                    # every such product equally (naming it alone is ambiguous).
                    self.ingredient_level.add(norm)
                    for sibling in same_key[key]:
                        self._add(alias, sibling, SOLE_INGREDIENT)
                else:
                    self._add(alias, doc.doc_id, PRODUCT_NAME)
            western = [i for i in lab.ingredients if "tcm" not in i.classes]
            for ing in western:
                strength = SOLE_INGREDIENT if len(western) == 1 else COMPONENT
                for name in dict.fromkeys([ing.name, unsalted(ing.name)]):
                    self._add(name, doc.doc_id, strength)
                    self.ingredient_keys.setdefault(normalize(name), ing.key)
            classes = {c for ing in western for c in ing.classes}
            for word, wanted in self.class_words.items():
                if classes & wanted:
                    self._add(word, doc.doc_id, CLASS_WORD, fuzzy=False)
        # Stems of generic names without the dosage form (藿香正气 of 藿香正气水 and of
        # 藿香正气软胶囊): a stem of one product names it; a shared stem names each equally.
        stems: dict[str, set[str]] = {}
        for doc in documents:
            if doc.label is not None:
                stem = _FORM_SUFFIX.sub("", normalize(doc.label.generic_name))
                if len(stem) >= 3 and stem != normalize(doc.label.generic_name):
                    stems.setdefault(stem, set()).add(doc.doc_id)
        for stem, docs in stems.items():
            for doc_id in docs:
                self._add(stem, doc_id, PRODUCT_NAME if len(docs) == 1 else SOLE_INGREDIENT)
        # the other forms of one product (藿香正气水 → 藿香正气软胶囊): what "那软胶囊呢" turns to
        self.siblings: dict[str, list[str]] = {
            doc_id: sorted(docs - {doc_id})
            for docs in stems.values()
            if len(docs) > 1
            for doc_id in docs
        }
        known = {doc.doc_id for doc in documents if doc.label is not None}
        # Brands a maker uses across products (同仁堂, 999): alone they do not say which product.
        self.maker_brands: set[str] = set()
        self.routes = {p.id: p.route for p in products or [] if p.id in known}
        for product in products or []:
            if product.id not in known:
                continue
            for brand in product.brands:
                self._add(brand.name, product.id, PRODUCT_NAME)
                if brand.shared:
                    self.maker_brands.add(normalize(brand.name))
        self.forms = {
            doc.doc_id: normalize(doc.label.generic_name + doc.label.dosage_form)
            for doc in documents
            if doc.label is not None
        }
        # Toneless pinyin of product names and brands (3+ syllables' worth of letters) → ids.
        self.sounds: dict[str, list[str]] = {}
        self._sound_names: dict[str, str] = {}
        for name, docs in self.names.items():
            top = max(docs.values())
            if top >= PRODUCT_NAME and len(name) >= 2 and name not in self.class_words:
                sound = "".join(lazy_pinyin(name))
                if sound.isascii() and sound.isalpha() and len(sound) >= 5:
                    self._sound_names.setdefault(sound, name)
                    for doc_id, strength in docs.items():
                        if strength == top and doc_id not in self.sounds.get(sound, []):
                            self.sounds.setdefault(sound, []).append(doc_id)
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
        """Same toneless pinyin, allowing the input method's fuzzy pairs."""
        pa, pb = lazy_pinyin(a), lazy_pinyin(b)
        if pa == pb:
            return True
        if a in _FORM_CHARS or b in _FORM_CHARS:
            return False
        return [_fuzzy_syllable(x) for x in pa] == [_fuzzy_syllable(x) for x in pb]

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

    def _rank(self, link: DrugLink) -> tuple[int, bool, int]:
        return (link.strength, not link.fuzzy, -len(self.names.get(link.name, ())))

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
                # of two names for one product, the stronger, exact, then more specific one
                # (白云山板蓝根: 板蓝根 names one product, the maker's 白云山 several)
                if old is None or self._rank(link) > self._rank(old):
                    best[doc_id] = link
        # A name typed in pinyin (fenbide → 芬必得) links like the name itself, as a typo would.
        for m in _PINYIN_RUN.finditer(norm):
            for doc_id in self.sounds.get(m.group(0).replace(" ", ""), []):
                if doc_id not in best:
                    name = self._sound_names[m.group(0).replace(" ", "")]
                    best[doc_id] = DrugLink(doc_id, name, m.group(0), PRODUCT_NAME, True, m.start())
        return sorted(best.values(), key=lambda lk: (-lk.strength, lk.fuzzy, lk.start, lk.doc_id))
