"""Triage of a customer message in its conversation: class, intents, drugs, quantities,
populations (negation and other-person aware), red flags, durations, alcohol.

Deterministic and data-driven: the words come from knowledge/lexicon/. Customer text is data;
nothing in it changes how it is read.
"""

from __future__ import annotations

import itertools
import re

from copilot.ingest.lexicon import normalize
from copilot.retrieval.linking import DrugLink
from copilot.safety.knowledge import SafetyKnowledge
from copilot.safety.quantities import cn_to_number, days, extract_quantities
from copilot.schemas import (
    ClassMention,
    DrugMention,
    Intent,
    PopulationFinding,
    Profile,
    RedFlag,
    Triage,
    Turn,
)

# Label sections and policies (section_intents.yaml keys) → triage intents.
SECTION_TO_INTENT: dict[str, Intent] = {
    "用法用量": "dose_usage",
    "适应症": "indication",
    "功能主治": "indication",
    "禁忌": "contraindication",
    "药物相互作用": "interaction",
    "不良反应": "adverse_reaction",
    "孕妇及哺乳期妇女用药": "special_population",
    "儿童用药": "special_population",
    "老年用药": "special_population",
    "贮藏": "storage_expiry",
    "有效期": "storage_expiry",
    "prescription": "prescription_purchase",
    "delivery": "order_delivery",
    "returns": "return_refund",
    "coupons": "coupon_price",
    "medical-insurance": "coupon_price",
    "invoices": "invoice",
    "complaints": "complaint",
}
_PRODUCT_CHOICE = re.compile(
    r"(推荐|买(点|些)?(什么|啥)|吃(什么|啥)药|用(什么|啥)药|哪个好|哪种好|有什么药)"
)
_COMPLAINT = re.compile(r"(投诉|差评|举报|态度(太)?差|骗子|太慢了|坑人|退钱|12315|消协|曝光)")
_ALCOHOL = re.compile(
    r"(喝酒|饮酒|喝了.{0,4}酒|喝点酒|喝.{0,3}(啤酒|白酒|红酒|黄酒)|啤酒|白酒|红酒|黄酒|酒精|酗酒|应酬|喝多了)"
)
_ALCOHOL_NEG = re.compile(r"(不喝酒|没喝酒|没有喝酒|从不喝|滴酒不沾|戒酒了|不饮酒)")
_AGE_CHILD = re.compile(
    r"(宝宝|孩子|小孩|儿子|女儿|闺女|娃|婴儿|小朋友|宝|外孙|孙子|孙女|侄子|老大|老二|老三|阿仔|囡囡)[^，。,？?！!]{0,4}?"
    r"(\d+(?:\.\d+)?|[一二两俩三四五六七八九十半]+)\s*(个多月|多个月|个月|多月|月|岁半|岁|周岁|周半|天|周|个星期|个礼拜)"
)
_AGE_CHILD_BEFORE = re.compile(
    r"(\d+(?:\.\d+)?|[一二两俩三四五六七八九十半]+)\s*(个多月|个月|岁半|岁|周岁|周半|天|周|个星期)(大)?的?(宝宝|孩子|小孩|儿子|女儿|闺女|娃|婴儿|小朋友|宝)"
)
# An age said in days, weeks or months is a baby's whoever says it: 7周大, 出生20天, 两个月零几天,
# 生下来才十来天. Months need 大 / 零 / 出生 around them (吃了两个月 is a duration).
_AGE_INFANT_PLAIN = re.compile(
    r"(出生|生下来|刚生|刚出生|才生)[^，。,？?！!\d]{0,3}?(\d+|[一二两俩三四五六七八九十]+[多来]?)\s*(天|周|个星期|个礼拜|个月|个多月)"
    r"|(\d+|[一二两俩三四五六七八九十]+[多来]?)\s*(天|周|个星期|个礼拜|个月|个多月)(大|零)"
)
# Ages said with words: 新生儿, 刚出生 (days), 没满月 (< 1 month), 满月 (1), 双满月 (2), 百天 (3.3).
_AGE_WORDS: tuple[tuple[re.Pattern, float], ...] = (
    (re.compile(r"(新生儿|刚出生|刚生下来|才出生)"), 0.02),
    (re.compile(r"(没满月|未满月|不到满月|没出月子|还在月子里)"), 0.05),
    (re.compile(r"双满月"), 2 / 12),
    (re.compile(r"(?<![双没未到])满月(?![酒照宴])"), 1.1 / 12),
    (re.compile(r"(?<!过了)(百天|一百天)"), 100 / 365),
)
# The agent asked how old (多大, 几岁, 几个月): the customer's next turn answers with an age.
_ASKED_AGE = re.compile(r"(多大|几岁|几个月|年龄|月龄|多少岁|多少个月)")
_AGE_ANSWER = re.compile(
    r"(\d+(?:\.\d+)?|[一二两俩三四五六七八九十半]+[多来]?)\s*(个多月|个月|岁半|岁|周岁|天|周|个星期|个礼拜)"
)
_AGE_ADULT = re.compile(
    r"(我|我爸|我妈|老人|爸爸|妈妈|父亲|母亲|爷爷|奶奶|外公|外婆|老公|老婆|本人)[^，。,？?！!]{0,4}?(\d+|[一二三四五六七八九十]+)\s*(岁|多岁|了)"
)
# An age said of a son, a daughter or "him/her" (她25了, 儿子28岁): whether they are children.
_AGE_OF_KIN = re.compile(
    r"(儿子|女儿|闺女|孩子|他|她)[^，。,？?！!\d]{0,4}?(\d+|[一二三四五六七八九十]+)\s*(岁|周岁|了)"
)
_KIN_WORDS = ("儿子", "女儿", "闺女", "孩子", "娃", "小孩")
_ADULT_KIN = re.compile(
    r"(儿子|女儿|闺女|孩子)[^，。,]{0,4}(上大学|读大学|大学生|研究生|工作了|上班了|结婚了|成年了)"
)
_CORRECTION = re.compile(r"(不是孩子|不是给孩子|孩子没事|不是给娃|是我自己|是我本人|给我自己)")
_PREGNANCY_WEEKS = re.compile(r"(孕|怀孕)\s*(\d+|[一二三四五六七八九十]+)\s*(周|个月|月)")
_SYMPTOM_DURATION = re.compile(
    r"(烧|发烧|发热|咳|咳嗽|疼|痛|拉|腹泻|哑|嘶哑|吐|过敏|痒|不好|不舒服|持续|已经|都|快|症状)"
    r"[^，。,？?！!]{0,4}?((\d+(?:\.\d+)?|[一二两俩三四五六七八九十半]+[多来]?)\s*"
    r"(天|日|周|星期|个星期|个多星期|礼拜|个礼拜|个多礼拜|个多月|个月|多月|月))"
)
_DURATION_PLAIN = re.compile(
    r"((\d+(?:\.\d+)?|[一二两俩三四五六七八九十半]+[多来]?)\s*(天|日|周|星期|个星期|个多星期|礼拜|个礼拜|个多礼拜|个多月|个月|月))"
    r"(了|多了|以上|还没好|还不好|都没好)"
)
_TAKING = re.compile(
    r"(在吃|一直吃|一直在吃|正在吃|正在服用|正服用|长期吃|长期服用|常年吃|吃着|在用|一直用|平时吃|每天吃|每天都吃|天天吃|在服)[^，。,？?！!]{0,3}$"
)
_FEVER = re.compile(
    r"(发烧|发热|烧到|体温|高烧|低烧|烧了|退烧|摸着烫|(?<![\d.])(3[89]|4[0-2])(\.\d)?\s*(度|℃)?(?![\d.]))"
)
_PAST_REACTION = re.compile(
    r"(以前|之前|曾经|上次|原来)[^。]{0,12}(起过|出过|过敏过|起了|出了)[^。]{0,4}(疹子|疙瘩|风团|荨麻疹|过敏)"
)
_ALLERGY_NEG = re.compile(r"(不|没|没有|无)(过敏)")
_CLAUSE = re.compile(r"[，。,？?！!；;\n]")


