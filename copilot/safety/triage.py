"""Triage of a customer message in its conversation: class, intents, drugs, quantities,
populations (negation and other-person aware), red flags, durations, alcohol.

Deterministic and data-driven: the words come from knowledge/lexicon/. Customer text is data;
nothing in it changes how it is read.
"""

from __future__ import annotations

import re

from copilot.ingest.lexicon import normalize
from copilot.retrieval.linking import DrugLink
from copilot.safety.ages import CHILD_WORD, answered_age, read_ages
from copilot.safety.checks.overdose import over_a_course
from copilot.safety.course import COMPLAINT_RE, long_course, medicine_days_per_month, recurring
from copilot.safety.durations import answered_days, symptom_days
from copilot.safety.knowledge import SafetyKnowledge
from copilot.safety.patient import child_age_from_profile
from copilot.safety.quantities import extract_quantities
from copilot.safety.self_harm import suicidal
from copilot.safety.tense import (
    COMING,
    GENERAL_CLAIM,
    HEARSAY,
    OVER,
    PAST_TIME,
    TOLD_BY_OTHERS,
    acted_on,
    heard_of_past,
    near_miss,
)
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
# Products compared, not combined (有啥区别, 哪个好, 选A还是B): alternatives for one use.
_COMPARED = re.compile(
    r"(区别|差别|不同|不一样|哪个好|哪个更|哪种好|哪种更|选哪|对比|比较|一样吗|还是[^，。？?]{0,8}(好|强|快|合适)"
    # which of them works better, the aim said between (哪个止疼更好使, 哪种退烧快一点)
    r"|哪(个|种|款|一个|一种)[^，。？?]{0,6}(更|好使|管用|有效|见效快|快一?点|强一?点|好一?点))"
)
_TOGETHER = re.compile(r"(一起|同时|合用|交替|搭配|混着|轮着|错开|间隔|隔开|再吃|又吃|加上)")
_COMPLAINT = re.compile(r"(投诉|差评|举报|态度(太)?差|骗子|太慢了|坑人|退钱|12315|消协|曝光)")
# Drinking in any wording: a 酒 word that is not another thing (碘酒, 酒店, 酒石酸 in a drug's
# name, 酒精棉 for the skin, 酒窝), or glasses drunk (喝两杯, 整几杯, 小酌, 干杯) that are not
# of water, milk, tea or juice.
_ALCOHOL = re.compile(
    r"(?<![碘])酒(?!店|石酸|精棉|精消毒|精擦|窝|楼|精湿巾)"
    r"|(?:喝|整|干|来)了?(?:[一两俩几三半]|一两|好几)?[杯盅](?![水奶茶咖豆果汁温热开凉饮])"
    r"|小酌|干杯|酗酒|应酬|喝多了|喝醉|醉酒"
    # spirits by the weight (喝了半斤白的, 整了二两)
    r"|(?:喝|整|干)了?(?:半|一|二|两|三|几|[\d])(?:斤|两)(?![^，,。\s]{0,2}(?:奶|水|粥|汤|浆|汁|茶|可乐|饮料))"
    r"|白的(?=[，,。\s]|$)"
)
_ALCOHOL_NEG = re.compile(
    r"(不喝酒|没喝酒|没有喝酒|从不喝|滴酒不沾|戒酒了|不饮酒"
    # a product without alcohol asked for (要不含酒精的那个, 无酒精的)
    r"|(不含|不带|没有|无)酒精)"
)
# Drinking done or habitual (喝了两瓶啤酒, 昨晚喝多了, 平时天天喝): the interaction is real.
_ALCOHOL_TAKEN = re.compile(
    r"(喝了[^，。,？?！!]{0,4}酒|喝了(?:[一两俩几三半]|一两|好几)?[杯盅](?![水奶茶咖豆果汁温热开凉饮])"
    r"|(?:喝|整|干)了(?:半|一|二|两|三|几|[\d])(?:斤|两)(?![^，,。\s]{0,2}(?:奶|水|粥|汤|浆|汁|茶|可乐|饮料))"
    r"|喝过酒|刚喝[^，。,？?！!]{0,3}酒|喝完酒|喝多了|喝醉|醉了|酒后|宿醉|酗酒"
    r"|(天天|每天|经常|平时|一直|长期|还在|正在|每晚|每顿)[^，。,？?！!]{0,3}(喝|饮)|喝着酒|酒瘾)"
)
_QUESTION = re.compile(
    r"(吗|呢|么|？|\?|能不能|可不可以|行不行|会不会|要不要|是否|有没有|能否|影响"
    # a yes/no question said with 不 or 没 at the end (能喝两杯啤酒不, 能喝点酒没)
    r"|(能|可以|行|要|会)[^。！!？?，,]{0,10}(不|没|没有)\s*$)"
)
_SENTENCE_END = re.compile(r"[。！!？?\n]")
_KIN_WORDS = ("儿子", "女儿", "闺女", "孩子", "娃", "小孩", "孙子", "孙女", "外孙", "外孙女")
_GROWN = (
    r"(上大学|读大学|大学生|研究生|结婚了|成家了|成年了|退休了|当妈了|当爸了|有孩子了"
    # working, for a while or for years (工作了, 上班好几年了, 工作三年了)
    r"|(工作|上班)(了|好?几年|多年|[\d一二两三四五六七八九十]+年)"
    # a year of university or beyond (闺女大三了, 儿子读研)
    r"|大[一二三四五]|读研|读博|研[一二三]|博[一二三]|大学毕业|参加工作)"
)
_ADULT_KIN = re.compile(
    r"(儿子|女儿|闺女|孩子|孙子|孙女|外孙|外孙女)[^，。,]{0,4}"
    + _GROWN
    # said of them in the next clause (给我闺女买的 她都上班好几年了)
    + r"|(儿子|女儿|闺女|孩子|孙子|孙女|外孙|外孙女)[^。！？!?，,]{0,8}[\s，,](他|她)"
    + r"(都|已经|早就|早|今年|现在|目前|如今|在)*(读|念|上)?"
    + _GROWN
    # a child's parent is an adult (孩子他爸发烧, 娃他妈头疼)
    + r"|(孩子|娃|宝宝|小孩)(他|她)?(爸|妈|爹|娘)"
)
_CORRECTION = re.compile(r"(不是孩子|不是给孩子|孩子没事|不是给娃|是我自己|是我本人|给我自己)")
# A message that points back at what came before (能一起吃吗, 它, 这个, 刚才那个, 也).
_REFERS_BACK = re.compile(
    r"(一起|一块|同时|合用|混着|搭配|间隔|隔开|它|这个|那个|这俩|两个|两种|刚才|之前|前面|上面|也|还"
    r"|再|又|接着|继续)"
)
_TOOK_IN_TURN = re.compile(r"(吃|喝|服|用|喂|冲)(了|过)|在吃|在用|正在")
# The message turns to the speaker (那我自己呢, 大人怎么吃, 我本人能用吗) and names no child: a
# child or baby of earlier turns is not who this question is about.
_SELF_TURN = re.compile(
    r"(我自己|我本人|自己吃|自己用|大人|成人|成年人|那我呢|我也(想|要|能|可以)?(吃|用|问))"
)
_CHILD_WORDS = re.compile(CHILD_WORD)
# The message is for another adult (给他爸买盒氯雷他定, 帮我老公问): the child of earlier turns is
# not who it is about.
_FOR_ADULT = re.compile(
    r"(给|帮|替)(孩子他爸|孩子他妈|他爸|她爸|他妈|她妈|我老公|我老婆|老公|老婆|我爸|我妈|爱人|我先生)"
    r"(买|拿|问|用|吃|咨询)"
)
# The patient of this message is another adult, said as their complaint (我老公他自己也感冒了, 我妈
# 又头疼了, 婆婆最近失眠): what the customer's own record or earlier turns say of the customer
# (怀孕, 哺乳) is not theirs.
_OTHER_ADULT_PATIENT = re.compile(
    r"(老公|老婆|媳妇|爱人|丈夫|先生|妻子|我爸|我妈|爸爸|妈妈|婆婆|公公|岳母|岳父)(他|她)?(自己)?(也|又|最近|这两天)?"
    r"(感冒|发烧|发热|咳|头疼|头痛|牙疼|牙痛|拉肚子|腹泻|便秘|失眠|过敏|鼻塞|嗓子|胃疼|胃痛|腰疼|不舒服|病了)"
    # he or she with an adult's age, opening the message (他三十五 扭了腰)
    r"|^(他|她)(今年)?([二三四五六七八九]十[一二三四五六七八九]?|[2-9]\d)(岁|了)?"
)
# Courtesy before the message's subject (谢谢药师 那…, 好的 另外…): skipped when reading who for
_COURTESY = re.compile(
    r"^((谢谢|感谢|多谢)[^，。,！!\s]{0,4}|好的?|嗯+|哦+|ok|那么?|另外|还有|对了|不过|您好|你好|请问|麻烦问?下?)"
    r"[，,。！!\s]*"
)
# The customer asks for themself (我能吃吗, 我可以用, 让我问问 … 我): the patient is them
_SELF_ASK = re.compile(r"我(能|可以|能不能|可不可以|还能|也能)(吃|用|喝|服|涂|抹)|让我(问|来问)")
# Weaned (孩子都断奶两年了, 早就不喂了): breastfeeding said earlier is over
_WEANED = re.compile(r"断奶|断了奶|(不|没)(再)?喂奶了|早就不喂了|已经不喂了|没(有)?在喂奶")
_PREGNANCY_WEEKS = re.compile(r"(孕|怀孕)\s*(\d+|[一二三四五六七八九十]+)\s*(周|个月|月)")
_TAKING = re.compile(
    r"(在吃|一直吃|一直在吃|正在吃|正在服用|正服用|长期吃|长期服用|常年吃|吃着|在用|一直用|平时吃|每天吃|每天都吃|天天吃|在服)[^，。,？?！!]{0,3}$"
)
_FEVER = re.compile(
    r"(发烧|发热|烧到|体温|高烧|低烧|烧了|退烧|摸着烫|(还在|一直|又|反复)烧|烧不退|烧还没退"
    r"|(?<![\d.])(3[89]|4[0-2])(\.\d)?\s*(度|℃)?(?![\d.]))"
)
_TEMPERATURE_NO_UNIT = re.compile(r"(烧|温|量了?|到)\s*((3[5-9]|4[0-2])(\.\d)?)(?![\d.])")
_PAST_REACTION = re.compile(
    r"(以前|之前|曾经|上次|原来)[^。]{0,12}(起过|出过|过敏过|起了|出了)[^。]{0,4}(疹子|疙瘩|风团|荨麻疹|过敏)"
)
_ALLERGY_NEG = re.compile(r"(不|没|没有|无)(过敏)")
_CLAUSE = re.compile(r"[，。,？?！!；;\n]")


