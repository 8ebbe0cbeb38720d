"""Which product a question is about. A draft may rest on a label only when the product the
customer named is that label's product:

- a name that links one product (a brand, a generic name, a product alias) → that product;
- a name several products share (an ingredient sold in two forms, a shared brand, a class word
  such as 他汀) → the one the context points at (cart, current medicines, earlier turns), else
  the customer is asked which, with the candidates named;
- a product-like reference that links nothing (an unknown brand, a name with a dosage form,
  "这个药", a romanised name) → the one product in the context for a bare "这个药", else the
  customer is asked for the name on the box or a photo of it.

Product-like references are found by their form, not by a list of names: a dosage-form word
after a name, a demonstrative before a medicine word, a word the tokenizer does not know in the
subject position of a question, latin letters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from copilot.ingest.lexicon import normalize
from copilot.retrieval.linking import CLASS_WORD, SOLE_INGREDIENT, DrugLink

_FORMS = (
    "口服溶液|口服液|混悬液|混悬滴剂|滴剂|糖浆|颗粒|冲剂|胶囊|软胶囊|片|丸|膏|软膏|乳膏|凝胶|"
    "洗剂|喷雾剂|喷雾|喷剂|气雾剂|栓|贴|注射液|针剂|滴眼液|眼药水|药水"
)
# Everyday words that end like a dosage form but name no medicine.
_NOT_MEDICINE = (
    "图片",
    "照片",
    "相片",
    "名片",
    "卡片",
    "芯片",
    "影片",
    "唱片",
    "肉片",
    "鱼片",
    "牙膏",
)
_VERB_OR_PARTICLE = re.compile(
    r"[吃用喝买的了和跟是给把在过么啥问请能会要拿放冲泡兑配就不别还都也先再可该]"
)
# water, not a 药水 (培菲康能拿开水冲吗, 用温水送服)
_WATER = re.compile(r"(?:开|温|凉|冷|热|白|清|淡|盐|糖|矿泉|纯净|白开)$")
# A count or measure before a form word is a quantity (两片, 几粒, 一盒), not a name.
_NOT_NAME = set("0123456789一二两三四五六七八九十几半每多个颗粒盒瓶袋支板了吃用的这那些片")
_FORM_AFTER_NAME = re.compile(rf"(?P<name>[\u4e00-\u9fa5a-z]{{1,8}}?)(?P<form>{_FORMS})")
_DEMONSTRATIVE = re.compile(
    r"(这|那)(个|种|款|盒|瓶|支|袋)?(药|胶囊|药片|片子|药膏|药水|喷剂|冲剂|颗粒)"
    r"|(吃|用|开|买|拿|喝)的(那个|这个|那种|这种|那款|这款)"
    r"|(什么|啥)的(那个)?"
    r"|xx|××"
)
_LATIN = re.compile(r"[a-z]{3,}")
_VAGUE = re.compile(r"(什么|啥|xx|××)")
_UNITS = {"mg", "ml", "kg", "iu", "mmol", "inr", "hpv", "ct", "app", "vip", "ok", "bmi"}
# Words after which, or before which, a name stands as the subject of a medicine question.
_BEFORE = re.compile(r"(吃|用|喝|擦|涂|抹|喷|买|和|跟|与|同|是)$")
_AFTER = re.compile(
    r"^(一天|一次|一日|每天|每次|怎么|能|可以|可不可以|吃|用|喝|抹|擦|涂|喷|和|跟|与|饭|要|是|"
    r"有|会|多久|几|的|副作用|说明书|对|治|管|掰|嚼|含|放|过期|开封)"
)
_CLAUSE = re.compile(r"[，。！？；、,.!?;\s]")
# Questions only a product's own label answers: with no product named they cannot be answered
# from any label, so the customer is asked which product (a recommendation, product_choice, is
# another matter).
PRODUCT_SPECIFIC = {
    "dose_usage",
    "storage_expiry",
    "adverse_reaction",
    "contraindication",
    "interaction",
}
_USE_QUESTION = re.compile(
    r"(能|可以|可不可以|能不能)[^，。？！?!,\s]{0,3}?(吃|用|喝|抹|擦|涂|喷|服)"
)


@dataclass(frozen=True)
class Naming:
    """The outcome: the products to answer about, or why the customer must be asked."""

    products: list[str] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)
    mention: str | None = None  # the words that named (or failed to name) the product
    reason: str | None = None  # None | "ambiguous" | "unknown"
    resolved_by: str | None = None  # "cart" | "profile" | "history" when the context decided

    @property
    def must_ask(self) -> bool:
        return self.reason is not None


def product_reference(text: str) -> str | None:
    """The first product-like words in `text` (normalised), or None: a demonstrative before a
    medicine word, a name before a dosage form, latin letters."""
    m = _DEMONSTRATIVE.search(text)
    if m:
        return m.group(0)
    for m in _FORM_AFTER_NAME.finditer(text):
        name = _VERB_OR_PARTICLE.split(m.group("name"))[-1]
        while name and name[0] in _NOT_NAME:
            name = name[1:]
        found = name + m.group("form")
        if len(name) >= 2 and name[-1] not in _NOT_NAME and not found.endswith(_NOT_MEDICINE):
            return found
    for m in _LATIN.finditer(text):
        if m.group(0) not in _UNITS:
            return m.group(0)
    return None


def unknown_subject(words: list[str], known_word) -> str | None:
    """A word the dictionary does not know, standing where a medicine's name stands: at the
    start of a clause or after 吃/用/和…, and followed by a question about using it."""
    text = "".join(words)
    pos = 0
    for w in words:
        start, pos = pos, pos + len(w)
        if not (2 <= len(w) <= 6) or not re.fullmatch(r"[\u4e00-\u9fa5]+", w) or known_word(w):
            continue
        before, after = text[:start], text[pos:]
        at_clause_start = not before or _CLAUSE.match(before[-1]) is not None
        if (at_clause_start or _BEFORE.search(before)) and _AFTER.match(after):
            return w
    return None


def name_products(
    *,
    text: str,
    links: list[DrugLink],
    words: list[str],
    known_word,
    context: dict[str, str],
    history_products: list[str],
    intents: list[str] = (),
    maker_brands: set[str] = frozenset(),
    forms: dict[str, str] | None = None,
    siblings: dict[str, list[str]] | None = None,
) -> Naming:
    """Decide which products `text` is about. `links`: the message's drug links; `context`:
    doc id → where it comes from (cart, profile) for products in play; `history_products`: the
    products of earlier turns (carried forward when the message names none)."""
    norm = normalize(text)
    named = [lk for lk in links if lk.strength >= SOLE_INGREDIENT]
    other_form = _other_form(norm, named, forms or {})
    if other_form:
        return Naming(mention=other_form, reason="unknown")
    if named:
        named = named + _in_context_names(named, context, forms or {})
        products, ambiguous = _by_span(named, maker_brands)
        for span, docs in ambiguous:
            if set(docs) & set(products):
                continue  # 999感冒灵: the maker's brand and the product name agree
            if products and normalize(span) in maker_brands:
                continue  # 白云山板蓝根: the maker's brand qualifies the product named with it
            chosen, source = _from_context(docs, context, history_products)
            if chosen:
                products.append(chosen)
                continue
            by_unit = _by_unit_said(norm, docs, forms or {})
            if by_unit:
                products.append(by_unit)  # 对乙酰氨基酚…一次吃几片: the tablet
                continue
            return Naming(candidates=docs, mention=span, reason="ambiguous")
        return Naming(products=list(dict.fromkeys(products)))
    classes = [lk for lk in links if lk.strength == CLASS_WORD]
    if classes:
        docs = list(dict.fromkeys(lk.doc_id for lk in classes))
        chosen, source = _from_context(docs, context, history_products)
        if chosen:
            return Naming(products=[chosen], mention=classes[0].matched, resolved_by=source)
        return Naming(candidates=docs, mention=classes[0].matched, reason="ambiguous")
    other = _form_asked(norm, history_products, forms or {}, siblings or {})
    if other:
        return Naming(products=[other], resolved_by="history")  # 那软胶囊呢: the other form
    reference = product_reference(norm) or unknown_subject(words, known_word)
    if reference is None:
        if history_products:
            return Naming(products=list(history_products))
        if _asks_about_a_product(norm, intents):
            # No product named: the question may well be about another product than the ones
            # in the cart, so ask, offering those as the likely answers.
            in_play = list(context)
            if in_play:
                return Naming(candidates=in_play, reason="ambiguous")
            return Naming(reason="unknown")
        return Naming()
    # A bare or vague reference (这个药, 那个什么霉素片, 硝酸xx) may mean the one product in play.
    bare = _DEMONSTRATIVE.search(reference) is not None or _VAGUE.search(norm) is not None
    if bare:
        in_play = list(dict.fromkeys([*history_products, *context]))
        if len(in_play) == 1:
            source = "history" if in_play[0] in history_products else context[in_play[0]]
            return Naming(products=in_play, mention=reference, resolved_by=source)
        if len(in_play) > 1:
            return Naming(candidates=in_play, mention=reference, reason="ambiguous")
    return Naming(mention=reference, reason="unknown")


# The unit or form a customer says tells the form apart (一次吃几片 → 片剂; 喂几毫升 → 滴剂 or
# 混悬液, still two; 一次几粒 → 胶囊; 冲几袋 → 颗粒)
_UNIT_FORMS = (
    (re.compile(r"[几\d一二两三半]\s*片|片剂|的片(?!刻)|药片"), ("片",)),
    (re.compile(r"[几\d一二两三半]\s*粒|胶囊"), ("胶囊",)),
    (re.compile(r"[几\d一二两三半]\s*(?:袋|包)|颗粒|冲剂"), ("颗粒", "散")),
    (re.compile(r"[几\d一二两三半]\s*(?:毫升|ml)|滴剂|混悬液|糖浆|口服液"), ("液", "滴剂", "糖浆")),
)


# A dosage form named as a noun (那软胶囊呢, 颗粒的一次几袋, 有没有片剂): not a unit of a dose.
_FORM_NOUN = re.compile(
    r"软胶囊|胶囊|颗粒|冲剂|口服液|滴剂|混悬液|糖浆|喷雾|软膏|乳膏|凝胶|片剂|药片|丸剂|药水|水剂"
)


def _form_asked(
    text: str, history: list[str], forms: dict[str, str], siblings: dict[str, list[str]]
) -> str | None:
    """A follow-up that names another form of the product in focus (history: 藿香正气水; now:
    那软胶囊呢 一次几粒): that form's product, when exactly one sibling has it."""
    m = _FORM_NOUN.search(text)
    if m is None:
        return None
    form = m.group(0)
    for doc_id in history:
        if form in forms.get(doc_id, ""):
            return None  # the product in focus is that form already
        fit = [d for d in siblings.get(doc_id, []) if form in forms.get(d, "")]
        if len(fit) == 1:
            return fit[0]
    return None