_ADJACENT_NEGATION = "没未不非无"
_RESOLVED = re.compile(r"(以前|之前|曾经|过去|小时候|去年)")
_RESOLVED_AFTER = re.compile(r"(现在|已经|早就)(好了|没事了|不疼了|没有了)|好了")


def _negated(text: str, start: int, negations: list[str], window: int = 5) -> bool:
    """A negation cue shortly before `start`, in the same clause ("没有怀孕", "没怀孕")."""
    if start > 0 and text[start - 1] in _ADJACENT_NEGATION:
        return True
    before = text[max(0, start - window) : start]
    clause = _CLAUSE.split(before)[-1]
    return any(neg and neg in clause for neg in negations)


def _resolved(text: str, start: int) -> bool:
    """ "以前胸口疼过，现在好了": a past symptom that is gone."""
    before = _CLAUSE.split(text[max(0, start - 8) : start])[-1]
    return bool(_RESOLVED.search(before)) and bool(_RESOLVED_AFTER.search(text[start:]))


def _about_other(text: str, start: int, third_party: list[str], window: int = 12) -> bool:
    before = text[max(0, start - window) : start]
    return any(cue and cue in before for cue in third_party)


def _drug_mentions(
    sk: SafetyKnowledge, text: str, source: str, links: list[DrugLink] | None = None
) -> list[DrugMention]:
    out = []
    links = sk.linker.link(text) if links is None else links
    # A span that names one product links only that product; a shared ingredient name
    # (布洛芬) links its single-ingredient products; class words are handled separately.
    best_by_span: dict[str, int] = {}
    for lk in links:
        best_by_span[lk.matched] = max(best_by_span.get(lk.matched, 0), lk.strength)
    for lk in links:
        if lk.strength < 2 or lk.strength < best_by_span[lk.matched]:
            continue
        doc = sk.documents[lk.doc_id]
        lab = doc.label
        taking = bool(_TAKING.search(text[max(0, lk.start - 10) : lk.start]))
        out.append(
            DrugMention(
                doc_id=doc.doc_id,
                name=lk.matched,
                source=source,
                category=lab.category,
                never_online=lab.never_online,
                ingredients=[i.key for i in lab.ingredients if "tcm" not in i.classes],
                classes=sorted({c for i in lab.ingredients for c in i.classes}),
                taking=taking,
            )
        )
    # A name several products share (布洛芬: capsule and suspension) keeps every one of them:
    # the checks and rules see each product it may mean (the cautious reading), and the medication
    # checks treat them as alternatives, not as products taken together.
    return out