_ADJACENT_NEGATION = "没未不非无"


_ASKING = re.compile(r"有没有|是不是|会不会|能不能|可不可以|要不要|用不用|吃不吃|是否")


def _negated(text: str, start: int, negations: list[str], window: int = 5) -> bool:
    """A negation cue shortly before `start`, in the same clause ("没有怀孕", "没怀孕"); not a
    question that only sounds like one (有没有头孢, 是不是怀孕了)."""
    before = text[max(0, start - window) : start]
    clause = _ASKING.sub("", _CLAUSE.split(before)[-1])
    if clause and clause[-1] in _ADJACENT_NEGATION:
        return True
    return any(neg and neg in clause for neg in negations)


def _resolved(text: str, start: int) -> bool:
    """ "以前胸口疼过，现在好了": a past symptom that is gone."""
    before = _CLAUSE.split(text[max(0, start - 8) : start])[-1]
    after = text[start:]
    return bool(PAST_TIME.search(before)) and bool(OVER.search(after) or _BETTER.search(after))


# Over and well (现在好了, 恢复得挺好, 已经出院了, 康复了)
_BETTER = re.compile(r"好了|恢复(得)?(挺|很|还|不错|蛮)?(好|不错)|康复|出院了|没事了|痊愈")


def _about_other(text: str, start: int, third_party: list[str], window: int = 12) -> bool:
    before = text[max(0, start - window) : start]
    return any(cue and cue in before for cue in third_party) or bool(
        _OTHERS_STATE.match(text, start)
    )


# A state said to be someone else's, the person after it (怀孕的是我姐, 血压高的是我爸, 哺乳期的是
# 我老婆不是我): about them.
_OTHERS_STATE = re.compile(
    r"[^，。,？?！!\s]{1,6}?的(人)?(是|是我|那个是)(我)?(姐|妹|嫂子|弟媳|老婆|媳妇|爱人|妈|爸|朋友|同事"
    r"|闺蜜|邻居|亲戚|婆婆|岳母|她|他)"
)