def _by_unit_said(text: str, docs: list[str], forms: dict[str, str]) -> str | None:
    """The one candidate whose dosage form matches the unit or form the message says."""
    for said, form_words in _UNIT_FORMS:
        if said.search(text):
            fit = [d for d in docs if any(w in forms.get(d, "") for w in form_words)]
            if len(fit) == 1:
                return fit[0]
    return None


_FORM_AT = re.compile(rf"^(?P<desc>[\u4e00-\u9fa5a-z0-9]{{0,4}}?)(?P<form>{_FORMS}|水)")
_SAME_FORM = {"口服液": ("口服液", "口服溶液", "溶液"), "药水": ("水", "溶液", "口服液")}


def _other_form(text: str, named: list[DrugLink], forms: dict[str, str]) -> str | None:
    """A linked name followed at once by a dosage form none of its products has (芬必得乳膏
    when we sell only the capsule; 藿香正气口服液 beside our 水 and 软胶囊): another product."""
    spans: dict[str, list[DrugLink]] = {}
    for lk in named:
        spans.setdefault(lk.matched, []).append(lk)
    for span, group in spans.items():
        start = group[0].start
        m = _FORM_AT.match(text[start + len(span) :])
        if not m:
            continue
        desc, form = m.group("desc"), m.group("form")
        if any(ch in _NOT_NAME or _VERB_OR_PARTICLE.match(ch) for ch in desc):
            continue  # 布洛芬两片, 芬必得吃一片: a quantity or a verb, not a product descriptor
        if form == "水" and _WATER.search(desc):
            continue
        accepted = [desc + a for a in _SAME_FORM.get(form, (form,))]
        if not any(a in forms.get(lk.doc_id, "") for lk in group for a in accepted):
            return span + desc + form
    return None