def _class_mentions(sk: SafetyKnowledge, text: str, source: str) -> list[ClassMention]:
    out = []
    for word, classes in sk.lexicon.drug_classes.items():
        pos = text.find(word)
        if pos >= 0 and not _negated(text, pos, sk.lexicon.negations, 3):
            out.append(ClassMention(word=word, classes=classes, source=source))
    return out


def _populations(sk: SafetyKnowledge, text: str) -> list[PopulationFinding]:
    findings: dict[str, PopulationFinding] = {}
    lex = sk.lexicon
    for population, words in lex.populations.items():
        for word in sorted(words, key=len, reverse=True):
            pos = text.find(word)
            if pos < 0:
                continue
            finding = PopulationFinding(
                population=population,
                evidence=word,
                negated=_negated(text, pos, lex.negations),
                about_other_person=_about_other(text, pos, lex.third_party),
            )
            old = findings.get(population)
            # a positive mention wins over a negated one ("不是备孕，是已经怀孕了")
            if old is None or (old.negated and not finding.negated):
                findings[population] = finding
            break
    return list(findings.values())


_INGESTION_CHILD = re.compile(
    r"把[^。]{0,16}(药|片|胶囊|颗粒|滴剂|糖浆|混悬液|药水)[^。]{0,6}(吃|喝|吞|舔)(了|掉)"
    r"|(偷吃|误吃|误服|误喝|偷喝)"
)