# A drug named in a past event of its own clause (去年吃阿莫西林起过疹子, 以前用过达克宁): history,
# not what the message asks for.
_PAST_EVENT = re.compile(r"过|那次|那回")
# A word of swallowing right before a drug's name (在吃红霉素, 口服了甲硝唑): taken by mouth.
_ORAL_BEFORE = re.compile(r"(吃|服|喝|口服|吞)(了|着|过|的)?\s*$")
_STOPPED = re.compile(r"(停了|停掉了|停药|不吃了|没再吃|早就不)")
# The customer denies taking it (我又不吃阿司匹林, 我从来没用过达克宁) …
_WITH_BEFORE = re.compile(r"(跟|和|与)\s*$")
_UNRELATED_AFTER = re.compile(r"\s*(没(有)?(啥|什么)?关系|无关|不相关|扯不上|八竿子打不着)")
# Not used because of something said before it (我青霉素过敏所以没用阿莫西林): not in play
_AVOIDED = re.compile(r"(所以|因此|因为这个|就|才|于是)(没|没有|不|不敢)(用|吃|开|买|服)\s*$")
_NOT_TAKEN = re.compile(r"我(又|也|都|根本|从来|从|可|压根)?(不|没|没有)(吃|用|服|喝)(过)?\s*$")
# … emphatically never (又/根本/从来/压根: not "我没吃布洛芬 能吃吗", a dose not yet taken)
_NEVER_TAKEN = re.compile(r"我(又|根本|从来|从|压根)(不|没|没有)(吃|用|服|喝)(过)?\s*$")
# … unless they ask about taking it with something (能一起吃吗: it is what is asked about)
_TOGETHER = re.compile(r"一起|同时|合用|一块|搭配|混着|一同")
_SOMEONE = re.compile(r"^(有人|有的人|别人|人家|好多人|很多人)")
_INSIDE = re.compile(r"(里面?|里头|当中|成分|含|含有)[^，。,？?]{0,6}$")
# Someone else takes it (我爸在吃华法林) while the question is for the customer (给我自己, 我本人)
_OTHER_TAKER = re.compile(
    r"(我爸|我妈|爸爸|妈妈|父亲|母亲|老公|老婆|爱人|婆婆|公公|爷爷|奶奶|外公|外婆|姥姥|姥爷|他|她|家里人|家人)"
)
# The customer takes it themself (我在吃, 我一直用, 我也在吃)
_SELF_TAKES = re.compile(r"我(自己)?(也)?(在|一直|正在|每天|天天|长期)(吃|用|服)")
# The baby is the patient (给宝宝吃, 宝宝发烧了, 孩子能吃吗), not only the one being nursed.
_BABY_IS_PATIENT = re.compile(
    r"(给|喂|帮|让)[^，。,？?！!\s]{0,2}(宝宝|孩子|娃|宝|小孩|婴儿)"
    r"|(宝宝|孩子|娃|宝|小孩|婴儿)[^，。,？?！!我]{0,8}(发烧|发热|烧|咳|拉|吐|疹|湿疹|不舒服|病|哭闹|黄疸|鼻塞"
    r"|能吃|能用|可以吃|可以用|吃什么|用什么|喝|剂量|喂多少)"
)
# … said of the other person themself (她想自己买, 我妈要给自己买): theirs, not the customer's
_THEIR_OWN = re.compile(
    r"(她|他|老婆|老公|媳妇|爱人|妈|爸|姐|妹|哥|弟|奶奶|爷爷)[^，。,？?！!\s]{0,3}(自己|给自己)"
    r"[^，。,？?！!\s]{0,2}(买|吃|用|喝|服)"
)
_FOR_SELF = re.compile(
    r"(我自己|给我自己|给自己|我本人|我自个|自己用|自己吃|自己买|我啥药都没|我什么药都没)"
)


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
        said_oral = bool(_ORAL_BEFORE.search(text[max(0, lk.start - 4) : lk.start]))
        clause_start, clause_end = _clause(text, lk.start)
        clause = text[clause_start:clause_end]
        past = bool(PAST_TIME.search(text[clause_start : lk.start])) and bool(
            _PAST_EVENT.search(clause) or _STOPPED.search(text[lk.start :])
        )
        others = (
            taking
            and bool(_OTHER_TAKER.search(text[clause_start : lk.start]))
            and bool(_FOR_SELF.search(text))
        )
        # never taken, said emphatically (我又不吃华法林, 我根本没吃过阿司匹林) while another
        # product is in the message and nothing is asked together: not in play at all, whatever
        # the neighbour said about it (听邻居说吃华法林的人不能吃芬必得 我又不吃华法林 … 想买一盒)
        if any(o.doc_id != lk.doc_id for o in links) and any(
            _NEVER_TAKEN.search(text[max(0, m.start() - 8) : m.start()])
            and not _TOGETHER.search(text[m.start() :])
            for m in re.finditer(re.escape(lk.matched), text)
        ):
            continue
        # not taken now: denied while another product named after it is asked about (我又不吃
        # 阿司匹林 就问问达喜; never when it is asked about, or asked with another), or in a story
        # someone else told (同事说她以前吃阿司匹林吃到胃出血) unless it is happening now
        before = text[clause_start : lk.start]
        past = past or (
            bool(_NOT_TAKEN.search(text[max(0, lk.start - 8) : lk.start]))
            and any(o.start > lk.start and o.doc_id != lk.doc_id for o in links)
            and not _TOGETHER.search(text[lk.start :])
        )
        past = past or (
            bool(HEARSAY.search(before) or TOLD_BY_OTHERS.search(before))
            and not COMING.search(clause)
        )
        past = past or bool(_AVOIDED.search(text[max(0, lk.start - 8) : lk.start]))
        # named only to be told apart from what is bought (要买的是达克宁 … 跟阿司匹林没关系吧):
        # the allergen or the other product of a comparison, not one in play
        past = past or (
            bool(_WITH_BEFORE.search(text[max(0, lk.start - 3) : lk.start]))
            and bool(_UNRELATED_AFTER.match(text, lk.start + len(lk.matched)))
            and any(o.doc_id != lk.doc_id for o in links)
        )
        # an ingredient asked about inside a product named before it (感冒灵里面是不是有对乙酰
        # 氨基酚, 白加黑含不含伪麻黄碱): what the product holds, not a second product
        if (
            out
            and _INSIDE.search(text[max(0, lk.start - 10) : lk.start])
            and any(m.doc_id != doc.doc_id and m.name in text[clause_start : lk.start] for m in out)
        ):
            continue
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
                past=past,
                others=others,
                said_oral=said_oral,
            )
        )
    # A drug of the past is history only when the message is about another product
    # (去年吃阿莫西林起过疹子 … 买瓶维生素C); named alone (以前吃过阿莫西林 这次还能吃吗) it
    # is what is asked about.
    current = {m.doc_id for m in out if not m.past}
    out = [
        m.model_copy(update={"past": False}) if m.past and not current - {m.doc_id} else m
        for m in out
    ]
    # A name several products share (布洛芬: capsule and suspension) keeps every one of them:
    # the checks and rules see each product it may mean (the cautious reading), and the medication
    # checks treat them as alternatives, not as products taken together.
    return out


# A medicine named by what it treats, 的 for 药 (降压的, 降糖的, 抗凝的): read as the class word
# (the same length, so negation positions hold).
# (not 退烧的 / 止痛的: "退烧的话" is "for a fever", not a medicine)
_FOR_WHAT = re.compile(r"(降压|降糖|降脂|降血脂|降尿酸|抗凝)的(?!话)")


# A past far enough back that no after-stop window reaches now (上个月, 去年, 小时候), and a
# message that says nothing is taken now (现在啥药都没吃, 早好了)
_REMOTE_PAST = re.compile(
    r"上个?月|去年|前年|小时候|几年前|[一二两三四五六七八九十\d]+年前|好久|很久|前些年|那几年"
)
# Stopped for weeks or more (停了一个多月了, 停了快两周)
_STOPPED_FOR = r"停了(快|差不多|有|都)?[一两三四五六七八九十\d]+个?多?(月|礼拜|星期|周|年)"
# Said as stopped long ago right after its name (头孢停了一个多月了, 头孢早就停了, 那都两年前的事了)
_STOPPED_LONG = re.compile(
    rf"[^，。,？?]{{0,3}}({_STOPPED_FOR}|早就?停了|都?[一两三四五六七八九十\d]+年前的事)"
)
_NOTHING_NOW = re.compile(
    r"(现在|目前|最近)[^，。,？?]{0,3}(啥|什么|任何)?药?都?(没|不)(吃|用)"
    rf"|(早就?|已经|早都)停了|{_STOPPED_FOR}"
)


def _class_mentions(sk: SafetyKnowledge, text: str, source: str) -> list[ClassMention]:
    text = _FOR_WHAT.sub(lambda m: m.group(1) + "药", text)
    out = []
    for word, classes in sk.lexicon.drug_classes.items():
        # the first place the word is said as in play: not denied (今天还没吃过任何退烧药, 我没吃
        # 头孢啊), not inside a story heard (听说藿香正气水不能跟头孢一起喝)
        said = [m.start() for m in re.finditer(re.escape(word), text)]

        def denied(at: int) -> bool:
            return bool(_CLASS_DENIED.search(text[max(0, at - 10) : at]))

        def heard(at: int) -> bool:
            return bool(HEARSAY.search(text[_clause(text, at)[0] : at]))

        # (one mention heard of stays: the cautious reading)
        if said and all(
            denied(at) or (heard(at) and not acted_on(text) and len(said) > 1) for at in said
        ):
            continue
        pos = next((at for at in said if not (denied(at) or heard(at))), said[0] if said else -1)
        if pos >= 0 and not _negated(text, pos, sk.lexicon.negations, 3):
            start, end = _clause(text, pos)
            aside = bool(_ALLERGY_WORD.search(text[start:end])) or bool(
                PAST_TIME.search(text[start:pos]) and _PAST_EVENT.search(text[start:end])
            )
            pointed = bool(_POINTED.search(text[max(0, pos - 8) : pos]))
            over = bool(
                aside
                and _REMOTE_PAST.search(text[start:pos])
                and (OVER.search(text) or _NOTHING_NOW.search(text))
            ) or bool(_STOPPED_LONG.match(text, pos + len(word)))
            out.append(
                ClassMention(
                    word=word,
                    classes=classes,
                    source=source,
                    aside=aside,
                    pointed=pointed,
                    over=over,
                )
            )
    return out