def _in_context_names(
    named: list[DrugLink], context: dict[str, str], forms: dict[str, str]
) -> list[DrugLink]:
    """Products in the cart or the record whose own name contains a linked name (维c → 维C银翘片
    in the cart): candidates for that name beside the product it links."""
    out = []
    for lk in named:
        for doc_id in context:
            if doc_id != lk.doc_id and lk.matched in forms.get(doc_id, ""):
                out.append(DrugLink(doc_id, lk.name, lk.matched, lk.strength, lk.fuzzy, lk.start))
    return out


def _asks_about_a_product(text: str, intents) -> bool:
    """A question about using one product (how much, side effects, storage, who may not take
    it, "能吃吗") rather than a request for a recommendation."""
    wanted = set(intents)
    if "product_choice" in wanted:
        return False
    if wanted & PRODUCT_SPECIFIC:
        return True
    return _USE_QUESTION.search(text) is not None


def _by_span(
    links: list[DrugLink], maker_brands: set[str] = frozenset()
) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """Products named unambiguously, and (span, candidates) for names that tie or are a maker's
    brand used across products."""
    spans: dict[str, list[DrugLink]] = {}
    for lk in links:
        spans.setdefault(lk.matched, []).append(lk)
    products: list[str] = []
    ambiguous: list[tuple[str, list[str]]] = []
    for span, group in spans.items():
        top = max(lk.strength for lk in group)
        best = list(dict.fromkeys(lk.doc_id for lk in group if lk.strength == top))
        if len(best) == 1 and normalize(span) not in maker_brands:
            products.append(best[0])
        else:
            ambiguous.append((span, best))
    return products, ambiguous


def _from_context(
    candidates: list[str], context: dict[str, str], history: list[str]
) -> tuple[str | None, str | None]:
    """The one candidate the cart, the current medicines or the conversation points at."""
    for source in ("cart", "profile"):
        hits = [d for d in candidates if context.get(d) == source]
        if len(hits) == 1:
            return hits[0], source
    hits = [d for d in candidates if d in history]
    if len(hits) == 1:
        return hits[0], "history"
    return None, None
