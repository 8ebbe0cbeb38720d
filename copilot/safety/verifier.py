"""Draft verifier: runs on every draft and on the final text an agent is about to send.

Checks, sentence by sentence: citation markers point at retrieved chunks (others are removed
and flagged); every medical sentence cites; every number with a dose, frequency, duration or
age unit appears in a cited chunk; no forbidden claim; no recommendation or sale of an Rx
drug; no offer to sell a never-online drug; no request for ID card, bank card or passwords;
no diagnosis. Outcome: pass / warn / block, each finding tied to its sentence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from copilot.ingest.lexicon import normalize
from copilot.safety.dose_tables import read_tables
from copilot.safety.knowledge import SafetyKnowledge
from copilot.safety.quantities import extract_quantities
from copilot.schemas import Chunk, Quantity, VerifierFinding, VerifierResult

_SENTENCE = re.compile(r"[^。！？!?\n；;]+(?:[。！？!?；;]+|\n|$)")
_CITE = re.compile(r"\[(\d+(?:\s*[,，、]\s*\d+)*)\]|【(\d+)】")
_MEDICAL = re.compile(
    r"(服用|口服|用量|剂量|一次|每次|每日|一日|每天|禁用|慎用|忌用|不良反应|副作用|过敏|孕妇|哺乳|"
    r"儿童|婴儿|老年|肝|肾|相互作用|同服|合用|饮酒|适应症|用于|治疗|缓解|症状|疗程|连续使用|"
    r"贮藏|保存|冷藏|避光|密封|成分|含有)"
)
_RECOMMEND = re.compile(
    r"(建议|推荐|可以|可|请|不妨|试试|先)[^，。,]{0,6}(买|购买|下单|吃|服用|用|试|入手|备)"
    r"|(直接|马上|现在)?(下单|加购|拍下|购买)|给您(发货|安排|下单)|帮您(下单|加购|安排)"
)
_SALE = re.compile(
    r"(有货|现货|下单|购买|拍下|直接拍|拍就行|加购|发货|包邮|库存|买几盒|给您发|帮您买|满减|优惠券|可以用.{0,6}券)"
)
# the words of an order (为您补发, 已发货, 退款) around a product named as its item
_ORDER_ITEM = re.compile(
    r"补发|重发|寄出|寄回|发货|退货|退款|换货|下单|订单|库存|到货|配送|快递|物流|缺货"
)


def _snippet(text: str, size: int = 24) -> str:
    text = text.strip()
    return text if len(text) <= size else text[:size] + "…"


_PII = re.compile(r"(身份证|证件号|银行卡|卡号|信用卡|密码|验证码|cvv|安全码|支付密码|社保卡号)")
_PII_ASK = re.compile(
    r"(提供|发(一下|给|过来|我)|告诉|输入|报(一下|给)|填写|拍照发|发送|告知|说一下)"
)
_PII_PROTECT = re.compile(r"脱敏|遮盖|隐藏|只保留|撤回|不会复述|加密")
_PII_REQUEST = re.compile(
    r"(请|麻烦|劳驾|需要您|您需要|请您|要求您|把您?的?)[^。]{0,12}(提供|发|告诉|输入|报|填写|拍)"
    r"|(发|告诉|报)(给)?我"
)
_DIAGNOSIS = re.compile(
    r"(您|你|宝宝|孩子|小孩|他|她)(家宝宝|家孩子)?(这|这个|的情况|的症状)?(就|应该|肯定|一定|可能|大概)?"
    r"(是|属于)(得了|患了|患有)?[^，。,]{0,10}(病|炎|症|溃疡|感染|结石|肿瘤|癌|综合征|过敏|流感|癣)"
    r"|(您|你|宝宝|孩子)(得了|患了|患有)|(得|患)的(就|应该)?是|(诊断|确诊)(为|是)"
)
# Telling the customer not to seek care, or that it is nothing (不用去医院, 在家观察就行, 没关系):
# never ours to say, least of all on a case waiting for a pharmacist.
_DISMISS_CARE = re.compile(
    r"(不用|不必|无需|没必要|别|不要|用不着)(去|上)?(医院|就医|看医生|看病|就诊|急诊|打120|叫120|120)"
    # care put off (先别急着去医院, 不急着去医院, 等药师评估了再去, 先观察看看)
    r"|(先别|先不要|不急着?|别急着?|暂时不用|先不用)[^，。,；;]{0,4}(去|上|打|叫)?(医院|就医|看医生|看病|就诊|急诊|120)"
    r"|等[^，。,；;]{0,8}(再去|再说|再决定)[^，。,；;]{0,2}(医院|就医|就诊|急诊)?|先(在家)?观察"
    r"|在家(里)?(观察|休息|养着?)就(行|好|可以)|没什么大碍|没啥大事"
    r"|不要紧|问题不大|不碍事|多喝(点)?(热)?水就"
)
# Words of care advice an edited holding reply may not add (观察, 喝水, 休息, 放心 …).
_CARE_ADVICE = re.compile(
    r"(医院|就医|观察|喝水|休息|放心|不用担心|别担心|没事|没关系|不要紧|好转|症状)"
)
_NEGATED_RECOMMEND = re.compile(r"(不建议|不推荐|不能|不可以|不要|请勿|切勿|无法|不可)")


def split_sentences(text: str) -> list[str]:
    return [m.group(0).strip() for m in _SENTENCE.finditer(text) if m.group(0).strip()]


def _cited_numbers(sentence: str) -> list[int]:
    numbers = []
    for m in _CITE.finditer(sentence):
        raw = m.group(1) or m.group(2)
        numbers += [int(n) for n in re.split(r"\s*[,，、]\s*", raw) if n]
    return numbers


def _strip_citations(sentence: str, keep: set[int]) -> str:
    def repl(m: re.Match) -> str:
        raw = m.group(1) or m.group(2)
        kept = [n for n in re.split(r"\s*[,，、]\s*", raw) if n and int(n) in keep]
        return f"[{','.join(kept)}]" if kept else ""

    return _CITE.sub(repl, sentence)


def _passage_quantities(text: str) -> list[Quantity]:
    """The quantities a passage states, a dosing table's too: each row read with its header's
    units (| 1～3 | 10～15 | 4 | under 年龄（岁）/ 体重（公斤）/ 一次用量（毫升） states 1～3岁,
    10～15公斤 and 4毫升, as a draft quoting the row writes them)."""
    found = extract_quantities(text)
    for row in read_tables(text):
        found += extract_quantities(row.text)
    return found


def _grounded(q: Quantity, chunk_quantities: list[Quantity]) -> bool:
    return any(abs(q.value - c.value) < 1e-6 and q.unit == c.unit for c in chunk_quantities)


def verify_draft(
    sk: SafetyKnowledge,
    draft: str,
    citations: Mapping[int, Chunk],
    *,
    require_citations: bool = True,
) -> VerifierResult:
    """Check `draft` against the chunks its [n] markers may cite (`citations`: n → chunk).

    `require_citations=False` is for text without sources (an edited holding reply): medical
    sentences need no marker, and only medical numbers (dose, frequency, age, weight) must be
    grounded (so an SLA such as "30分钟内" is not read as a dose); every other check applies."""
    checked_kinds = (
        ("dose", "frequency", "duration", "age", "weight", "temperature", "money")
        if require_citations
        else ("dose", "frequency", "age", "weight")
    )
    findings: list[VerifierFinding] = []
    cleaned: list[str] = []
    valid = set(citations)
    chunk_q = {n: _passage_quantities(c.text) for n, c in citations.items()}
    sentences = split_sentences(draft)
    # A sentence without a marker is covered by the next marked sentence of its paragraph
    # ("A。B[1]。" cites [1] for both); a sentence after the last marker is not covered.
    own = [[n for n in _cited_numbers(s) if n in valid] for s in sentences]
    inherited: list[list[int]] = []
    for i in range(len(sentences)):
        if own[i]:
            inherited.append(own[i])
            continue
        found: list[int] = []
        for j in range(i + 1, len(sentences)):
            if own[j]:
                found = own[j]
                break
            if "\n" in sentences[j]:
                break
        inherited.append(found)
    for sentence, cover in zip(sentences, inherited, strict=True):
        cited = _cited_numbers(sentence)
        invented = sorted({n for n in cited if n not in valid})
        if invented:
            findings.append(
                VerifierFinding(
                    level="block",
                    code="invented_citation",
                    sentence=sentence,
                    detail=f"引用编号{invented}不在检索结果中，已删除",
                )
            )
        sentence_clean = _strip_citations(sentence, valid)
        cited_ok = cover
        plain = _CITE.sub("", sentence)
        norm = normalize(plain)
        quantities = [q for q in extract_quantities(plain) if q.kind in checked_kinds]
        question = norm.rstrip().endswith(("?", "？", "吗", "呢")) or norm.startswith("请问")
        words = bool(_MEDICAL.search(norm))
        # a product named as an order's item (为您补发氯雷他定片, 阿莫西林已发货) is not advice
        named = bool(sk.linker.link(norm)) and not (_ORDER_ITEM.search(norm) and not words)
        # a time with no medicine in the sentence is the service's (物流5天没有更新), not a course
        quantities = [q for q in quantities if q.kind != "duration" or words or named]
        medical = bool(quantities) or (not question and (words or named))
        if medical and not cited_ok and (require_citations or quantities):
            findings.append(
                VerifierFinding(
                    level="block",
                    code="missing_citation",
                    sentence=sentence,
                    detail=f"“{_snippet(plain)}”是用药内容，但没有引用检索到的说明书或政策段落："
                    "请在该句末尾标注来源编号（如[1]，见来源列表；发给顾客时编号会自动去掉），"
                    "或删去这句",
                )
            )
        elif quantities:
            pool = [q for n in cited_ok for q in chunk_q[n]]
            for q in quantities:
                if not _grounded(q, pool):
                    findings.append(
                        VerifierFinding(
                            level="block",
                            code="ungrounded_number",
                            sentence=sentence,
                            detail=f"“{q.text}”未出现在所引用的段落中",
                        )
                    )
        for phrase, reason in sk.lexicon.forbidden_claims:
            if phrase in norm:
                findings.append(
                    VerifierFinding(
                        level="block",
                        code="forbidden_claim",
                        sentence=sentence,
                        detail=f"禁用表述“{phrase}”：{reason}",
                    )
                )
        links = sk.linker.link(norm)
        docs = [sk.documents[lk.doc_id].label for lk in links if lk.strength >= 2]
        negated = bool(_NEGATED_RECOMMEND.search(norm))
        rx = [d for d in docs if d and d.category == "Rx"]
        if rx and _RECOMMEND.search(norm) and not negated:
            findings.append(
                VerifierFinding(
                    level="block",
                    code="rx_recommendation",
                    sentence=sentence,
                    detail=f"推荐或销售处方药“{rx[0].generic_name}”：客服不得推荐处方药，须凭处方经药师审核",
                )
            )
        banned = [d for d in docs if d and d.never_online]
        if banned and _SALE.search(norm) and not negated:
            findings.append(
                VerifierFinding(
                    level="block",
                    code="never_online_sale",
                    sentence=sentence,
                    detail=f"“{banned[0].generic_name}”不在线销售，不得提供购买",
                )
            )
        if (
            _PII.search(norm)
            and _PII_ASK.search(norm)
            and not re.search(
                r"(不会|不要|请勿|切勿|无需|不需要|不必).{0,8}(提供|发|告诉|输入|索要|询问)", norm
            )
            # a sentence about protecting such data (脱敏, 只保留后4位, 会自动遮盖) asks for
            # nothing, unless it also asks (请提供…我们会脱敏 still asks)
            and not (_PII_PROTECT.search(norm) and not _PII_REQUEST.search(norm))
        ):
            findings.append(
                VerifierFinding(
                    level="block",
                    code="pii_request",
                    sentence=sentence,
                    detail="不得在聊天中索要身份证号、银行卡号、密码或验证码",
                )
            )
        if _DIAGNOSIS.search(norm) and not re.search(
            r"(无法|不能|不可以|不做|不提供)(诊断|判断)", norm
        ):
            findings.append(
                VerifierFinding(
                    level="block",
                    code="diagnosis",
                    sentence=sentence,
                    detail="客服和助手不得做出诊断，请建议就医或转药师",
                )
            )
        if _DISMISS_CARE.search(norm):
            findings.append(
                VerifierFinding(
                    level="block",
                    code="discourages_care",
                    sentence=sentence,
                    detail="不得劝顾客不就医或淡化病情（如“不用去医院”“没关系”），请交由药师判断",
                )
            )
        cleaned.append(sentence_clean)
    outcome = (
        "block" if any(f.level == "block" for f in findings) else ("warn" if findings else "pass")
    )
    return VerifierResult(outcome=outcome, findings=findings, cleaned_text="".join(cleaned))


# Sending the customer to emergency care (请立即拨打120, 马上去最近医院急诊, 带上药盒) only adds
# caution: an agent may always say it, also on a case the holding reply did not send there.
_SEEK_CARE = re.compile(r"120|急诊|去(最近的?)?医院|就医|就诊|看医生")


# What to do to the patient meanwhile (催吐, 喝牛奶, 平躺, 掐人中): first aid is the pharmacist's
# and the dispatcher's to give, and some of it harms (催吐 after a swallowed medicine).
_FIRST_AID = re.compile(
    r"催吐|压舌根|抠喉|抠嗓子|喝[^，。,；;]{0,4}(牛奶|水|醋|盐水|蛋清|糖水)|吃[点些]|(平|侧)躺|躺下|"
    r"热敷|冷敷|掐人中|按压|揉|放血|刮痧|拍背|灌|喂[^，。,；;]{0,4}(水|奶|药)|等[一等]?看看|观察"
)
_CLAUSE_SPLIT = re.compile(r"[，,；;、]")


def _only_seeks_care(sk: SafetyKnowledge, norm: str) -> bool:
    """The sentence only sends the customer to emergency care: every clause either says so or
    carries nothing of what to do to the patient, no dose and no drug."""
    if not _SEEK_CARE.search(norm) or _DISMISS_CARE.search(norm) or _FIRST_AID.search(norm):
        return False
    doses = [q for q in extract_quantities(norm) if q.kind in ("dose", "frequency")]
    drugs = [lk for lk in sk.linker.link(norm) if lk.strength >= 2]
    if doses or drugs or _MEDICAL.search(norm.replace("药盒", "")):
        return False
    # a clause beside the instruction that says what to do otherwise (可以先…, 再…)
    return all(
        _SEEK_CARE.search(c) or not _CARE_ADVICE.search(c) for c in _CLAUSE_SPLIT.split(norm)
    )


def verify_holding_edit(sk: SafetyKnowledge, text: str, holding: str) -> VerifierResult:
    """An agent's edit of a holding reply, while the case waits for a pharmacist: the holding
    reply's own sentences may stay, and what the agent adds may greet, apologise or say when the
    pharmacist will answer, but never carry medical content (a dose, a drug, advice on the
    condition, reassurance). Every check of `verify_draft` applies as well."""
    result = verify_draft(sk, text, {}, require_citations=False)
    own = {normalize(s) for s in split_sentences(holding)}
    findings = list(result.findings)
    for sentence in split_sentences(text):
        norm = normalize(_CITE.sub("", sentence))
        if norm in own or _only_seeks_care(sk, norm):
            continue
        # the holding reply's own sentence with something added inside it (请立即拨打120，等救护
        # 车时先给孩子催吐): the addition is checked, not waved through with the sentence
        medical = (
            bool(extract_quantities(norm))
            or bool(_MEDICAL.search(norm))
            or bool(_CARE_ADVICE.search(norm))
            or bool(_FIRST_AID.search(norm))
            or bool(_DISMISS_CARE.search(norm))
            or any(lk.strength >= 2 for lk in sk.linker.link(norm))
        )
        if medical:
            findings.append(
                VerifierFinding(
                    level="block",
                    code="holding_advice",
                    sentence=sentence,
                    detail="该问题已转药师：药师答复前只能发送转交回复，可加问候或说明答复时间，"
                    "不能加入用药、剂量或病情判断",
                )
            )
    outcome = (
        "block" if any(f.level == "block" for f in findings) else ("warn" if findings else "pass")
    )
    return VerifierResult(outcome=outcome, findings=findings, cleaned_text=result.cleaned_text)


# What a pharmacist's answer is checked for: what nobody may send (a promise of cure, a request
# for an ID or bank card, selling a never-online drug, talking the customer out of care). Doses
# and advice are the pharmacist's professional call and not checked against a cited source.
_PHARMACIST_CHECKS = {"forbidden_claim", "pii_request", "never_online_sale", "discourages_care"}


def verify_pharmacist_answer(sk: SafetyKnowledge, text: str) -> VerifierResult:
    result = verify_draft(sk, text, {}, require_citations=False)
    findings = [f for f in result.findings if f.code in _PHARMACIST_CHECKS]
    outcome = "block" if findings else "pass"
    return VerifierResult(outcome=outcome, findings=findings, cleaned_text=result.cleaned_text)
