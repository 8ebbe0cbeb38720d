"""Policy answers: the governing rule first, then the procedure.

A policy section whose heading prohibits what the customer asks about (药品一经售出不予退换 for
"能退吗") governs the answer: its heading and first sentence lead. Then the policy's units that
best answer the question: the question's words, the retrieval rank of their section, and a time
when a time is asked ("多久到账").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from copilot.drafting.answer import Answer, Line, Request
from copilot.drafting.clock import said_hour, window_contains
from copilot.drafting.open_match import OpenMatcher
from copilot.drafting.unit_vectors import UnitVectors
from copilot.drafting.units import Unit, UnitCache
from copilot.ingest.lexicon import normalize
from copilot.schemas import Chunk

_POLICY_RULE = re.compile(r"(?:不予|不能|不得|不支持|不接受|不适用|无法|一律)([一-龥]{1,4})")
_PERMISSION = r"(?:能|可以|可不可以|能不能|可否|行不行|想|要|申请|怎么|如何)"
_TIME_ASK = re.compile(r"多久|几天|多长时间|什么时候|啥时候|时间|几点|哪天|多快|到账|时效")
# "怎么开发票", "流程是什么": the units that say what to do (申请, 提交, 上传 …) answer it.
_HOW_ASK = re.compile(r"怎么|如何|怎样|流程|步骤|填啥|填什么|要填|需要什么|咋")
_PROCEDURE = re.compile(
    r"申请|提交|上传|点击|进入|选择|填写|联系|拨打|在「|在“|页面|绑定|开通|登录|扫码|出示|办理|授权"
)
# "半夜有人吗": the units about the night hours answer it.
_NIGHT_ASK = re.compile(r"半夜|夜里|夜间|深夜|凌晨|晚上|通宵")
_NIGHT_UNIT = re.compile(r"夜间|次日|值班|0:00|22:00|24:00|凌晨")
# A section whose heading names what kind of question it answers (申请与开具时间, 药师审核流程与
# 时效, 退款方式与到账时间, 运费): its units answer that kind of question.
_TIME_HEADING = re.compile(r"时间|时效|时限|期限")
_HOW_HEADING = re.compile(r"申请|流程|办理|方式|渠道|步骤")
_MONEY_ASK = re.compile(r"多少钱|收费|收钱|费用|运费|邮费|另外收|要钱|加钱|免费|包邮")
_MONEY_HEADING = re.compile(r"费|价格|金额")
_MONEY_UNIT = re.compile(r"\d+\s*元|免运费|包邮|免费")
# "给我妈买药能用我的医保吗": the units about family members (家庭共济, 配偶、父母、子女) answer it.
_FAMILY_ASK = re.compile(
    r"(?:我|给|帮|替)(?:家)?(?:妈|爸|父母|老人|老婆|老公|爱人|媳妇|孩子|儿子|女儿|家人|家里人)"
)
_FAMILY_UNIT = re.compile(r"家庭|配偶|父母|子女|家人|共济")
# "注销账号 把记录都删掉": what the law keeps (依法保存…不能提前删除) is part of the answer.
_DELETE_ASK = re.compile(r"删除|删掉|删了|注销|清除|清空|抹掉")
_KEPT_UNIT = re.compile(r"依法[^。]{0,6}保存|保存不少于|不能提前删除|留存")
# "几片都碎了 颜色也发黄": a quality problem described; the units about quality problems (what
# counts, how to apply, who pays) answer it.
_QUALITY_ASK = re.compile(
    r"碎|裂|破(了|损)|变色|发黄|发黑|变黑|发霉|霉|异物|潮|受潮|粘(在一起|连)|化了|漏(了|液)|过期|临期"
    r"|近效期|少了|缺了|不一样|有问题|质量"
)
_QUALITY_UNIT = re.compile(r"质量问题")
_GOODS_RECEIVED = re.compile(r"收到|到货|寄来|送来|拆开|打开|包装|药片|胶囊|药品|药|货")
_COUPON = re.compile(r"券|优惠|满减|积分")
_CATEGORY_WORD = {"health-product": "保健食品", "Rx": "处方药"}
_TIME_UNIT = re.compile(r"\d+\s*(?:小时|个工作日|工作日|日|天|分钟)|\d{1,2}:\d{2}|当日|次日|即时")


def policy_lines(
    req: Request,
    answer: Answer,
    units: UnitCache,
    chunks_of: Callable[[str], list[Chunk]],
    policy_ids: set[str],
    matcher: OpenMatcher | None = None,
    vectors: UnitVectors | None = None,
) -> None:
    """The governing rule first (a prohibiting heading about what is asked), then the units
    of the policy that best answer the question (its words; a time when a time is asked)."""
    hits = [r for r in req.strong if r.chunk.kind == "policy"]
    cued = [c for c in req.cues if c in policy_ids]
    if cued:
        hits.sort(key=lambda r: (r.chunk.doc_id not in cued, -r.score))
    if not hits and not cued:
        return
    # a policy the question points at answers it even when retrieval ranked a product's label
    # above it (培菲康要冷链寄 冷链费多少钱: the delivery policy, not the label)
    doc_id = (
        hits[0].chunk.doc_id if hits and (not cued or hits[0].chunk.doc_id in cued) else cued[0]
    )
    if matcher is not None and len(cued) > 1:
        doc_id = _best_policy(req.message, cued, units, chunks_of, matcher) or doc_id
    text = normalize(req.message)
    if _QUALITY_ASK.search(text) and _GOODS_RECEIVED.search(text) and not _COUPON.search(text):
        # a medicine received with a quality problem (离过期就剩3个月, 碎了): the policy that says
        # what counts as a quality problem answers it, whatever other word was cued (过期 → 券)
        doc_id = next(
            (
                d
                for d in sorted(policy_ids)
                if any(_QUALITY_UNIT.search(c.section) for c in chunks_of(d))
            ),
            doc_id,
        )
    ranked = [r.chunk for r in hits if r.chunk.doc_id == doc_id]
    chunks = ranked[:3] + [c for c in chunks_of(doc_id) if c not in ranked[:3]]
    text = normalize(req.message)
    words = {w for w in req.query_words if len(w) > 1}
    rule = governing_rule(req, doc_id, text, chunks_of)
    if rule is not None:
        # the rule, then its own first sentence (what it covers, the exceptions)
        answer.lines.append(Line("规定：", Unit(rule.section, rule, -1)))
        rule_units = [u for u in units.of(rule) if not staff_only(u.text)]
        if rule_units:
            answer.lines.append(Line("", rule_units[0]))
        chunks = [c for c in chunks if c != rule]
    time_asked = bool(_TIME_ASK.search(text))
    how_asked = bool(_HOW_ASK.search(text))
    night_asked = bool(_NIGHT_ASK.search(text))
    money_asked = bool(_MONEY_ASK.search(text))
    family_asked = bool(_FAMILY_ASK.search(text))
    delete_asked = bool(_DELETE_ASK.search(text))
    wrong_item = bool(_WRONG_ITEM_ASK.search(text))
    quality_asked = bool(_QUALITY_ASK.search(text)) and not wrong_item
    # the question's own two-character pieces (发错了 → 发错): a section heading that carries one
    # names what it answers, whatever the word segmentation made of the question
    asked_pieces = _pieces(text)
    hour = said_hour(text)  # 晚上11点上传的: only the window that holds 23:00 answers it
    # what kind of product the message names (辅酶Q10能刷医保吗: a 保健食品): the policy's rule
    # for that kind answers it
    kinds = {
        _CATEGORY_WORD[d.category]
        for d in req.triage.drugs
        if d.source == "message" and d.category in _CATEGORY_WORD
    }
    # The question's words, weighted by how rare they are in this policy (open_match.py): a word
    # every section has (药品, 订单) says little, 共济 or 快递柜 points at its unit. Without the
    # matcher every word counts one.
    all_units = [u for c in chunks for u in units.of(c)]
    if matcher is not None:
        weights, _ = matcher.weights(req.message, all_units)
    else:
        weights = dict.fromkeys(words, 1.0)
    # the units nearest the question in meaning (the embedding model), beside its words
    near = vectors.bonus(req.query_vector, all_units) if vectors is not None else {}
    # a time said (晚上十点还能下单吗): a window that leaves it out is dropped only when another
    # unit's window holds it; otherwise that window is the answer (每日8:00–21:00接单: 不能)
    permission_asked = bool(_PERMISSION_ASKED.search(text))
    holding = [u for u in all_units if hour is not None and window_contains(u.text, hour)]
    asked_words = [w for w in weights if len(w) > 1]

    def covered(unit: Unit) -> bool:
        """Another unit on the same subject holds the hour: one of the same section (白天…30分钟
        内审核 / 22:00以后提交的 次日审核), or one carrying a word of the question this one does."""
        shared = [w for w in asked_words if w in unit.text]
        mine = _pieces(unit.text)
        return any(
            any(w in h.text for w in shared)
            or (h.chunk.id == unit.chunk.id and mine & _pieces(h.text))
            for h in holding
            if h is not unit
        )

    refusals: set[int] = set()
    scored = []
    for rank, chunk in enumerate(chunks):
        heading = normalize(chunk.section)
        in_heading = 0.5 * sum(1 for w in weights if w in heading)
        named = bool(asked_pieces & _pieces(heading))
        in_heading += 1.0 * named
        in_heading += 1.0 * (quality_asked and bool(_QUALITY_UNIT.search(heading)))
        in_heading += 1.0 * (wrong_item and bool(_WRONG_ITEM_UNIT.search(heading)))
        # the kind of question the section's heading says it answers
        in_heading += 1.0 * (
            (time_asked and bool(_TIME_HEADING.search(heading)))
            + (how_asked and bool(_HOW_HEADING.search(heading)))
            + (money_asked and bool(_MONEY_HEADING.search(heading)))
        )
        chunk_units = units.of(chunk)
        for u in chunk_units:
            if staff_only(u.text):
                continue  # a line for the staff (客服不得…, 主管每月抽查…), not for the customer
            norm = normalize(u.text)
            s = sum(weights[w] for w in weights if w in norm) + in_heading + near.get(id(u), 0.0)
            if time_asked and _TIME_UNIT.search(u.text):
                s += 1.5
            if how_asked and _PROCEDURE.search(u.text):
                s += 1.0
                if u is chunk_units[0] and _HOW_HEADING.search(heading):
                    s += 1.0  # the first step of the procedure section itself
            if night_asked and _NIGHT_UNIT.search(u.text):
                s += 1.5
            if money_asked and _MONEY_UNIT.search(u.text):
                s += 1.5
            if family_asked and _FAMILY_UNIT.search(u.text):
                s += 1.5
            if delete_asked and _KEPT_UNIT.search(u.text):
                s += 1.5
            if quality_asked and _QUALITY_UNIT.search(u.text):
                s += 1.5
            if wrong_item and _WRONG_ITEM_UNIT.search(u.text):
                s += 1.5
            if named and u is chunk_units[0]:
                s += 1.0  # the section the question names: its opening states its rule
            if kinds and any(k in u.text for k in kinds):
                s += 1.5
            if permission_asked and _refuses(norm, text):
                refusals.add(id(u))  # 能退到支付宝吗 → 不支持退到其他账户: the "no" is the answer
            if hour is not None:
                held = window_contains(u.text, hour)
                if held is False and covered(u):
                    continue  # another time of day's rule: not this customer's case
                if held:
                    s += 2.0
            prior = (1.0, 0.7, 0.4)[rank] if rank < 3 else 0.0
            scored.append((s + prior - 0.02 * u.position, u))
    scored.sort(key=lambda item: -item[0])
    if wrong_item and scored:
        # an item not matching the order is answered by the rule for it, whatever words the
        # question shares with other sections (下单的是…: 下单 is everywhere in a returns policy)
        match = next((u for _, u in scored if _WRONG_ITEM_UNIT.search(u.text)), None)
        if match is not None:
            scored = [(scored[0][0] + 0.1, match), *[(sc, u) for sc, u in scored if u is not match]]
    if refusals and scored:
        # the unit that says no to what is asked leads, whatever the others' word counts
        lead = scored[0][0] + 0.1
        first = next(u for _, u in scored if id(u) in refusals)
        scored = [(lead, first), *[(sc, u) for sc, u in scored if u is not first]]
    # No fixed number of points: the best unit, and others only when they answer nearly as well
    # (at least 40% of the best score); four at most besides the governing rule.
    room = 4 - len(answer.lines) + (2 if rule is not None else 0)
    top = scored[0][0] if scored else 0.0
    if scored and rule is None and (quality_asked or wrong_item or _PROBLEM.search(text)):
        # a problem reported (碎了, 发错了): what to do follows the rule that answers it (请在签收
        # 后7日内提交申请…, 运费由平台承担): the procedure units right after the best unit in its
        # own section come next
        best = scored[0][1]
        follow = [
            u
            for u in units.of(best.chunk)
            if u.position > best.position and _NEXT_STEP.search(u.text) and not staff_only(u.text)
        ][:2]
        rest = [(sc, u) for sc, u in scored[1:] if u not in follow]
        scored = [scored[0], *[(top, u) for u in follow], *rest]
    for s, u in scored[: max(room, 1)]:
        if not answer.lines or (s > 3.0 and s >= 0.4 * top):
            answer.lines.append(Line("", u))


# A policy line written for the staff, not the customer: the customer in the third person
# (客户咨询处方药优惠时), a staff duty (客服不得…, 客服收到此类反馈后…) or an internal target
# (每月抽查, 投诉率目标) with nothing addressed to the customer (您).
_PROBLEM = re.compile(r"发错|寄错|送错|漏发|少发|少了|缺了|破损|压坏|压瘪|坏了|没收到|丢了|丢件")
# ... the wrong item or a missing one (寄错了, 来的是西替利嗪, 少了一盒): the units about items not
# matching the order answer it
_WRONG_ITEM_ASK = re.compile(
    r"(发|寄|送|拿|给)错|漏发|少发|少了|缺了|来的是|不是我(买|下单|要)的|发成"
)
_WRONG_ITEM_UNIT = re.compile(r"与订单不符|发错|漏发|少件")
_STAFF_ONLY = re.compile(
    r"(客户|顾客)(咨询|询问|要求|提出)|(与|向|对|跟)(客户|顾客)"
    r"|(客服|药师|专员)(主管)?(不得|须|应当?|每月|收到此类)"
    r"|抽查|汇总|目标为|考核"
)


def staff_only(text: str) -> bool:
    return bool(_STAFF_ONLY.search(text)) and "您" not in text


# A unit that says what happens next or who pays (请在…内提交, 上传照片, 运费由平台承担)
_NEXT_STEP = re.compile(r"请在|提交|上传|联系客服|承担|运费|补发|退款|审核")
_PERMISSION_ASKED = re.compile(
    _PERMISSION + r"[^，。？?]{1,12}(吗|么|嘛|不|没|\?|？)|(能|可以)不(能|可以)|行不行|可不可以"
)
_REFUSAL = re.compile(
    r"(不支持|不予|不能|不得|一律|不含|暂不|不送|不接受|不可|无法|除外)([^，。；]{0,12})"
)


def _refuses(unit: str, question: str) -> bool:
    """The unit refuses something the question names: a two-character piece of what follows
    the refusal (不支持退到其他账户, 不含港澳台) is in the question."""
    for m in _REFUSAL.finditer(unit):
        said = m.group(2)
        pieces = {said[i : i + 2] for i in range(len(said) - 1)} - _COMMON_PIECES
        if any(p in question for p in pieces):
            return True
    return False


def _pieces(text: str) -> set[str]:
    """The two-character Chinese pieces of `text`, less those every policy says."""
    return (
        {
            text[i : i + 2]
            for i in range(len(text) - 1)
            if re.fullmatch(r"[一-龥]{2}", text[i : i + 2])
        }
        - _COMMON_PIECES
        - {"每日", "以后", "以前", "之前", "之后", "当日", "次日"}
    )


# pieces every policy says (药品, 订单 …): sharing them says nothing about what is refused
_COMMON_PIECES = {"药品", "订单", "商品", "本平", "平台", "我们", "您的", "用户", "顾客", "服务"}


def _best_policy(
    message: str,
    cued: list[str],
    units: UnitCache,
    chunks_of: Callable[[str], list[Chunk]],
    matcher: OpenMatcher,
) -> str | None:
    """Of several policies the message points at (退款退到银行卡: returns and privacy), the one
    with the unit that carries most of the question's words, weighted by rarity across them."""
    pool = {d: [u for c in chunks_of(d) for u in units.of(c)] for d in cued}
    weights, _ = matcher.weights(message, [u for us in pool.values() for u in us])
    best, top = None, 0.0
    for doc_id, doc_units in pool.items():
        scores = (sum(w for k, w in weights.items() if k in u.text) for u in doc_units)
        score = max(scores, default=0.0)
        if score > top:
            best, top = doc_id, score
    return best


def governing_rule(
    req: Request, doc_id: str, text: str, chunks_of: Callable[[str], list[Chunk]]
) -> Chunk | None:
    """A section of the policy whose heading prohibits what the message asks about
    (药品一经售出不予退换 for "能退吗"): it governs the answer and is stated first."""
    for chunk in chunks_of(doc_id) or [r.chunk for r in req.strong]:
        if chunk.doc_id != doc_id:
            continue
        m = _POLICY_RULE.search(chunk.section)
        # (退款 / 退到支付宝 / 退回 ask about a refund's way, not whether a return is allowed)
        # (asked with the permission word a few words before: 能七天无理由退吗, 可以给我退了吗; or
        # the act asked with 吗 after it: 退换吗, 退不退)
        asked = (
            _PERMISSION
            + "[^，。？?]{0,8}["
            + m.group(1)
            + "](?![款钱到回费])|["
            + m.group(1)
            + "](?![款钱到回费])[^，。？?]{0,3}(吗|么|不[退换])"
            if m
            else ""
        )
        if m and re.search(asked, text):
            return chunk
    return None