# A class of medicine said as not taken (还没吃过任何退烧药, 没用过什么止疼药,
# 从来没吃过别的感冒药).
_CLASS_DENIED = re.compile(
    r"(没|没有|未|还没有?|从没|从来没有?|都没)(吃|用|服|喝|喂|给)(过)?(任何|什么|别的|其他)?(的)?$"
)


# A class word right after a pointing word names a product in play (这个退烧药, 购物车里的止痛药,
# 刚买的那个感冒药), not one more medicine.
_POINTED = re.compile(
    r"(?:这|那)(?:个|种|款|盒|瓶|些)?$|(?:购物车|车|订单)里(?:的|面的)?(?:这个|那个|这种)?$"
    r"|(?:刚|我)?(?:买|下单|拍)的(?:这个|那个|这种|那种)?$"
)


_ALLERGY_WORD = re.compile(r"过敏|起过|出过疹|起疹|不耐受")


def _clause(text: str, at: int) -> tuple[int, int]:
    """The clause around position `at`: from the last mark before it to the next one."""
    start = max(text.rfind(c, 0, at) for c in "，。,；;！!？? ") + 1
    ends = [i for i in (text.find(c, at) for c in "，。,；;！!？? ") if i >= 0]
    return start, min(ends, default=len(text))


# The customer says they are a man (我是男的, 本人男性, 我一个大男人): pregnancy, trying to
# conceive and breastfeeding said of themselves do not apply (我是男的 不存在怀孕哈).
_SELF_MALE = re.compile(
    r"(我|本人|自己)(是|是个|一个|一)?(男的|男性|男生|男人|大男人|大老爷们|爷们)"
)
_FEMALE_ONLY = {"pregnant", "trying_to_conceive", "breastfeeding"}


# Giving birth or carrying a child (生孩子那会儿, 生完宝宝, 怀孩子的时候) is about the mother, not a
# child who takes medicine.
_BIRTH_BEFORE = re.compile(r"(生|怀|生完|怀上|生了|怀了)$")


def _find_patient_word(text: str, word: str, population: str) -> int:
    """Where `word` first names this population; for a child, not as the child being born."""
    pos = text.find(word)
    if population not in ("child", "infant"):
        return pos
    while pos >= 0 and _BIRTH_BEFORE.search(text[max(0, pos - 2) : pos]):
        pos = text.find(word, pos + len(word))
    return pos


# A pregnancy or a birth told as back then (怀孕那会儿, 前年怀孕的时候, 生完孩子两年多了): over.
_BACK_THEN = re.compile(r"^[^，。,？?！!]{0,3}(那会儿?|那时候?|那阵子?|那几个月)")
_LONG_SINCE = re.compile(
    r"^[^，。,？?！!]{0,2}([一二两三四五六七八九十几\d]+|好几|半)\s*(年|个多?月)(多)?了"
)


def _over_since(text: str, pos: int, word: str) -> bool:
    after = text[pos + len(word) :]
    before = text[max(0, pos - 6) : pos]
    return bool(
        _BACK_THEN.search(after)
        or (re.match(r"^[^，。,？?！!]{0,3}的时候", after) and PAST_TIME.search(before))
        or (word.startswith(("生完", "生了", "产后")) and _LONG_SINCE.search(after))
    )


def _populations(sk: SafetyKnowledge, text: str) -> list[PopulationFinding]:
    findings: dict[str, PopulationFinding] = {}
    lex = sk.lexicon
    male = bool(_SELF_MALE.search(text))
    for population, words in lex.populations.items():
        for word in sorted(words, key=len, reverse=True):
            pos = _find_patient_word(text, word, population)
            if pos < 0:
                continue
            other = _about_other(text, pos, lex.third_party)
            finding = PopulationFinding(
                population=population,
                evidence=word,
                negated=_negated(text, pos, lex.negations)
                or (male and population in _FEMALE_ONLY and not other)
                or (population in _FEMALE_ONLY and _over_since(text, pos, word)),
                about_other_person=other,
            )
            old = findings.get(population)
            # a positive mention wins over a negated one ("不是备孕，是已经怀孕了")
            if old is None or (old.negated and not finding.negated):
                findings[population] = finding
            break
    return list(findings.values())


# A child who took medicine themselves, in any wording: 把…吃了 (not 把药给孩子吃了, a carer
# giving it), picked or bitten out of the pack (抠出来吃了, 啃了), taken for sweets or milk
# (当糖吃, 当奶喝了一口), or pills gone from the pack (少了三四粒, 瓶子里少了一大半).
_INGESTION_CHILD = re.compile(
    r"把[^。给喂]{0,16}(吃|喝|吞|舔|啃)(了|掉)"
    r"|(偷吃|误吃|误服|误喝|偷喝)"
    r"|(?<!被)(抠|掰)(出来|开|破)?[^。给喂，,]{0,3}(吃|喝|吞)?了"
    r"|(?<![被蚊虫])(咬|啃|嚼)(碎|破|开)?了[^。，,]{0,4}(粒|片|颗|药|胶囊)"
    r"|当(糖|糖豆|糖果|零食|奶|饮料|水)[^。]{0,2}(吃|喝)"
    r"|(少了|没了|不见了)[^。，,]{0,2}(好几|几|[一二两三四五六七八九十\d]+)[^。，,]{0,2}(粒|片|颗|袋|板|支)"
    r"|(瓶|盒|板)(子|里)?[^。，,]{0,3}(少了|没了|空了)[^。，,]{0,2}(一?大半|一半|好多|不少)?"
)


# Diseases and words whose name contains 过敏 are not a reaction to a drug (过敏性鼻炎, 过敏体质):
# they are masked (same length, so positions hold) before reactions and allergies are read.
_ALLERGIC_DISEASE = re.compile(
    r"过敏性(鼻炎|皮炎|哮喘|结膜炎|紫癜|咳嗽|湿疹|肠炎)|过敏体质|过敏原|过敏史|抗过敏"
)


_HYPOTHETICAL = re.compile(r"(要是|如果|万一|假如|假设|会不会|算不算|是不是算|怎么判断)")
_NOT_YET = re.compile(r"(还没|没有|没)(吃|用|喝|服)")
# Not started at all (我还没开始吃, 还不敢用): nothing has happened yet.
_NOT_STARTED = re.compile(r"(还没有?|尚未|没开始|还不敢|不敢)(开始)?(吃|用|喝|服|涂|喷)")


def _hypothetical(text: str, at: int) -> bool:
    """A reaction asked about, not reported: a hypothetical cue before it in its clause, or the
    customer says they have not taken anything yet."""
    start = max(text.rfind(c, 0, at) for c in "。！？!?\n") + 1
    return bool(_HYPOTHETICAL.search(text[start : at + 8])) or bool(_NOT_YET.search(text))


_NOW = re.compile(
    r"(现在|刚才|刚刚|正在|这会儿|今天|马上|快"
    # someone reaching out now (半夜发朋友圈说再见了, 打她电话不接): happening, not news
    r"|半夜|刚发|发了?朋友圈|电话[^，。,？?]{0,2}(不接|没人接|打不通)|联系不上|不回消息)"
)