# Diseases and words whose name contains 过敏 are not a reaction to a drug (过敏性鼻炎, 过敏体质):
# they are masked (same length, so positions hold) before reactions and allergies are read.
_ALLERGIC_DISEASE = re.compile(
    r"过敏性(鼻炎|皮炎|哮喘|结膜炎|紫癜|咳嗽|湿疹|肠炎)|过敏体质|过敏原|过敏史|抗过敏"
)


_HYPOTHETICAL = re.compile(r"(要是|如果|万一|假如|假设|会不会|算不算|是不是算|怎么判断)")
_NOT_YET = re.compile(r"(还没|没有|没)(吃|用|喝|服)")


def _hypothetical(text: str, at: int) -> bool:
    """A reaction asked about, not reported: a hypothetical cue before it in its clause, or the
    customer says they have not taken anything yet."""
    start = max(text.rfind(c, 0, at) for c in "。！？!?\n") + 1
    return bool(_HYPOTHETICAL.search(text[start : at + 8])) or bool(_NOT_YET.search(text))


_HEARSAY = re.compile(
    r"(听(说|人说|[\u4e00-\u9fa5]{1,3}说)|看(新闻|报道|网上|视频)[^，。]{0,2}说|新闻(上|里)|网上说|据说"
    r"|(老|总|常常?)说|年轻时|小时候)"
)
_NOW = re.compile(r"(现在|刚才|刚刚|正在|这会儿|今天|马上|快)")


def _hearsay(text: str, at: int) -> bool:
    """A red flag told as something heard (听说, 看新闻说) and not happening now."""
    start = max(text.rfind(c, 0, at) for c in "。！？!?\n") + 1
    clause = text[start : at + 12]
    return bool(_HEARSAY.search(text[start:at])) and not _NOW.search(clause)


def mask_allergic_diseases(text: str) -> str:
    return _ALLERGIC_DISEASE.sub(lambda m: "◇" * len(m.group(0)), text)


def _red_flags(sk: SafetyKnowledge, text: str, child_mentioned: bool) -> list[RedFlag]:
    flags: dict[str, RedFlag] = {}
    advice = {str(e["id"]): str(e.get("advice") or "") for e in sk.lexicon.red_flags}
    tiers = {str(e["id"]): e["tier"] for e in sk.lexicon.red_flags}

    def add(flag_id: str, evidence: str, at: int | None = None) -> None:
        if at is not None and tiers.get(flag_id) == "priority" and _hypothetical(text, at):
            return  # "要是过敏了怎么办 我还没吃": a question about a reaction, not a report
        if at is not None and _hearsay(text, at):
            return  # "听邻居说她家小孩误吃了药": something heard about, over, not happening now
        if flag_id in tiers and flag_id not in flags:
            flags[flag_id] = RedFlag(
                id=flag_id, tier=tiers[flag_id], evidence=evidence, advice=advice[flag_id]
            )

    for entry in sk.lexicon.red_flags:
        for word in entry.get("words") or []:
            word = normalize(str(word))
            pos = text.find(word)
            if (
                pos >= 0
                and not _negated(text, pos, sk.lexicon.negations, 4)
                and not _resolved(text, pos)
            ):
                add(str(entry["id"]), word, pos)
                break
    for flag_id, patterns in sk.lexicon.red_flag_patterns.items():
        for pattern in patterns:
            m = pattern.search(text)
            if (
                m
                and not _negated(text, m.start(), sk.lexicon.negations, 4)
                and not _resolved(text, m.start())
            ):
                add(flag_id, m.group(0), m.start())
                break
    if child_mentioned:
        m = _INGESTION_CHILD.search(text)
        if m:
            add("overdose", f"儿童误服：{m.group(0)}", m.start())
    return list(flags.values())


def _allergies(sk: SafetyKnowledge, text: str) -> list[str]:
    """Drug or class words right before 过敏 ("我青霉素过敏", "对头孢类过敏"), not negated."""
    found = []
    for clause in _CLAUSE.split(text):
        past_reaction = _PAST_REACTION.search(clause)
        if past_reaction:  # "以前吃氯雷他定起过疹子"
            for link in sk.linker.link(clause):
                if link.strength >= 2:
                    found.append(link.matched)
                    break
        if "过敏" not in clause or _ALLERGY_NEG.search(clause):
            continue
        head = clause[: clause.index("过敏")]
        for word in sorted(sk.lexicon.drug_classes, key=len, reverse=True):
            if word in head:
                found.append(word)
                break
        for link in sk.linker.link(head):
            if link.strength >= 2:
                found.append(link.matched)
                break
    return list(dict.fromkeys(found))


