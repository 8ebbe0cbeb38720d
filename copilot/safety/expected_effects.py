"""Effects a label itself calls expected and harmless (铁剂：排黑便，一般无需担心). A red flag
whose sign is such an effect of the product the customer names is not raised, unless something
else in play makes the sign dangerous: a drug that raises the bleeding risk (message, earlier
turns, record or cart), another alarm sign in the message, or a second emergency sign.

Data, not phrasings: the label's own sentence decides, so a new label that says 尿液变黄属正常
现象 works the same way."""

from __future__ import annotations

import re
from collections.abc import Iterable

from copilot.ingest.lexicon import normalize
from copilot.safety.knowledge import SafetyKnowledge
from copilot.schemas import RedFlag

# A label sentence saying the effect is expected and harmless.
_HARMLESS = re.compile(r"(无需担心|无须担心|不必担心|不用担心|属正常|正常现象|属于正常|不影响健康)")
_SENTENCE = re.compile(r"[^。；;\n]+")
# Signs that make the same symptom dangerous whatever the label says (tarry stool, vomiting blood,
# faintness, pain): the flag stands.
_ALARM = re.compile(
    r"(柏油|呕血|吐血|咖啡|头晕|眼前发黑|晕倒|昏|乏力|没力气|心慌|心跳快|冷汗|脸色发白|面色苍白"
    r"|腹痛|胃疼|胃痛|肚子疼|便血|血便|拉血)"
)
# Classes under which black stool or bleeding is never "expected".
_BLEEDING_RISK = {"nsaid", "antiplatelet", "anticoagulant", "salicylate", "vitamin_k_antagonist"}


# An alarm sign said as absent (没肚子疼也不头晕, 没有头晕): not there.
_DENIED = re.compile(r"(没|没有|不|无|未|也不|也没|并不|倒不)[^，。,？?]{0,1}$")


def _alarmed(text: str) -> bool:
    return any(
        not _DENIED.search(text[max(0, m.start() - 3) : m.start()]) for m in _ALARM.finditer(text)
    )


def harmless_sentences(sk: SafetyKnowledge, doc_id: str) -> list[str]:
    """The label's sentences that call an effect expected and harmless (normalised)."""
    doc = sk.documents.get(doc_id)
    if doc is None or doc.label is None:
        return []
    out = []
    for section in doc.sections:
        for m in _SENTENCE.finditer(section.text):
            sentence = normalize(m.group(0))
            if _HARMLESS.search(sentence):
                out.append(sentence)
    return out


def drop_expected(
    sk: SafetyKnowledge,
    flags: list[RedFlag],
    text: str,
    named: Iterable[str],
    in_play: Iterable[str],
) -> list[RedFlag]:
    """`flags` without those whose sign the label of a product in `named` (label ids the
    message names) calls harmless. `in_play`: every label id in play (message, history,
    record, cart); a bleeding-risk drug among them keeps every flag."""
    named = list(named)
    if not named or _alarmed(text) or sum(f.tier == "emergency" for f in flags) > 1:
        return flags
    for doc_id in in_play:
        doc = sk.documents.get(doc_id)
        if (
            doc is not None
            and doc.label is not None
            and any(set(i.classes) & _BLEEDING_RISK for i in doc.label.ingredients)
        ):
            return flags
    harmless = [s for doc_id in named for s in harmless_sentences(sk, doc_id)]
    if not harmless:
        return flags
    words = {
        str(e["id"]): [normalize(str(w)) for w in e.get("words") or []]
        for e in sk.lexicon.red_flags
    }
    expected = {
        f.id
        for f in flags
        if any(w in s for w in words.get(f.id, []) for s in harmless) and f.evidence in text
    }
    if not expected:
        return flags
    # The alarm goes; the change the customer reports stays a suspected reaction (FACTS: any
    # suspected adverse reaction goes to a pharmacist), who confirms it is the expected one.
    return [f for f in flags if f.id not in expected]