# Suicidal intent told by someone close (孩子昨晚说想从楼上跳下去, 我妈老说活着没意思) is their
# intent now, whatever the tense of the telling: only a story from the media is not.
INTENT_FLAG = "suicidal"
_MEDIA = re.compile(
    r"(新闻|报道|网上|视频|电视|抖音|短视频|电影|电视剧|小说|公众号)[^，。]{0,4}(说|里|上|讲)"
    r"|看(新闻|报道|网上|视频)"
    # or strangers in general (听说有人活着没意思就…)
    r"|(听说|据说|听人说)[^，。]{0,2}(有人|有的人|很多人|好多人|有些人|别人)"
)


def _from_media(text: str, at: int) -> bool:
    start = max(text.rfind(c, 0, at) for c in "。！？!?\n") + 1
    return bool(_MEDIA.search(text[start:at])) and not acted_on(text)


def _hearsay(text: str, at: int) -> bool:
    """A red flag told as something heard (听说, 看新闻说) and not happening now."""
    start = max(text.rfind(c, 0, at) for c in "。！？!?\n") + 1
    # the sign's own clause: to the next comma or space (朋友说她吐过血 我现在胃疼: the "now" is
    # the customer's, not the story's)
    end = re.search(r"[，,。！？!?\s]|$", text[at:]).start()
    clause = text[start : at + min(end, 12)]
    if _NOW.search(clause) or acted_on(text):
        return False
    told = bool(TOLD_BY_OTHERS.search(text[start:at]))
    return (
        bool(HEARSAY.search(text[start:at]))
        or (told and heard_of_past(clause))
        or (told and bool(GENERAL_CLAIM.search(text[at : at + min(end, 12) + 6])))
    )


_FUTURE = re.compile(
    r"(以后|将来|日后|哪天|以防|提前|预防|防着|备着|先了解|先问问"
    # or asked out of interest, nobody concerned (纯好奇问问, 家里没人吃多, 科普一下)
    r"|好奇|科普|随便问问|只是问问|没人(吃|用|喝)|不是(我|我们)家)"
)


def _future_case(text: str, at: int) -> bool:
    """A sign asked about as a case that might come one day (假如以后…, 万一哪天…): a
    hypothetical and a future word before it in its sentence, and nothing reported as taken
    before them (孩子刚把一瓶药吃了 如果以后再这样 … is a report)."""
    start = max(text.rfind(c, 0, at) for c in "。！？!?\n") + 1
    end = _SENTENCE_END.search(text, at)
    # the future word may come after the sign (万一小孩误吃了药 第一步该干啥 想提前了解)
    return _asked_in_advance(text[start : at + 1]) or (
        bool(_HYPOTHETICAL.search(text[start : at + 1]))
        and _asked_in_advance(text[start : end.start() if end else len(text)])
    )


_TAKEN_EVENT = re.compile(r"(吃|喝|吞|服|喂|用|抹|涂)(了|下去|掉|光|完)")


def _asked_in_advance(text: str) -> bool:
    """A hypothetical with a future word (假如以后, 万一哪天 … 提前问问), with nothing reported as
    taken before the hypothetical."""
    hypothetical = _HYPOTHETICAL.search(text)
    return (
        hypothetical is not None
        and bool(_FUTURE.search(text))
        and not _TAKEN_EVENT.search(text[: hypothetical.start()])
    )


def mask_allergic_diseases(text: str) -> str:
    return _ALLERGIC_DISEASE.sub(lambda m: "◇" * len(m.group(0)), text)


# A test named, not a sign seen (明天体检查大便潜血, 做个便隐血试验): the sign word inside the
# test's name (血 of 潜血) is not blood in the stool; its result (潜血阳性) is read as a result.
_NAMED_TEST = re.compile(r"(潜血|隐血)(试验|检查|检测|化验)?")


# A figure of speech, not a sign: work, study or money said to leave one breathless (加班加得喘不过
# 气, 房贷压得透不过气). Exertion is not among them: 走两步就累得喘不过气 is a sign.
_FIGURATIVE = re.compile(
    r"(加班|工作|上班|学习|作业|考试|压力|房贷|车贷|债|事情|事儿|琐事|生活|日子|业绩|忙)"
    r"[^，。,！!？?]{0,4}(喘不过气|透不过气|喘不上气)"
    # anger or a delay said as vomiting blood (快递慢得我要吐血了, 气得吐血)
    r"|(慢|气|急|烦|贵|坑|等)得?[^，。,！!？?]{0,3}(要|快)?吐血"
    # a discomfort said to be "killing me" (痒得我想死, 疼死了, 热得要死): intensity, not intent
    r"|(痒|疼|痛|热|冷|累|困|饿|烦|忙|气|吵|闷|难受|辣|咸|苦|晒|憋)(得|的)(我|人)?(都|真|简直)?(要|想|快)?死"
    r"|(痒|疼|痛|热|冷|累|困|饿|烦|忙|气|吵|闷|难受)死(了|我了)"
)


def mask_signs(text: str) -> str:
    """`text` with disease names containing 过敏, named tests and figures of speech masked (same
    length): what is left of a sign word is a sign."""
    masked = mask_allergic_diseases(text)
    masked = _FIGURATIVE.sub(lambda m: "◇" * len(m.group(0)), masked)
    return _NAMED_TEST.sub(lambda m: "◇" * len(m.group(0)), masked)


def _add_course(
    sk: SafetyKnowledge, flags: list[RedFlag], text: str, earlier: str, days: float | None
) -> None:
    """A complaint that keeps coming back or has gone on past a week (safety/course.py): the
    routine `prolonged_symptoms` flag, unless a word or pattern already raised it."""
    if any(f.id == "prolonged_symptoms" for f in flags):
        return
    evidence = recurring(text)
    if evidence is None and long_course(text if COMPLAINT_RE.search(text) else earlier, days):
        evidence = f"持续约{days:g}天"
    _add_read_flag(sk, flags, "prolonged_symptoms", text, evidence)


_PAINKILLER_CLASSES = {"nsaid", "analgesic_antipyretic"}
# painkillers on 10+ days a month: medication-overuse headache
OVERUSE_DAYS_PER_MONTH = 10.0
_CLAUSES = re.compile(r"[，。,？?！!；;\s]+")
_PAINKILLER_WORDS = re.compile(r"止痛|止疼|镇痛|去痛|散利痛|头疼药|头痛药|痛片|疼片")


def _add_overuse(
    sk: SafetyKnowledge,
    flags: list[RedFlag],
    text: str,
    drugs: list[DrugMention],
    classes: list[ClassMention],
) -> None:
    """A painkiller taken on ten or more days a month (一周有四五天都在吃布洛芬, 天天靠止痛片): the
    routine `prolonged_symptoms` flag (FACTS.md: painkiller overuse goes to a pharmacist)."""
    said = medicine_days_per_month(text)
    if said is None or said[0] < OVERUSE_DAYS_PER_MONTH:
        return
    # the painkiller is what the rate is said of: named in the same clause (我每天吃钙片 … 布洛芬
    # 能一起吃吗 is a daily calcium)
    at = text.find(said[1])
    start = max((m.end() for m in _CLAUSES.finditer(text, 0, at)), default=0)
    end = next((m.start() for m in _CLAUSES.finditer(text, at)), len(text))
    clause = text[start:end] + said[1]
    names = [c.word for c in classes if not c.aside and _PAINKILLER_CLASSES & set(c.classes)]
    names += [
        d.name
        for d in drugs
        if not (d.past or d.others)
        and (doc := sk.documents.get(d.doc_id))
        and doc.label
        and any(
            _PAINKILLER_CLASSES & sk.classes_by_key.get(i.key, set()) for i in doc.label.ingredients
        )
    ]
    if any(n in clause for n in names) or _PAINKILLER_WORDS.search(clause):
        _add_read_flag(sk, flags, "prolonged_symptoms", text, said[1])