def _ages(text: str) -> tuple[float | None, float | None]:
    """(youngest child age, adult age) in years. A son or daughter aged 18 or more is an
    adult (我儿子28了, 她25了), not a child."""
    child = None
    adult = None
    found: list[float] = []
    for pattern, num_group, unit_group in ((_AGE_CHILD, 2, 3), (_AGE_CHILD_BEFORE, 1, 2)):
        for m in pattern.finditer(text):
            years = _years(m.group(num_group), m.group(unit_group))
            if years is None:
                continue
            if years >= 18:
                adult = years
                continue
            found.append(years)
    for m in _AGE_INFANT_PLAIN.finditer(text):
        unit = m.group(3) or m.group(5)
        years = _years(m.group(2) or m.group(4), "个星期" if unit == "周" else unit)
        if years is not None and years < 2:
            found.append(years)
    for pattern, years in _AGE_WORDS:
        if pattern.search(text):
            found.append(years)
    if found:
        child = min(found)
    for m in _AGE_OF_KIN.finditer(text):
        value = cn_to_number(m.group(2))
        if value is not None and value >= 18:
            adult = value
    for m in _AGE_ADULT.finditer(text):
        value = cn_to_number(m.group(2))
        if value is not None and value >= 18:
            adult = value
    return child, adult


def _years(number: str, unit: str) -> float | None:
    value = cn_to_number(number)
    if value is None:
        return None
    if "月" in unit:
        return value / 12
    if unit == "周半":
        return value + 0.5  # 两周半: two and a half years (周 as 周岁)
    if unit == "周" and value <= 6:
        return value  # 宝宝两周了: 周岁 shorthand; a baby in weeks is 7周大, 出生3周
    if unit in ("周", "个星期", "个礼拜"):
        return value * 7 / 365
    if unit == "天":
        return value / 365
    return value + 0.5 if unit == "岁半" else value


def answered_age(history: list[Turn], message: str) -> float | None:
    """An age given as the answer to the agent's question (客服：多大了？ 顾客：两个月零几天)."""
    turns = [*history, Turn(role="customer", text=message)]
    for before, turn in itertools.pairwise(turns):
        if before.role != "customer" and turn.role == "customer" and _ASKED_AGE.search(before.text):
            m = _AGE_ANSWER.search(normalize(turn.text))
            if m:
                return _years(m.group(1), m.group(2))
    return None


def _symptom_days(text: str) -> float | None:
    best = None
    for pattern, group in ((_SYMPTOM_DURATION, 2), (_DURATION_PLAIN, 1)):
        for m in pattern.finditer(text):
            for q in extract_quantities(m.group(group)):
                d = days(q)
                if d is not None and (best is None or d > best):
                    best = d
    return best


def triage(
    sk: SafetyKnowledge,
    message: str,
    *,
    history: list[Turn] | None = None,
    profile: Profile | None = None,
    links: list[DrugLink] | None = None,
    cues: list[str] | None = None,
) -> Triage:
    """`links` and `cues`: the message's drug links and section cues, when already found."""
    text = normalize(message)
    history = history or []
    earlier = [normalize(t.text) for t in history if t.role == "customer"]
    context = "\n".join([*earlier, text])

    drugs = _drug_mentions(sk, text, "message", links)
    seen = {d.doc_id for d in drugs}
    for turn in earlier:  # drugs named in earlier turns are carried forward
        for d in _drug_mentions(sk, turn, "history"):
            if d.doc_id not in seen:
                drugs.append(d)
                seen.add(d.doc_id)
    classes = _class_mentions(sk, text, "message")

    # Populations, red flags and ages read the whole customer side of the conversation:
    # "我怀孕了" two turns ago still holds.
    populations = _populations(sk, context)
    child_age, adult_age = _ages(context)
    answered = answered_age(history, message)
    if answered is not None:
        if answered < 18:
            child_age = answered if child_age is None else min(child_age, answered)
        elif adult_age is None:
            adult_age = answered
    if (
        child_age is None
        and profile is not None
        and profile.age_years is not None
        and profile.age_years < 18
    ):
        child_age = profile.age_years  # the record is the child's own (a parent's account)
    if _CORRECTION.search(text):
        # "说错了 孩子没事 是我自己发烧": the customer corrects who it is for
        child_age = None
        populations = [p for p in populations if p.population not in ("child", "infant")]
    if adult_age is None and _ADULT_KIN.search(context):
        adult_age = 18.0  # 我女儿都上大学了: grown up, age unsaid
    if adult_age is not None and child_age is None:
        # 我儿子28了: the kinship word names an adult here, not a child
        populations = [
            p
            for p in populations
            if not (p.population in ("child", "infant") and p.evidence in _KIN_WORDS)
        ]
    child_mentioned = child_age is not None or any(
        p.population in ("child", "infant") and not p.negated for p in populations
    )
    red_flags = _red_flags(sk, mask_allergic_diseases(text), child_mentioned)
    for m in _PREGNANCY_WEEKS.finditer(context):
        if not any(p.population == "pregnant" for p in populations):
            populations.append(PopulationFinding(population="pregnant", evidence=m.group(0)))
    if (
        child_age is not None
        and child_age < 1
        and not any(p.population == "infant" for p in populations)
    ):
        populations.append(PopulationFinding(population="infant", evidence=f"{child_age:.2f}岁"))
    if child_age is not None and not any(p.population in ("child", "infant") for p in populations):
        populations.append(PopulationFinding(population="child", evidence=f"{child_age:g}岁"))

    quantities = extract_quantities(text)
    temperature = max((q.value for q in quantities if q.kind == "temperature"), default=None)
    fever = (temperature is not None and temperature >= 38) or bool(_FEVER.search(text))
    if child_age is not None and child_age < 0.25 and fever:
        red_flags.append(
            RedFlag(
                id="infant_fever",
                tier="emergency",
                evidence=f"{child_age * 12:.1f}个月婴儿发热",
                advice="3个月以下婴儿发热须立即就医，请马上前往医院急诊或拨打120。",
            )
        )
    intents: list[Intent] = []
    for target in sk.lexicon.intended_sections(text) if cues is None else cues:
        intent = SECTION_TO_INTENT.get(target)
        if intent and intent not in intents:
            intents.append(intent)
    if "dose_usage" not in intents and any(q.kind in ("dose", "frequency") for q in quantities):
        intents.append("dose_usage")  # "一次吃2粒一天3次行吗"
    if _PRODUCT_CHOICE.search(text):
        intents.append("product_choice")
    if _COMPLAINT.search(text) and "complaint" not in intents:
        intents.append("complaint")
    if any(f.id == "diagnosis_request" for f in red_flags):
        intents.append("diagnosis_request")
    if not intents:
        intents.append("other")

    if any(f.tier == "emergency" for f in red_flags):
        message_class = "emergency"
    elif "complaint" in intents:
        message_class = "complaint"
    else:
        message_class = "consultation"

    allergies = _allergies(sk, mask_allergic_diseases(context))
    alcohol = bool(_ALCOHOL.search(text)) and not _ALCOHOL_NEG.search(text)
    about_other = any(p.about_other_person for p in populations) or bool(
        sk.lexicon.third_party and any(cue in text[:8] for cue in sk.lexicon.third_party)
    )
    if (
        profile is not None
        and profile.age_years is not None
        and adult_age is None
        and not about_other
    ):
        adult_age = profile.age_years
    return Triage(
        message_class=message_class,
        intents=intents,
        drugs=drugs,
        drug_classes=classes,
        quantities=quantities,
        populations=populations,
        child_age_years=round(child_age, 3) if child_age is not None else None,
        patient_age_years=adult_age,
        red_flags=red_flags,
        symptom_days=_symptom_days(context),
        fever=fever,
        alcohol=alcohol,
        allergies=allergies,
        about_other_person=about_other,
    )