# Said not to be bought here or taken by anyone in the household (都是医院开的 我们不在网上买,
# 我们家没人吃这个, 不是要买这个): named as context, not what is asked for, bought or taken.
_DISCLAIMED = re.compile(
    r"(没人|没有人|谁都不|谁也不|都不)(吃|用)|不在(网上|线上|你们这儿?|这儿?|你们家|店里)(买|开|拿)"
    r"|(都是|是在?|都在)医院(开|拿)|不(打算|准备|想|用)(在[^，。,？?]{0,4})?买(这个|它|这药)"
    r"|不是(要|想)?买(这个|它|这药)"
)
# Service asks (an invoice, a delivery, a coupon, a refund): a medicine named only with them
# (我爸的络活喜今天能送到吗, 阿托伐他汀能用满减券吗) is the order's, not a question about it; the
# prescription purchase itself (没处方能买吗) is not among them.
SERVICE_INTENTS = frozenset({"invoice", "order_delivery", "coupon_price", "return_refund"})
# … when the medicine is someone's own (我爸的络活喜, 我老伴吃的阿托伐他汀) or already ordered
# (上个月在你们这买的, 订单里的): a purchase asked about (伟哥多少钱一盒 能发货吗, 新康泰克能包邮
# 吗) stays a purchase of that medicine
_OWNED_OR_ORDERED = re.compile(
    r"(爸|妈|老伴|老公|老婆|爱人|媳妇|婆婆|公公|爷爷|奶奶|外公|外婆|姥姥|姥爷|岳父|岳母|宝宝|孩子|娃)"
    r"(的|吃的|用的|在吃的|吃着的|常吃的)"
    r"|买的|订单|已经买了|下过单|下单了|在你们这(儿|里)?买|上次买"
    # an order said by its delivery or its review done (钙尔奇的快递到哪了, 那单 处方审核过了
    # 货也收到了)
    r"|的(快递|物流|包裹|货)|(那|这)一?单|(处方|审核)[^，。,？?]{0,3}(过了|通过|审核了|审过了)"
    r"|(货|药|快递|包裹)(也|都|已经)?(收到|签收|到)了|签收了"
    r"|(怎么|咋)还(没|不)(到|发|发货)|物流[^，。,？?]{0,4}(没动|不动|没更新)"
)
_WHOSE = re.compile(r"(宝宝|孩子|娃|儿子|女儿|闺女|爸|妈|老人|老公|老婆)(的|吃的|用的)")
_RX_REVIEWED = re.compile(r"(处方|审核)[^，。,？?]{0,3}(过了|通过|审过了|审核了|已审)")
# Asks of a medicine's own use (shared with the rules' medical context): a drug named with one of
# them, or with a complaint, is in play whatever else is said.
MEDICAL_INTENTS = frozenset(
    {
        "dose_usage",
        "indication",
        "contraindication",
        "interaction",
        "adverse_reaction",
        "special_population",
        "product_choice",
        "diagnosis_request",
    }
)


def _disclaimed(
    drugs: list[DrugMention],
    text: str,
    intents: list[Intent],
    red_flags: list[RedFlag],
    reaction: object | None,
) -> list[DrugMention]:
    """Drugs the message disclaims (not bought here, nobody in the family takes it), or names
    only with a service question (an invoice, a delivery, a coupon): set aside as `past`,
    so they raise no prescription or never-online hold. A red flag, a reaction or any medical ask
    keeps them in play."""
    service = (
        bool(SERVICE_INTENTS & set(intents))
        # (a prescription said reviewed already is the order's past, not a purchase asked)
        and ("prescription_purchase" not in intents or bool(_RX_REVIEWED.search(text)))
        and bool(_OWNED_OR_ORDERED.search(text))
    )
    medical = (MEDICAL_INTENTS | {"complaint"}) & set(intents)
    if medical == {"special_population"} and _WHOSE.search(text):
        medical = set()  # 宝宝的伊可新怎么还没到: whose order it is, not a question about them
    if red_flags or reaction is not None or medical or not (_DISCLAIMED.search(text) or service):
        return drugs
    return [d.model_copy(update={"past": True}) if d.source == "message" else d for d in drugs]


def _add_read_flag(
    sk: SafetyKnowledge, flags: list[RedFlag], flag_id: str, text: str, evidence: str | None
) -> None:
    """A red flag one of the structural readers found (course, self-harm), with the tier and
    advice of the lexicon's entry, unless already raised, heard about or only a future case."""
    if evidence is None or any(f.id == flag_id for f in flags):
        return
    at = text.find(evidence)
    heard = _from_media(text, at) if flag_id == INTENT_FLAG else _hearsay(text, at)
    if at >= 0 and (heard or _future_case(text, at)):
        return
    entry = next((e for e in sk.lexicon.red_flags if e["id"] == flag_id), None)
    if entry is not None:
        flags.append(
            RedFlag(
                id=flag_id,
                tier=entry["tier"],
                evidence=evidence,
                advice=str(entry.get("advice") or ""),
            )
        )


def _red_flags(sk: SafetyKnowledge, text: str, child_mentioned: bool) -> list[RedFlag]:
    flags: dict[str, RedFlag] = {}
    advice = {str(e["id"]): str(e.get("advice") or "") for e in sk.lexicon.red_flags}
    tiers = {str(e["id"]): e["tier"] for e in sk.lexicon.red_flags}

    def add(flag_id: str, evidence: str, at: int | None = None) -> None:
        if at is not None and tiers.get(flag_id) == "priority" and _hypothetical(text, at):
            return  # "要是过敏了怎么办 我还没吃": a question about a reaction, not a report
        if flag_id == INTENT_FLAG and at is not None and _from_media(text, at):
            return  # a story in the news; what someone close said (孩子老说…) is never hearsay
        if flag_id != INTENT_FLAG and at is not None and _hearsay(text, at):
            return  # "听邻居说她家小孩误吃了药": something heard about, over, not happening now
        if at is not None and _future_case(text, at):
            return  # "假如以后孩子误吃了药该怎么办 想先了解下": preparing, nothing has happened
        if flag_id == "overdose" and _ALL_OF_IT.search(evidence) and over_a_course(text):
            return  # "医生开的药都吃了 还是不好": a course finished, not all taken at once
        if flag_id in ("treatment_failed", "prolonged_symptoms") and _LIMIT_ASKED.search(text):
            return  # "吃几天没好转就得去医院": the label's limit asked, nothing reported
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
        if m and not _resolved(text, m.start()) and not near_miss(text, m.start()):
            add("overdose", f"儿童误服：{m.group(0)}", m.start())
    return list(flags.values())


_ALL_OF_IT = re.compile(r"(都|全|全部)[^，。,]{0,6}(吃|吞|喝|服)")
# The complaint goes on (还疼, 还是疼, 没缓解, 更厉害了): an earlier turn's sign is still present
_STILL = re.compile(
    r"还(是|在)?(疼|痛|闷|喘|憋|烧|出血|流血|吐|抽)|没(有)?缓解|不缓解|更(疼|痛|厉害|严重)|越来越(疼|痛|厉害|严重)"
)
# The label's limit asked about in advance (吃几天没好转就得去医院, 喝多久没效果要看医生): a
# question about the course, not a report that it failed.
_LIMIT_ASKED = re.compile(
    r"(几天|多久|多长时间|几周)[^。？?]{0,6}(没效果|没用|不见好|没好转|不好转|没好|无效|不管用|没缓解)"
    r"[^。？?]{0,4}(就|才|要|得|该|需要)[^。？?]{0,8}(医院|医生|就医|看病|就诊|停)"
)
_SIGN_DENIED = re.compile(r"(没有|没|不再|没再|无|未)[^，。,]{0,3}$")


def _reaction(
    sk: SafetyKnowledge, text: str, links: list[DrugLink], red_flags: list[RedFlag]
) -> str | None:
    """A reported suspected reaction (safety/reactions.py), raised as the
    suspected_adverse_reaction flag when the word lists missed it; its evidence either way."""
    flagged = next((f for f in red_flags if f.id == "suspected_adverse_reaction"), None)
    if flagged is not None and _SIGN_DENIED.search(flagged.evidence[:-1]):
        red_flags.remove(flagged)  # 吃了感冒灵没有头晕: the sign the pattern ended on is denied
        flagged = None
    if sk.reactions is None:
        return flagged.evidence if flagged else None
    if flagged is not None and sk.reactions.not_medicine(flagged.evidence):
        flagged = None  # 吃了小龙虾起风团: still escalated as a flag, but not a drug reaction
    masked = mask_allergic_diseases(text)
    found = sk.reactions.read(masked, links)
    if found is None or _hypothetical(masked, found.at) or _hearsay(masked, found.at):
        return flagged.evidence if flagged else None
    if flagged is None and not found.mild_known:  # a mild effect its label lists: answered
        entry = next(e for e in sk.lexicon.red_flags if e["id"] == "suspected_adverse_reaction")
        red_flags.append(
            RedFlag(
                id="suspected_adverse_reaction",
                tier=entry["tier"],
                evidence=found.evidence,
                advice=str(entry.get("advice") or ""),
            )
        )
    return found.evidence


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
        if HEARSAY.search(clause) or TOLD_BY_OTHERS.search(clause) or _SOMEONE.match(clause):
            continue  # 听说有人吃维C银翘片严重过敏: someone else's reaction, heard of
        head = clause[: clause.index("过敏")]
        if "对" in head:  # 对X过敏: X is the allergen (仙特明对什么过敏的人不能吃: none is named)
            head = head[head.rindex("对") + 1 :]
        found += _allergens_before(sk, head)
    return list(dict.fromkeys(found))


# Between a drug and 过敏, something else named as the allergen (花粉, 海鲜, 尘螨) or a pause
# (a space: 吃着舍曲林 春天花粉过敏): the drug is not what the customer is allergic to.
_OTHER_ALLERGEN = re.compile(
    r"\s|花粉|尘螨|螨虫|猫毛|狗毛|宠物|粉尘|柳絮|杨絮|海鲜|鱼虾|虾|蟹|芒果|花生|坚果|鸡蛋|牛奶"
    r"|酒精棉|紫外线|日光|冷空气|季节|换季|春天|秋天|皮肤|鼻子|眼睛"
)
# what may stand between allergens said together (青霉素和头孢都过敏, 阿司匹林、布洛芬过敏)
_ALLERGEN_JOIN = re.compile(r"^\s*(和|跟|与|及|以及|或|或者|还有|、|,|，|/)?\s*$")


def _allergens_before(sk: SafetyKnowledge, head: str) -> list[str]:
    """The allergen words that end `head` (the text before 过敏): the drug or class word nearest
    to 过敏, and those joined to it (青霉素和头孢); a medicine named earlier in the sentence
    (医生开了阿奇霉素 我青霉素过敏) is what is asked about, not an allergen."""
    spans: list[tuple[int, int, str]] = []
    for word in sk.lexicon.drug_classes:
        for m in re.finditer(re.escape(word), head):
            spans.append((m.start(), m.end(), word))
    for link in sk.linker.link(head):
        if link.strength >= 2:
            spans.append((link.start, link.start + len(link.matched), link.matched))
    if not spans:
        return []
    # the longest word at each end (头孢类 over 头孢), nearest to 过敏 first
    spans.sort(key=lambda x: (-x[1], x[0]))
    if _OTHER_ALLERGEN.search(head[spans[0][1] :]):
        return []  # 吃着舍曲林 春天花粉过敏: the pollen is the allergen, not the drug before it
    chosen = [spans[0]]
    for start, end, word in spans[1:]:
        first = chosen[-1]
        if end <= first[0] and _ALLERGEN_JOIN.match(head[end : first[0]]):
            chosen.append((start, end, word))
    return [w for _, _, w in chosen]


def _alcohol_only_past(text: str) -> bool:
    """Drinking comes up only as a past event (前年吃头孢还喝酒进过一回医院 早好了): every clause
    naming it is told as the past (a past time before it and an event word: 过, 那次)."""
    rest = text
    for m in _ALCOHOL.finditer(text):
        start, end = _clause(text, m.start())
        if not (PAST_TIME.search(text[start : m.start()]) and _PAST_EVENT.search(text[start:end])):
            return False
        rest = rest.replace(text[start:end], "")
    # 以前吃头孢喝过酒 没事 这次能喝吗: drinking asked again now, the drink left unsaid
    return "喝" not in rest


def _alcohol_only_asked(text: str) -> bool:
    """Alcohol comes up only as a question whether one may drink (吃感冒灵能喝酒吗, 晚上有应酬
    能喝点酒吗), nothing drunk or drunk habitually: every sentence naming it asks."""
    if _ALCOHOL_TAKEN.search(text):
        return False
    for m in _ALCOHOL.finditer(text):
        start = max((e.end() for e in _SENTENCE_END.finditer(text, 0, m.start())), default=0)
        end_match = _SENTENCE_END.search(text, m.end())
        sentence = text[start : end_match.end() if end_match else len(text)]
        if not _QUESTION.search(sentence):
            return False
    return True


def triage(
    sk: SafetyKnowledge,
    message: str,
    *,
    history: list[Turn] | None = None,
    profile: Profile | None = None,
    links: list[DrugLink] | None = None,
    cues: list[str] | None = None,
    service: bool = False,
    cart_ids: frozenset[str] | None = None,
) -> Triage:
    """`links` and `cues`: the message's drug links and section cues, when already found.
    `service`: the message is a service question (delivery, returns …): the people and products
    of earlier turns are not in its scope. `cart_ids`: the products in the cart (a medicine
    named beside them stays in play for the checks, unless it is the cart's own product)."""
    text = normalize(message)
    history = [] if service else (history or [])
    earlier = [normalize(t.text) for t in history if t.role == "customer"]
    context = "\n".join([*earlier, text])

    links = sk.linker.link(text) if links is None else links  # once, for drugs and reactions
    drugs = _drug_mentions(sk, text, "message", links)
    seen = {d.doc_id for d in drugs}
    # Drugs of earlier turns are carried forward, except that a message naming its own
    # product leaves behind the ones earlier turns only asked about (布洛芬一天几次 …
    # 哺乳期可以吃氯雷他定吗), unless it refers back (一起, 也, 它, 这个 …). What the customer
    # took or takes stays in scope.
    # A message that turns to the speaker (那我自己也头疼 … 芬必得) names its own product for its
    # own person: 也 there joins the symptom, not the child's medicine of earlier turns.
    self_turn = bool(_SELF_TURN.search(text)) and not _CHILD_WORDS.search(text)
    own_topic = bool(drugs) and (self_turn or not _REFERS_BACK.search(text))
    # this message is for the customer themself (这次是我自己牙疼): a medicine an earlier turn said
    # another person takes (帮我妈问一下 她在吃华法林) is theirs
    for_self_now = bool(_FOR_SELF.search(text) or _CORRECTION.search(text) or self_turn)
    for turn in earlier:
        took = bool(_TOOK_IN_TURN.search(turn))  # 早上已经吃了两片泰诺: taken today, in scope
        theirs = for_self_now and bool(_OTHER_TAKER.search(turn)) and not _SELF_TAKES.search(turn)
        for d in _drug_mentions(sk, turn, "history"):
            if d.doc_id not in seen and (d.taking or took or not own_topic):
                drugs.append(d.model_copy(update={"others": True}) if theirs and d.taking else d)
                seen.add(d.doc_id)
    classes = _class_mentions(sk, text, "message")

    # Populations, red flags and ages read the whole customer side of the conversation:
    # "我怀孕了" two turns ago still holds.
    populations = _populations(sk, context)
    child_age, adult_age = read_ages(context)
    answered = answered_age(history, message)
    if answered is not None:
        if answered < 18:
            child_age = answered if child_age is None else min(child_age, answered)
        elif adult_age is None:
            adult_age = answered
    if child_age is None:
        # a minor's own record (a parent's account for the child) is the cautious reading,
        # even when the message says 他/她 of the child
        child_age = child_age_from_profile(profile)
    self_turn = bool(
        _CORRECTION.search(text)
        or ((_SELF_TURN.search(text) or _FOR_ADULT.search(text)) and not _CHILD_WORDS.search(text))
    )
    if self_turn:
        # "说错了 孩子没事 是我自己发烧": the customer corrects who it is for
        child_age = None
        # and what earlier turns said of someone else (我老婆怀孕了 … 我现在问我自己) is theirs
        populations = [
            p
            for p in populations
            if p.population not in ("child", "infant")
            and (p.evidence in text or not p.about_other_person)
        ]
    if _FOR_SELF.search(text) and not _THEIR_OWN.search(text):
        # 怀孕的是我姐 … 想给自己买, 我爸血压高 但这回是我自己买: another person's state, and the
        # question is for the customer (not 我老婆怀孕了 她想自己买点感冒药: hers)
        populations = [p for p in populations if not p.about_other_person]
    weaned = _WEANED.search(context)
    if weaned and not any(p.population == "breastfeeding" for p in populations):
        # 我断奶半年了 (档案里还没改): the record's breastfeeding is over
        populations.append(
            PopulationFinding(population="breastfeeding", evidence=weaned.group(0), negated=True)
        )
    if weaned:
        # weaning told after the breastfeeding (我在哺乳期 … 不是 我说错了 孩子都断奶两年了)
        populations = [
            p.model_copy(update={"negated": True})
            if p.population == "breastfeeding" and context.rfind(p.evidence) < weaned.start()
            else p
            for p in populations
        ]
    other_adult = _OTHER_ADULT_PATIENT.search(text)
    if other_adult and not (_FOR_SELF.search(text) or _SELF_ASK.search(text)):
        # 那我老公他自己也感冒了: the customer's own states of earlier turns are not his
        populations = [p for p in populations if p.evidence in text]
    nursing = any(
        p.population == "breastfeeding" and not (p.negated or p.about_other_person)
        for p in populations
    )
    if nursing and not _BABY_IS_PATIENT.search(text):
        # 我在哺乳期，宝宝4个月，头痛能吃布洛芬吗: the baby is the one nursed, the mother asks for
        # herself (the breastfeeding hold stays); a baby's own illness or dose keeps the child
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
    aside = [d.name for d in drugs if d.past or d.others]
    # a drug the customer said they never take (我又不吃华法林) was left out of the drugs: what
    # it would say of them (anticoagulated) is left out too
    kept = {d.name for d in drugs}
    aside += [lk.matched for lk in links if lk.strength >= 2 and lk.matched not in kept]
    if aside:  # 我老公在吃华法林 (… 给我自己): the anticoagulation is his
        populations = [p for p in populations if not any(n in p.evidence for n in aside)]
    red_flags = _red_flags(sk, mask_signs(text), child_mentioned)
    if earlier and _STILL.search(text):
        # "还是疼 人直冒汗" after "他说胸口疼" (含了硝酸甘油): the earlier turn's emergency sign
        # goes on; it is this message's too
        seen = {f.id for f in red_flags}
        red_flags += [
            f
            for f in _red_flags(sk, mask_signs(earlier[-1]), child_mentioned)
            if f.tier == "emergency" and f.id not in seen
        ]
    days = symptom_days(context, "\n".join(earlier), answered_days(history, message))
    _add_course(sk, red_flags, mask_signs(text), "\n".join(earlier), days)
    _add_overuse(sk, red_flags, text, drugs, classes)
    _add_read_flag(sk, red_flags, "suicidal", text, suicidal(mask_signs(text)))
    reaction = _reaction(sk, text, links, red_flags)
    for_self = bool(_FOR_SELF.search(text)) and not _THEIR_OWN.search(text)
    weeks_text = text if self_turn else context
    for m in _PREGNANCY_WEEKS.finditer(weeks_text):
        theirs = _about_other(weeks_text, m.start(), sk.lexicon.third_party)
        if for_self and theirs:
            continue  # 我老婆怀孕四个月 我自己牙疼: her pregnancy, the customer's own question
        if not any(p.population == "pregnant" for p in populations):
            populations.append(
                PopulationFinding(
                    population="pregnant", evidence=m.group(0), about_other_person=theirs
                )
            )
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
    if temperature is None and (said := _TEMPERATURE_NO_UNIT.search(text)):
        temperature = float(said.group(2))  # 发烧38.8, 量了37.5
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

    set_aside = _disclaimed(drugs, text, intents, red_flags, reaction)
    if any(a.past and not d.past for a, d in zip(set_aside, drugs, strict=True)):
        # the class word in the order's product name (头孢克洛那单…审核通过了) is the order's too
        classes = [c.model_copy(update={"aside": True}) for c in classes]
    # with products in the cart, a medicine named in an order question stays in play for the
    # checks against them, unless it is one of them (钙尔奇的快递到哪了 with 钙尔奇 in the cart)
    drugs = [
        aside if not cart_ids or aside.doc_id in cart_ids else d
        for aside, d in zip(set_aside, drugs, strict=True)
    ]
    if any(f.tier == "emergency" for f in red_flags):
        message_class = "emergency"
    elif "complaint" in intents:
        message_class = "complaint"
    else:
        message_class = "consultation"

    allergies = _allergies(sk, mask_allergic_diseases(context))
    alcohol = (
        bool(_ALCOHOL.search(text))
        and not _ALCOHOL_NEG.search(text)
        and not _alcohol_only_past(text)
    )
    alcohol_asked = alcohol and _alcohol_only_asked(text)
    opening = _COURTESY.sub("", text, count=1)
    about_other = any(p.about_other_person for p in populations) or (
        (
            (
                bool(sk.lexicon.third_party)
                and any(cue in opening[:8] for cue in sk.lexicon.third_party)
            )
            or bool(_OTHER_ADULT_PATIENT.search(text))
        )
        # (not when the customer asks for themself: 我老公让我问问 感冒灵我能吃吗; 他自己吃 is his)
        and not ((_FOR_SELF.search(text) and not _THEIR_OWN.search(text)) or _SELF_ASK.search(text))
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
        reaction=reaction,
        # nothing has happened: not started yet, or a case that might come one day
        asked_only=bool(_NOT_STARTED.search(text))
        or _asked_in_advance(text)
        or (bool(HEARSAY.search(text)) and not _NOW.search(text) and not acted_on(text)),
        symptom_days=days,
        fever=fever,
        temperature=temperature,
        alcohol=alcohol,
        alcohol_asked=alcohol_asked,
        allergies=allergies,
        about_other_person=about_other,
        compared=bool(_COMPARED.search(text)) and not _TOGETHER.search(text),
    )
