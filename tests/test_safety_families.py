"""Families of inputs the safety layer reads structurally (issue 12): approximate counts, ages
in any form, dose tables by weight and age, a child taking an adult's medicine, a dose taken
twice, reactions said without 过敏, and the holding reply for a feverish child. The phrasings
here were written after the code, not the ones it was developed on."""

from __future__ import annotations

import pytest

from copilot.safety.ages import answered_age, read_ages
from copilot.safety.dose_tables import read_tables
from copilot.safety.lint import dose_problems
from copilot.safety.quantities import cn_to_number, extract_quantities
from copilot.schemas import SEVERITY_ORDER, CartItem, Profile, Turn


def assert_tier(gate, message: str, tier: str | None, **case) -> None:
    """The tier a message reaches (None: not escalated), with the rules that fired when wrong."""
    v = gate.assess(message=message, **case)
    got = v.escalation.tier if v.escalation else None
    assert got == tier, (message, got, [r.id for r in v.escalation.reasons] if v.escalation else [])


@pytest.mark.parametrize(
    ("words", "value"),
    [("二十多", 21), ("十来", 11), ("三十几", 31), ("七八", 8), ("仨", 3), ("好几", 3), ("一", 1)],
)
def test_approximate_counts_read_as_the_smallest_they_allow(words, value):
    assert cn_to_number(words) == value


def test_approximate_durations_and_weights():
    got = {(q.value, q.unit) for q in extract_quantities("差不多三个多礼拜了 体重二十六斤")}
    assert got == {(3.0, "周"), (13.0, "kg")}
    assert [q.value for q in extract_quantities("一天几次")] == []  # a question, not a count


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("外孙女出生才五天 有点黄", 0, 0.02),
        ("俺家娃满月没几天 身上有点烫", 0.05, 0.1),
        ("小宝九周大 鼻子堵", 0.15, 0.2),
        ("孩子两岁半了", 2.4, 2.6),
        ("闺女3周半", 3.4, 3.6),
    ],
)
def test_child_ages_in_everyday_forms(text, low, high):
    child, _ = read_ages(text)
    assert child is not None and low <= child <= high


def test_a_duration_in_months_is_not_an_age():
    assert read_ages("这个药我吃了三个月了") == (None, None)


def test_age_given_as_the_answer_to_the_agents_question():
    history = [
        Turn(role="customer", text="孩子咳嗽能吃什么"),
        Turn(role="agent", text="您好，请问孩子几个月了？"),
    ]
    assert answered_age(history, "七十多天") == pytest.approx(71 / 365)
    assert answered_age([Turn(role="agent", text="体温多少度？")], "三岁") is None


TABLE = """口服：
| 年龄（岁） | 体重（公斤） | 一次用量（毫升） |
|---|---|---|
| 1～3 | 10～15 | 4 |
| 4～6 | 16～21 | 5 |
"""


def test_dose_table_rows_and_bands():
    rows = read_tables(TABLE)
    assert [(r.weight_min, r.weight_max, r.dose_max, r.unit) for r in rows] == [
        (10, 15, 4, "毫升"),
        (16, 21, 5, "毫升"),
    ]
    assert rows[0].fits(age=None, weight=14.5) and not rows[0].fits(age=None, weight=17)
    assert rows[1].fits(age=6.5, weight=None)  # 4～6岁 covers a six-and-a-half-year-old
    assert rows[0].text == "1～3岁（10～15公斤）：一次4毫升"


def _verdict(gate, message, **kw):
    return gate.assess(message=message, **kw)


def _tier(v):
    return v.escalation.tier if v.escalation else "none"


def _rule_ids(v):
    return {a.rule_id for a in v.alerts} | {
        r.id for r in (v.escalation.reasons if v.escalation else [])
    }


def test_child_dose_above_its_weight_band(sample_gate):
    v = _verdict(sample_gate, "我家小孩二十八斤 美林打算一回喂10毫升")
    assert "overdose-child-band" in _rule_ids(v)
    assert _tier(v) == "priority"
    ok = _verdict(sample_gate, "我家小孩二十八斤 美林一次喂4毫升对不对")
    assert "overdose-child-band" not in _rule_ids(ok)


def test_child_dose_above_band_already_given_is_an_emergency(sample_gate):
    v = _verdict(sample_gate, "宝宝11公斤 刚才给他喝了12毫升布洛芬混悬液")
    assert _tier(v) == "emergency"


def test_toddler_took_an_adults_medicine_by_themselves(sample_gate):
    v = _verdict(sample_gate, "两岁的儿子趁奶奶睡觉 把她的硝苯地平拿出来吃了一颗")
    assert _tier(v) == "emergency" and "child-ingestion" in _rule_ids(v)


def test_carer_giving_a_child_medicine_is_not_an_ingestion(sample_gate):
    v = _verdict(sample_gate, "给5岁孩子喂了一次布洛芬混悬液 现在退烧了")
    assert "child-ingestion" not in _rule_ids(v)


def test_dose_taken_twice_by_an_elderly_person(sample_gate):
    v = _verdict(
        sample_gate,
        "老爷子记不清早上吃没吃降糖药 又吃了一遍",
        profile=Profile(age_years=81),
    )
    assert _tier(v) == "emergency" and "dose-repeated" in _rule_ids(v)


def test_dose_taken_twice_by_an_adult_without_symptoms_is_priority(sample_gate):
    # one capsule a dose, two a day at most: twice by mistake is at the maximum, not over it
    v = _verdict(
        sample_gate, "布洛芬缓释胶囊早上不小心吃重了 有影响吗", profile=Profile(age_years=35)
    )
    assert _tier(v) == "priority"


def test_dose_taken_twice_over_the_daily_maximum_is_an_emergency(sample_gate):
    # one tablet a day: a second one is over the label's daily maximum
    v = _verdict(sample_gate, "氯雷他定今天不小心吃重了 有影响吗", profile=Profile(age_years=35))
    assert _tier(v) == "emergency"


@pytest.mark.parametrize(
    "message",
    [
        "抹了达克宁乳膏以后 脚背又红又辣",
        "喷了布地奈德这两天 嗓子里起了白点 有点刺痛",
        "吃了阿莫西林当晚 身上冒出好多小红点",
    ],
)
def test_reactions_said_without_the_word_allergy(sample_gate, message):
    assert _tier(_verdict(sample_gate, message)) != "none"


def test_feeling_better_after_a_drug_is_not_a_reaction(sample_gate):
    v = _verdict(sample_gate, "喷了鼻喷雾以后鼻子不堵了 还要喷几天")
    assert "suspected-adverse-reaction" not in _rule_ids(v)


def test_feverish_child_holding_reply_gives_interim_advice_and_asks_only_the_unknown(sample_gate):
    v = _verdict(sample_gate, "孩子5岁 16公斤 烧到38.9 美林怎么喂")
    assert _tier(v) == "priority"
    reply = v.holding_reply
    assert "减少衣物" in reply and "120" in reply
    assert "年龄" not in reply.split("请告诉我们")[1].split("。")[0]
    assert "体重" not in reply.split("请告诉我们")[1].split("。")[0]


def test_label_dose_limits_are_consistent(sample_gate):
    errors, _ = dose_problems(sample_gate.knowledge())
    assert errors == []


# --- families that raised false alarms on the answers sets (session 21) ------------------------


@pytest.mark.parametrize(
    "text",
    [
        "宝宝一天能喂几次",
        "孩子三天没拉大便了",
        "闺女两周用一次",
        "小孩一个月吃几盒",
        "孩子咳嗽五天了",
    ],
)
def test_frequencies_and_durations_after_a_child_word_are_not_ages(text):
    assert read_ages(text)[0] is None


@pytest.mark.parametrize(
    ("text", "years"),
    [("女儿嘛，今年7岁了", 7.0), ("我家老二呢 五岁半", 5.5), ("宝宝刚满40天", 40 / 365)],
)
def test_an_age_set_off_by_a_pause_is_read(text, years):
    assert read_ages(text)[0] == pytest.approx(years)


@pytest.mark.parametrize(
    ("message", "allergic"),
    [
        ("氯雷他定对哪类东西过敏的人要小心", False),
        ("开瑞坦 对啥过敏就不能吃了", False),
        ("我对布洛芬过敏，有别的退烧药吗", True),
    ],
)
def test_an_allergen_asked_about_is_not_an_allergy(sample_gate, message, allergic):
    v = _verdict(sample_gate, message)
    assert any(a.kind == "allergy" for a in v.alerts) is allergic


@pytest.mark.parametrize(
    ("message", "escalates"),
    [
        ("必理通吃着的时候可以喝点啤酒吗", False),
        ("喝感冒灵这几天能不能喝酒", False),
        ("中午喝了三两白酒，晚上能吃感冒灵吗", True),
        ("我每天都要喝点白酒，感冒灵能喝吗", True),
        ("吃头孢期间能喝点红酒吗", True),  # no label of ours answers it: pharmacist
    ],
)
def test_alcohol_asked_about_versus_drunk(sample_gate, message, escalates):
    v = _verdict(sample_gate, message)
    assert (v.escalation is not None) is escalates, _rule_ids(v)


@pytest.mark.parametrize(
    ("message", "profile", "emergency"),
    [
        ("吃了补铁的硫酸亚铁以后拉的屎是黑的，要紧吗", None, False),
        ("硫酸亚铁吃了几天，大便发黑，人也没力气", None, True),  # another sign: stands
        ("硫酸亚铁吃了大便发黑", Profile(current_medicines=["华法林"]), True),
        ("吃了布洛芬大便发黑", None, True),  # the label does not call it harmless
    ],
)
def test_a_sign_the_label_calls_harmless(sample_gate, message, profile, emergency):
    v = _verdict(sample_gate, message, profile=profile or Profile())
    assert (_tier(v) == "emergency") is emergency, _rule_ids(v)


def test_a_service_question_does_not_carry_an_earlier_childs_medicine(sample_copilot):
    history = [
        Turn(role="customer", text="两岁的宝宝发烧 美林怎么喂"),
        Turn(role="agent", text="请问宝宝体重多少？"),
    ]
    v = sample_copilot.assess(message="好，那快递一般几天能到", history=history)
    assert v.escalation is None, v.escalation
    medical = sample_copilot.assess(message="那一次喂几毫升", history=history)
    assert medical.escalation is not None  # the same child, still in scope


def test_the_speaker_turning_to_themself_leaves_the_earlier_child_behind(sample_copilot):
    history = [Turn(role="customer", text="我家小孩4岁 发烧能吃布洛芬吗")]
    own = sample_copilot.assess(
        message="那我自己头疼，氯雷他定……不对，对乙酰氨基酚片怎么吃", history=history
    )
    assert own.triage.child_age_years is None
    again = sample_copilot.assess(message="孩子的话一次吃多少", history=history)
    assert again.triage.child_age_years == 4


@pytest.mark.parametrize(
    "message",
    [
        "小家伙五岁 把抽屉里的扑尔敏掰开吃了",
        "丫头刚才把钙片当糖果吃了好多",
        "孩子两岁半 药板上少了四粒布洛芬",
        "三岁的崽把他奶奶的药咬碎了两片",
    ],
)
def test_a_child_who_took_medicine_themself(sample_gate, message):
    assert _tier(_verdict(sample_gate, message)) == "emergency"


@pytest.mark.parametrize(
    "message",
    ["八岁女儿胳膊被虫子咬了几个包 炉甘石能涂吗", "孩子6岁 咳嗽少了一点 止咳糖浆还要喝吗"],
)
def test_bites_and_getting_better_are_not_ingestions(sample_gate, message):
    assert _tier(_verdict(sample_gate, message)) != "emergency"


def test_a_fit_going_on_now(sample_gate):
    assert _tier(_verdict(sample_gate, "我妈突然抽起来了 叫不应")) == "emergency"
    assert _tier(_verdict(sample_gate, "他抽了快十分钟了还没停")) == "emergency"


@pytest.mark.parametrize(
    ("text", "today", "span"),
    [
        ("星期三开始嗓子疼 今天星期天", 0, 4.0),
        ("上礼拜六开始拉肚子", 2, 4.0),
        ("周四起一直咳", 3, 0.0),
    ],
)
def test_symptom_start_said_as_a_weekday(text, today, span):
    from copilot.safety.quantities import weekday_span_days

    assert weekday_span_days(text, today) == span


@pytest.mark.parametrize(("text", "years"), [("才六岁，能吃吗", 6.0), ("说明书写12岁以上", None)])
def test_an_age_under_14_with_no_person_word_is_a_childs(text, years):
    assert read_ages(text)[0] == years


# --- blind 8's second round of families (tested on phrasings written for the tests) ------------


def test_a_label_age_limit_for_adults(sample_gate):
    v = _verdict(
        sample_gate,
        "紧急避孕药怎么用",
        profile=Profile(age_years=46, sex="female"),
        cart=[CartItem(product="levonorgestrel-tablet")],
    )
    assert any(a.rule_id == "label-age-limit" for a in v.alerts)
    young = _verdict(
        sample_gate,
        "紧急避孕药怎么用",
        profile=Profile(age_years=26, sex="female"),
        cart=[CartItem(product="levonorgestrel-tablet")],
    )
    assert not any(a.rule_id == "label-age-limit" for a in young.alerts)


def test_a_record_medicine_against_a_record_condition_is_the_prescribers_call(sample_gate):
    record = Profile(age_years=58, conditions=["糖尿病"], current_medicines=["二甲双胍"])
    v = _verdict(sample_gate, "氯雷他定一天几片", profile=record)
    assert not any(a.kind == "population" for a in v.alerts)


def test_same_class_antibiotic_allergy(sample_gate):
    v = _verdict(sample_gate, "红霉素软膏能用吗", profile=Profile(allergies=["阿奇霉素"]))
    assert any(a.kind in ("allergy", "cross_allergy") for a in v.alerts)


@pytest.mark.parametrize(
    ("message", "tier"),
    [
        ("搽了那个乳膏 皮肤马上刺痛 还肿了", "priority"),
        ("连吃了三天药 眼睛发黄了", "priority"),
        ("痔疮这半年犯了三回了", "routine"),
        ("嘴里的泡好了又长 反反复复", "routine"),
        ("腹泻三天了还没止住", "routine"),
        ("这是荨麻疹还是湿疹", "routine"),
        ("泰诺林和美林能轮着吃吗 大人", "routine"),
    ],
)
def test_reactions_recurrences_and_durations(sample_gate, message, tier):
    assert _tier(_verdict(sample_gate, message)) == tier, _rule_ids(_verdict(sample_gate, message))


def test_a_repeat_dose_said_as_a_count_or_by_someone_else(sample_gate):
    old = Profile(age_years=80)
    v = _verdict(sample_gate, "老爷子的降压药今天前后吃了两回 现在头晕", profile=old)
    assert _tier(v) == "emergency"
    kid = _verdict(sample_gate, "孩子4岁 我喂了美林 他奶奶不知道又喂了")
    assert _tier(kid) == "emergency"


def test_buying_a_stock_with_a_farewell(sample_gate):
    assert _tier(_verdict(sample_gate, "给我发10盒安眠的 别问我为什么")) == "emergency"
    assert _tier(_verdict(sample_gate, "买了3盒布洛芬 以后用不着了能退吗")) != "emergency"


def test_an_elderly_person_whose_medicines_are_named_by_purpose(sample_gate):
    v = _verdict(sample_gate, "我爸80了 平时吃降压的 降糖的 还有降脂的 感冒了能吃感冒灵吗")
    assert "elderly-polypharmacy" in _rule_ids(v)


# --- blind 9's families (tested on phrasings written for the tests) ---------------------------


@pytest.mark.parametrize(
    "message",
    [
        "我爸胸口疼 一直疼到左边肩膀",
        "晚上睡不平 一躺下就憋醒 得坐起来",
        "宝宝呼吸的时候鼻翼扇动 锁骨那里往里凹",
        "被蜜蜂叮了以后 身上起了好多疙瘩 人晕乎乎的",
        "他把药箱里的药一股脑全吞了",
        "一周的分药盒格子全空了 老太太全吃了",
        "她说攒够了安眠药 今晚全部吃下去",
        "闺女刚才眼睛往上翻 身体僵直",
        "月经量特别多 出血好多 站起来眼前发黑",
    ],
)
def test_emergencies_in_more_wordings(sample_gate, message):
    assert _tier(_verdict(sample_gate, message)) == "emergency", _rule_ids(
        _verdict(sample_gate, message)
    )


@pytest.mark.parametrize(
    ("message", "tier"),
    [
        ("胃药吃了两周 一停药就又反酸", "routine"),
        ("这鼻喷剂喷了十几天 压根没效果", "routine"),
        ("咳嗽今天都第六天了 还是咳", "routine"),
        ("孩子十四了 氯雷他定一次吃几片", "none"),
        ("两种益生菌间隔多久吃 说明书没写", "routine"),
        ("快递说送到了 可是我压根没收到", "none"),
    ],
)
def test_routine_signs_in_more_wordings(sample_gate, message, tier):
    assert _tier(_verdict(sample_gate, message)) == tier, _rule_ids(_verdict(sample_gate, message))


@pytest.mark.parametrize(
    "message",
    [
        "对乙酰氨基酚发烧的话一天最多吃几次",  # one name, several products: not two painkillers
        "我天天吃两三片维生素C 会不会多",  # a habit, not an ingestion
        "止痛的话布洛芬最多连吃几天",
    ],
)
def test_one_painkiller_or_a_habit_is_not_a_combination_or_an_overdose(sample_gate, message):
    v = _verdict(sample_gate, message)
    assert _tier(v) not in ("emergency",) and "analgesics-combined" not in _rule_ids(v)


@pytest.mark.parametrize(
    ("message", "over"),
    [
        ("西替利嗪中午一片 睡前一片行不行", True),  # 2 a day; the label's maximum is 1
        ("必理通早上1片晚上1片", False),  # 2 a day, 1 at a time: within the label
        ("西替利嗪睡前吃一片", False),
    ],
)
def test_a_days_doses_said_by_the_time_of_day(sample_gate, message, over):
    v = _verdict(sample_gate, message)
    assert any(a.kind == "overdose" for a in v.alerts) is over, [a.effect for a in v.alerts]


@pytest.mark.parametrize(
    ("message", "tier"),
    [
        # a pack bought or kept, or a meal finished, is not a pack taken
        ("昨晚吃完烧烤肚子有点胀 想买一盒达喜备着", None),
        ("孩子把一盒美林都喝完了 现在有点迷糊", "emergency"),
        # a pack finished over a course is not an overdose (still coughing: not cured)
        ("阿莫西林一盒都吃完了 还是咳嗽", "priority"),
        # a whole quantity with an ending said another way
        ("这两瓶安眠药全吞了是不是就醒不过来了", "emergency"),
        ("活着就是拖累 我想知道那盒降压药一次吃完会不会死", "emergency"),
        # recurrences counted over a period without 这
        ("口腔溃疡两个月长了三次", "routine"),
    ],
)
def test_families_from_blind_set_10_on_other_phrasings(sample_gate, message, tier):
    assert_tier(sample_gate, message, tier)


@pytest.mark.parametrize(
    ("message", "fires"),
    [
        ("这两天拉的大便发黑", True),
        ("鼻子老是流血 按半天才止住", True),
        ("腿上没磕没碰就青了好几块", True),
        ("下个月的药什么时候能到", False),
    ],
)
def test_bleeding_on_an_anticoagulant_from_the_record(sample_gate, message, fires):
    from copilot.schemas import Profile

    v = sample_gate.assess(message=message, profile=Profile(current_medicines=["warfarin-tablet"]))
    ids = [r.id for r in v.escalation.reasons] if v.escalation else []
    assert ("bleeding-on-anticoagulant" in ids) is fires, (message, ids)


@pytest.mark.parametrize(
    ("message", "tier"),
    [
        # takings counted with the amount of each: the total against the label's maximum
        ("牙疼 上午吃了三回对乙酰氨基酚片 每回两片", "emergency"),
        ("布洛芬胶囊今天吃了两回 每回一粒", "priority"),  # repeated, still within the label
    ],
)
def test_takings_counted_with_the_amount_of_each(sample_gate, message, tier):
    v = sample_gate.assess(message=message)
    assert (v.escalation.tier if v.escalation else None) == tier, message


@pytest.mark.parametrize(
    ("message", "tier"),
    [
        # packs counted in any wording, with any verb for taking (冲 granules, 嚼)
        ("晚上一口气冲了三包感冒灵 又冲了两盒", "emergency"),
        ("我弟今天嚼了差不多两板布洛芬", "emergency"),
        # whole packs of a medicine named only by its kind
        ("我奶奶把半瓶安眠药都吞了", "emergency"),
        ("老公刚才喝了一整瓶止咳水", "emergency"),
        # packs over a course, or bought, are not an overdose
        ("这个月止疼药吃了三盒 正常吗", "routine"),
        ("想备两盒感冒灵", None),
        # a knock to the head, then a warning sign
        ("老人早上在厕所滑倒 额头撞了一下 刚才吐了一次", "emergency"),
        ("孩子从滑梯上摔下来 脑袋磕地上了 现在老想睡", "emergency"),
        ("上周磕到头起了个包 现在不疼了 用什么药消肿", None),
        # a fit of the limbs that came and went; not a cramp
        ("我妈吃完药 全身抽了几下 现在叫得醒", "emergency"),
        ("晚上小腿老抽筋 补钙吃哪个", None),
        # written Cantonese
        ("我老豆食咗成樽止咳水 依家好眼瞓", "emergency"),
    ],
)
def test_families_from_blind_set_10_second_pass(sample_gate, message, tier):
    assert_tier(sample_gate, message, tier)


@pytest.mark.parametrize(
    ("text", "drinks"),
    [
        ("周末同学聚会 想整两杯", True),
        ("晚上有饭局 小酌一下行吗", True),
        ("吃药那几天能不能喝点黄酒", True),
        ("用一杯温水送服可以吗", False),
        ("伤口能用碘酒擦吗", False),
        ("酒石酸美托洛尔一天几次", False),
    ],
)
def test_drinking_in_any_wording(sample_gate, text, drinks):
    assert sample_gate.assess(message=text).triage.alcohol is drinks


def test_a_stage_of_a_disease_in_the_label_still_names_it(sample_gate):
    """溃疡病活动期患者禁用 is about the customer with 十二指肠溃疡 on record."""
    v = sample_gate.assess(
        message="腰疼 来一盒阿司匹林片", profile=Profile(conditions=["十二指肠溃疡"])
    )
    assert any(a.rule_id == "label-condition-peptic_ulcer" for a in v.alerts)
    assert v.escalation is not None and v.escalation.tier == "priority"


@pytest.mark.parametrize(
    ("text", "years"),
    [("闺女一个半月 有点咳", 1.5 / 12), ("宝宝三个半月了", 3.5 / 12)],
)
def test_and_a_half_in_an_age(text, years):
    assert read_ages(text)[0] == pytest.approx(years)


def test_a_fever_medicine_is_not_a_return_and_keeps_the_infant_of_earlier_turns(sample_gate):
    history = [
        Turn(role="customer", text="孩子出生七周 有点咳"),
        Turn(role="agent", text="请问有没有发烧？"),
    ]
    v = sample_gate.assess(message="体温38.1了 可以喂退热的药吗", history=history)
    assert v.escalation is not None and v.escalation.tier == "emergency"


@pytest.mark.parametrize(
    ("message", "tier"),
    [
        # stroke signs in any words
        ("我爸吃饭时突然嘴角歪了 右边胳膊抬不起来", "emergency"),
        ("奶奶说话突然大舌头 半边脸发麻", "emergency"),
        ("右手腕写字多了有点麻 贴什么膏药", None),
        # a lethal amount asked, an ending announced with the means at hand
        ("安眠药吞多少粒就醒不过来了", "emergency"),
        ("攒了两盒药在抽屉里 今晚就了结吧", "emergency"),
        # the throat closing said as a picture, after a drug
        ("吃了阿莫西林二十分钟 喉咙像被勒住一样 身上起风团", "emergency"),
        # chest pain going on after known angina
        ("前天心绞痛发作过 现在胸口还有点闷痛", "emergency"),
        # taken twice by an elderly person, now dizzy
        ("我爸八十了 降压药吃了又吃 现在站都站不稳", "emergency"),
        # two products with one ingredient both taken, said as 都是…吃的
        ("泰诺林和小儿氨酚黄那敏都是今早给孩子喝的 现在有点蔫", "emergency"),
    ],
)
def test_families_from_blind_set_11_on_other_phrasings(sample_gate, message, tier):
    assert_tier(sample_gate, message, tier)


@pytest.mark.parametrize(
    "message",
    [
        # a drug of the past, or someone else's, beside what is bought now
        "前几年用过头孢呋辛 那次起了点疹子 这回想买瓶维生素C",
        "我老公在吃华法林 我自己啥药都没吃 买盒布洛芬给我自己",
        # products compared, not combined
        "芬必得跟必理通有什么不一样 哪个更适合牙疼",
        # a loading dose the label allows
        "刚开始拉肚子 思密达第一次是不是可以喝两袋",
    ],
)
def test_what_is_not_in_play_now_is_not_escalated(sample_gate, message):
    v = sample_gate.assess(message=message)
    assert v.escalation is None or v.escalation.tier == "routine", (
        message,
        [r.id for r in v.escalation.reasons] if v.escalation else [],
    )


def test_someone_elses_earlier_pregnancy_does_not_follow_the_customer(sample_gate):
    history = [Turn(role="customer", text="我媳妇怀孕五个月 最近老咳嗽")]
    mine = sample_gate.assess(message="那我本人 35岁 咳嗽 能吃右美沙芬吗", history=history)
    assert not any(p.population == "pregnant" for p in mine.triage.populations)
    her = sample_gate.assess(message="那她能吃右美沙芬吗", history=history)
    assert any(p.population == "pregnant" for p in her.triage.populations)


def test_an_age_not_reached_is_under_it():
    assert read_ages("娃两个月还不到 发烧了")[0] < 2 / 12
    assert read_ages("孩子三岁都不到")[0] < 3


def test_a_sign_said_to_be_absent_is_left_out_of_the_semantic_match():
    from copilot.safety.tense import said_to_happen

    assert said_to_happen("没胸痛也不喘 就是嗓子疼") == "就是嗓子疼"
    assert said_to_happen("宝宝没精神 不吃奶") == "宝宝没精神 不吃奶"  # signs present


def test_a_case_asked_about_in_advance_is_not_an_emergency(sample_gate):
    v = sample_gate.assess(message="万一以后孩子误吃了大人的药 应该先做什么 想提前了解一下")
    assert v.triage.asked_only
    assert v.escalation is None or v.escalation.tier != "emergency"
    now = sample_gate.assess(message="孩子刚才误吃了大人的药 应该先做什么")
    assert now.escalation is not None and now.escalation.tier == "emergency"
    # a report first, then a question about next time: still the report
    both = sample_gate.assess(message="娃刚把半瓶止咳糖浆喝了 要是以后再这样咋办")
    assert not both.triage.asked_only
    assert both.escalation is not None and both.escalation.tier == "emergency"


@pytest.mark.parametrize(
    ("message", "tier"),
    [
        # a condition named and asked whether it is that, or which of two kinds
        ("胳膊上一圈红 中间发白 是癣吗", "routine"),
        ("拉肚子是病毒性的还是细菌性的啊", "routine"),
        ("老是掉头发 是不是缺什么微量元素", "routine"),
        # a problem that keeps coming back
        ("嘴角疱疹总犯 有啥药膏", "routine"),
        # an antibiotic asked for by its class (Rx), not when it is an allergy or the past
        ("扁桃体发炎 来点抗生素吧", "priority"),
        ("我对头孢过敏 开瑞坦一天几片", None),
        # a late period is a possible pregnancy
        ("例假迟了十来天 感冒了能吃感冒灵吗", "priority"),
    ],
)
def test_families_from_blind_set_11_second_pass(sample_gate, message, tier):
    assert_tier(sample_gate, message, tier)


def test_time_gone_since_an_earlier_turn_adds_to_it(sample_gate):
    history = [
        Turn(role="customer", text="咳嗽有痰 吃什么好"),
        Turn(role="agent", text="请问咳了多久了？"),
        Turn(role="customer", text="十几天"),
    ]
    v = sample_gate.assess(message="现在又拖了快两个礼拜 还是咳", history=history)
    assert v.triage.symptom_days is not None and v.triage.symptom_days > 21
    assert v.escalation is not None and v.escalation.tier == "routine"


def test_an_answer_to_how_long_is_a_duration():
    from copilot.safety.durations import answered_days

    history = [Turn(role="customer", text="嗓子哑"), Turn(role="agent", text="有几天了？")]
    assert answered_days(history, "五六天") == 6
    assert answered_days([], "五六天") is None


def test_more_than_a_whole_unit_reads_over_it():
    from copilot.safety.quantities import days

    (q,) = extract_quantities("一个多礼拜")
    assert days(q) > 7


@pytest.mark.parametrize(
    ("message", "tier"),
    [
        # a pack, then taken (把…吃了), by an elderly person, with symptoms
        ("我姥姥把半盒降压药当成钙片吃了 现在晕乎乎的", "emergency"),
        # an age in months is not a course of treatment
        ("闺女两岁三个月 把一瓶美林全喝完了 看着没事", "emergency"),
        # a medicine given to a small child by mistake
        ("给一岁的宝宝拿错了药 喂了半片我的降压药", "emergency"),
        # severe pain at the heart that will not ease
        ("心口疼得要命 出了一身汗", "emergency"),
        # swelling with shortness of breath after a drug
        ("吃了头孢 脖子和脸都肿起来了 有点上不来气", "emergency"),
        # an adult's age said after 今年, with no unit
        ("我闺女今年二十六 来例假肚子疼 布洛芬一次吃几粒", None),
        # an allergic reaction of the past, long over, is not a report
        ("前年我吃头孢过敏过 现在早好了 想买个体温计", None),
    ],
)
def test_families_from_blind_set_12_on_other_phrasings(sample_gate, message, tier):
    assert_tier(sample_gate, message, tier)


def test_a_message_for_another_adult_leaves_the_earlier_child_behind(sample_gate):
    history = [Turn(role="customer", text="我家宝宝两岁 这两天咳嗽")]
    v = sample_gate.assess(message="另外给我老公买盒氯雷他定 他过敏性鼻炎", history=history)
    assert v.escalation is None, [r.id for r in v.escalation.reasons]


def test_an_order_question_does_not_escalate_for_who_the_customer_is(sample_gate):
    profile = Profile(age_years=29, pregnant=True)
    v = sample_gate.assess(message="快递显示已签收 我没拿到", profile=profile, service=True)
    assert v.escalation is None
    medical = sample_gate.assess(message="对乙酰氨基酚一次吃几片", profile=profile)
    assert medical.escalation is not None and medical.escalation.tier == "priority"


@pytest.mark.parametrize(
    ("message", "tier"),
    [
        # hearsay and a past that is over are not happening now (the semantic net too)
        ("网上说布洛芬吃多了会胃出血 我就偶尔头疼吃一粒 一天最多几粒", None),
        # an Rx product whose prescription the pharmacist has approved: an order question
        ("药师审过了处方 阿托伐他汀今天能发出吗", None),
    ],
)
def test_what_is_heard_or_already_reviewed_is_not_escalated(sample_gate, message, tier):
    assert_tier(sample_gate, message, tier)


def test_the_semantic_net_compares_only_what_is_said_to_happen_now():
    from copilot.safety.tense import said_to_happen

    assert said_to_happen("听说布洛芬伤胃 饭后吃好吗") == "饭后吃好吗"
    assert said_to_happen("以前吃头孢起过疹子 早就好了") == "早就好了"
    assert "起过疹子" in said_to_happen("以前吃头孢起过疹子 现在又起了")  # not over


@pytest.mark.parametrize(
    "message",
    [
        "娃一岁半了 家里的药怎么收才够不着",
        "抖音上说小孩误吞药很危险 有带儿童锁的药盒卖吗",
    ],
)
def test_keeping_medicines_from_small_children_is_not_giving_them_one(sample_gate, message):
    assert_tier(sample_gate, message, None)


# --- families from blind set 13 (development), each shown on phrasings written for the tests ---


@pytest.mark.parametrize(
    "message",
    [
        "孩子一岁半 我照着美林的毫升数给他喂了泰诺林滴剂4毫升",
        "宝宝20个月 把泰诺林滴剂当成美林喂了6ml",
    ],
)
def test_a_product_named_only_as_the_measure_is_not_the_one_given(sample_gate, message):
    """泰诺林滴剂 given at 美林's volume: the drops' row (1.0～1.5 ml at 1～3 岁) decides."""
    v = _verdict(sample_gate, message)
    assert _tier(v) == "emergency" and "overdose-taken" in _rule_ids(v)


@pytest.mark.parametrize(
    "message,tier",
    [
        ("我婆婆把甲氨蝶呤当降压药那样每天吃 连吃了三天", "emergency"),
        ("甲氨蝶呤我想改成天天吃一片 行不行", "priority"),
        ("甲氨蝶呤每周固定周六吃 这周吃几片", "priority"),  # Rx review only, not an overdose
    ],
)
def test_a_weekly_medicine_taken_daily(sample_gate, message, tier):
    v = _verdict(sample_gate, message)
    assert _tier(v) == tier, _rule_ids(v)
    overdose = {"overdose-taken", "overdose-daily-max"} & _rule_ids(v)
    assert bool(overdose) == ("天天" in message or "每天" in message)


@pytest.mark.parametrize(
    "message,tier",
    [
        ("我妈今天的华法林好像吃了三四回 问她也说不清", "emergency"),
        ("早上的格列美脲吃重了 人还好", "emergency"),
        ("早上降压药吃了两回 现在没啥感觉", "priority"),
    ],
)
def test_a_repeated_dose_of_a_high_alert_medicine_is_an_emergency(sample_gate, message, tier):
    assert _tier(_verdict(sample_gate, message)) == tier


@pytest.mark.parametrize(
    "message",
    [
        "3岁的娃趁我洗澡 撕开两袋小儿氨酚黄那敏颗粒直接倒进嘴里了",
        "两岁半的孩子把五片钙尔奇一下塞嘴里了",
    ],
)
def test_medicine_put_in_the_mouth_by_a_child(sample_gate, message):
    assert _tier(_verdict(sample_gate, message)) == "emergency"


def test_sachets_bought_or_split_are_not_taken_at_once(sample_gate):
    for message in ("孩子7岁 买了三袋小儿氨酚黄那敏颗粒 还剩一袋", "孩子8岁 两袋分四次喝了"):
        assert "overdose-taken" not in _rule_ids(_verdict(sample_gate, message)), message


@pytest.mark.parametrize(
    "message,tier",
    [
        ("听朋友讲她闺女以前误吃过退烧药 你们的瓶盖孩子打得开吗", None),
        ("邻居跟我说她家老人去年吃华法林便血住过院 华法林要放冰箱吗", "priority"),  # Rx
        ("我闺蜜说她把安眠药都攒着 打算今晚吃掉 怎么办", "emergency"),
    ],
)
def test_a_story_someone_else_told_of_the_past_is_not_a_case(sample_gate, message, tier):
    assert_tier(sample_gate, message, tier)


@pytest.mark.parametrize(
    "message,tier",
    [
        ("本人男的 怀孕这条不用管 藿香正气水饭前还是饭后喝", None),
        ("我是个男生 问下哺乳期的事 开瑞坦一天几片", None),
        ("我是男的 我媳妇怀孕了 开瑞坦她能吃吗", "priority"),
    ],
)
def test_a_man_speaking_of_himself_is_not_pregnant(sample_gate, message, tier):
    assert_tier(sample_gate, message, tier)


@pytest.mark.parametrize(
    "message,tier",
    [
        ("孩子前阵子咳嗽买的小儿止咳糖浆 已经好了 没喝完的放冰箱行吗", None),
        ("孩子4岁 美林放了三个月 还能给他喝吗", "priority"),
        ("生完宝宝以后我自己长了脚气 达克宁怎么用", None),
    ],
)
def test_keeping_a_childs_medicine_or_giving_birth_is_not_giving_a_child_medicine(
    sample_gate, message, tier
):
    assert_tier(sample_gate, message, tier)


@pytest.mark.parametrize(
    "message,tier",
    [
        ("双黄连口服液喝了三天 嗓子还是疼", "routine"),
        ("对乙酰氨基酚吃了3天了 还在发烧", "routine"),
        ("维C银翘片吃了两天 嗓子还有点疼", None),
        ("对乙酰氨基酚吃了3天 已经不烧了 剩下的能收着吗", None),
    ],
)
def test_self_treatment_for_the_labels_period_without_relief(sample_gate, message, tier):
    assert_tier(sample_gate, message, tier)


# --- families from blind set 14 (development since its first run), new phrasings ---


@pytest.mark.parametrize(
    "message",
    [
        "孩子刚才两只手攥得紧紧的 胳膊腿发硬 喊他没反应",  # a fit in plain words
        "万托林吸了三口了还是憋得慌 一句话都说不完",  # reliever not helping
        "我妈这两天时清醒时糊涂 饭也吃不下",  # new confusion
        "拉的大便带鲜红的血 一大摊",  # blood in the stool
        "最近真想从桥上跳河算了",  # a way of dying wished
        "必理通中午吃了三片 晚上又吃了三片 还喝了酒",  # doses summed when taken again
        "布洛芬混悬液一天喂了七次 孩子4岁 烧不退",  # doses a day above the label's count
        "孩子10个月 美林按大孩子的量喂了6毫升",  # below the table's youngest band
        "两岁的闺女把一整盒小儿感冒药全塞嘴里了",  # a whole pack into the mouth
    ],
)
def test_emergencies_said_in_everyday_words(sample_gate, message):
    assert_tier(sample_gate, message, "emergency")


@pytest.mark.parametrize(
    "message",
    [
        "儿子大二了 牙疼 芬必得一次几粒",  # a university year is an adult
        "娃他爸头疼 必理通吃一片可以吧",  # a child's parent is an adult
        "上个礼拜肚子疼去医院看过了 已经好了 想买点维生素C",  # last week, over
        "前阵子发烧到39度 早好了 现在想囤点退烧药",
        "我老婆怀二胎那时候不让吃芬必得 我自己腰疼能吃吗",  # her pregnancy, back then
        "假如家里孩子不小心吃了药 该咋办 先了解一下",  # asked in advance
        "看电视说孩子误食药品很危险 药该咋收好",  # how to keep medicine away
        "大年初三 我自己头疼 必理通怎么吃",  # a date, not a school year
    ],
)
def test_near_misses_that_only_look_alarming(sample_gate, message):
    assert_tier(sample_gate, message, None)


# Allergies a label names in its own words, and siblings of a class by their generic-name stem
@pytest.mark.parametrize(
    "allergy, product, kind, severity",
    [
        ("替硝唑", "metronidazole-tablet", "cross_allergy", "contraindicated"),  # 其他硝基咪唑类
        ("奥硝唑", "metronidazole-tablet", "cross_allergy", "contraindicated"),
        ("硝苯地平", "amlodipine-tablet", "cross_allergy", "contraindicated"),  # 如…硝苯地平等
        ("非洛地平", "amlodipine-tablet", "cross_allergy", "contraindicated"),  # 二氢吡啶类
        ("磺胺类", "hydrochlorothiazide-tablet", "cross_allergy", "contraindicated"),
        ("磺胺", "glimepiride-tablet", "cross_allergy", "contraindicated"),
        ("酒精", "huoxiang-zhengqi-liquid", "allergy", "contraindicated"),  # 含乙醇
        ("环丙沙星", "levofloxacin-tablet", "cross_allergy", "major"),  # a sibling by its stem
    ],
)
def test_allergies_the_label_names_or_a_sibling_of_the_class(
    sample_gate, allergy, product, kind, severity
):
    v = _verdict(
        sample_gate,
        "这个药下单",
        profile=Profile(allergies=[allergy]),
        cart=[CartItem(product=product)],
    )
    hits = [a for a in v.alerts if a.kind == kind and product in a.involves]
    assert hits, [(a.kind, a.severity, a.involves) for a in v.alerts]
    assert max(SEVERITY_ORDER[a.severity] for a in hits) >= SEVERITY_ORDER[severity]


@pytest.mark.parametrize("allergy", ["花粉", "海鲜", "尘螨"])
def test_an_allergic_constitution_line_names_no_drug(sample_gate, allergy):
    v = _verdict(
        sample_gate,
        "感冒了 来一盒",
        profile=Profile(allergies=[allergy]),
        cart=[CartItem(product="banlangen-granules")],
    )
    assert not [a for a in v.alerts if a.kind in ("allergy", "cross_allergy")]


def test_allergen_stems_name_one_class(sample_gate):
    lex = sample_gate.sk.allergens
    assert {"fluoroquinolone"} <= lex.classes_in("环丙沙星")
    assert {"ppi"} <= lex.classes_in("奥美拉唑")
    assert {"cephalosporin"} <= lex.classes_in("头孢克肟")
    assert not lex.classes_in("庆大霉素")  # 霉素 names no single class


@pytest.mark.parametrize(
    "message",
    [
        "喷了雷诺考特以后 早上起来痰里有血丝",  # bleeding streaks after a spray
        "这两天用雷诺考特 鼻涕里见血",
        "吃了一周阿托伐他汀 最近眼珠子有点发黄",  # jaundice signs
        "吃别嘌醇第三天 小便颜色特别深",
        "上个月开始吃二甲双胍 这几天发现身上起了好多红疹",  # a past start, a change now
    ],
)
def test_reaction_signs_in_everyday_shapes(sample_gate, message):
    assert_tier(sample_gate, message, "priority")


def test_a_reaction_told_as_history_stays_history(sample_gate):
    assert_tier(sample_gate, "前些年吃头孢起过一身疹子 现在早好了 这回买点维生素C", None)


@pytest.mark.parametrize(
    "message",
    [
        "芬必得一天两粒压不住 能不能吃到三四粒",  # a day's amount asked to go up to
        "芬必得一次一粒不管用 能加到三粒吗",  # a dose asked to go up to
    ],
)
def test_amounts_asked_to_go_up_to_are_read_in_their_frame(sample_gate, message):
    v = sample_gate.assess(message=message)
    assert any(a.kind == "overdose" for a in v.alerts), [(a.kind, a.rule_id) for a in v.alerts]
    assert _tier(v) == "priority"


@pytest.mark.parametrize(
    "message",
    ["皮炎平擦了两个多月 还是反反复复", "这个鼻喷喷了一个多月了 鼻子还是不通"],
)
def test_a_course_said_in_months_is_long(sample_gate, message):
    assert _tier(sample_gate.assess(message=message)) in ("routine", "priority")


@pytest.mark.parametrize(
    "message",
    ["身上一圈一圈的会不会是真菌感染", "孩子老拉肚子 是不是细菌引起的", "这个痒是啥导致的"],
)
def test_a_cause_asked_is_a_diagnosis_request(sample_gate, message):
    assert _tier(sample_gate.assess(message=message)) in ("routine", "priority")


@pytest.mark.parametrize(
    "message",
    [
        "我同事说布洛芬吃多了伤胃 我一天一粒没问题吧",
        "朋友讲对乙酰氨基酚长期吃会伤肝 偶尔吃一片行吗",
    ],
)
def test_a_general_claim_someone_made_is_not_an_event(sample_gate, message):
    assert _tier(sample_gate.assess(message=message)) in (None, "none")


def test_drinking_told_only_as_the_past_is_not_drinking_now(sample_gate):
    assert_tier(sample_gate, "几年前吃甲硝唑那次喝过酒吐得厉害 早没事了 现在想买点钙片", None)
    # asked again now, the drink left unsaid: still the interaction
    v = sample_gate.assess(message="以前吃头孢那回喝过酒 这回吃着头孢还能喝不")
    assert any(a.kind == "interaction" for a in v.alerts)


def test_a_colour_change_the_label_calls_harmless(sample_gate):
    # not the black-stool emergency; still a reported change a pharmacist confirms
    assert_tier(sample_gate, "补铁的药吃上以后 拉的便便发黑 人没啥不舒服 正常吧", "priority")
    # with an alarm sign it stands
    assert _tier(sample_gate.assess(message="补铁的药吃上以后 大便发黑 人老头晕")) == "emergency"


def test_bleeding_without_an_anticoagulant_is_not_the_anticoagulant_emergency(sample_gate):
    v = sample_gate.assess(message="吃了开瑞坦以后 刷牙牙龈出血按了好久")
    assert not [
        r
        for r in v.escalation.reasons
        if r.id == "semantic-bleeding-anticoagulated" and r.tier == "emergency"
    ]
    v = sample_gate.assess(
        message="刷牙牙龈出血按了好久还在流", profile=Profile(current_medicines=["warfarin-tablet"])
    )
    assert _tier(v) == "emergency"


def test_keeping_medicines_and_one_ordinary_dose_is_not_stockpiling(sample_gate):
    assert_tier(sample_gate, "药箱里备了三盒芬必得 昨天牙疼吃了一粒", None)
    assert _tier(sample_gate.assess(message="偷偷攒了好几盒安眠药 想哪天一起吃了")) == "emergency"


# Families from blind set 15 (now development), shown on phrasings written apart from it
@pytest.mark.parametrize(
    "message",
    [
        "老公在吃红霉素 胃不舒服想加点吗丁啉",  # said as taken by mouth: not the ointment
        "口服了红霉素 还能吃吗丁啉不",
    ],
)
def test_a_drug_said_taken_by_mouth_is_checked_as_systemic(sample_gate, message):
    v = sample_gate.assess(message=message)
    assert any(a.rule_id == "domperidone-erythromycin" for a in v.alerts), v.alerts


def test_the_labels_own_under_age_contraindication_sets_the_severity(sample_gate):
    v = sample_gate.assess(message="孩子15岁 左氧氟沙星能吃吗", profile=Profile(age_years=15))
    sev = [a.severity for a in v.alerts if a.rule_id == "population-child-age"]
    assert sev == ["contraindicated"], v.alerts


@pytest.mark.parametrize(
    ("message", "tier"),
    [
        ("我老伴哮喘 这会儿喘个不停 药吸了没用", "emergency"),
        ("拉肚子一整天了 水一喝就吐", "emergency"),
        ("吃了感冒药以后心口又疼起来了", "emergency"),
        ("不知道他吞了多少粒 现在叫不太醒", "emergency"),
        ("药都攒够了 最后一次麻烦你们 谢谢", "emergency"),
        ("孩子两岁半 姥姥给喂了一片大人的降压药", "emergency"),
        ("半个钟头里吃了两回布洛芬 现在耳鸣", "emergency"),
    ],
)
def test_blind_15_families(sample_gate, message, tier):
    assert _tier(sample_gate.assess(message=message)) == tier


def test_an_ingestion_told_as_over_is_history(sample_gate):
    v = sample_gate.assess(message="上一回孩子误喝过他爸的药 最后也没事 这次问问药箱哪种好")
    assert _tier(v) != "emergency"


def test_a_use_planned_past_the_labels_limit(sample_gate):
    assert _tier(sample_gate.assess(message="法莫替丁效果不错 打算吃上两个月")) == "priority"
    assert _tier(sample_gate.assess(message="法莫替丁打算吃五天")) in (None, "none")


@pytest.mark.parametrize(
    "message", ["感冒灵一天三包没用 能不能喝五包", "吗丁啉一次吃三片效果会不会好点"]
)
def test_an_amount_asked_above_the_label(sample_gate, message):
    assert _tier(sample_gate.assess(message=message)) == "priority"


def test_a_reaction_after_a_medicine_left_unsaid(sample_gate):
    assert _tier(sample_gate.assess(message="前天开始用的 今天胳膊上起了一片红疹")) == "priority"


def test_a_yes_no_question_ending_in_bu_only_asks_about_drinking(sample_gate):
    v = sample_gate.assess(message="在吃必理通 周末同学聚会能喝点红酒不")
    assert _tier(v) in (None, "none"), [r.id for r in v.escalation.reasons] if v.escalation else []
    assert _tier(sample_gate.assess(message="刚喝完酒 能吃必理通不")) == "priority"


# Families from blind set 16 (now development), on phrasings written apart from it
@pytest.mark.parametrize(
    "message",
    [
        "抹了药膏以后 嘴唇跟眼睛都肿了 呼吸有点吃力",
        "孩子吃了阿莫西林 脸肿起来 起了好多疹子 哭声都哑了",
        "打完针回来浑身通红 冷汗直冒 胸闷",
        "吃了几天布洛芬 刚才吐了一口暗红的",
        "8岁的儿子从抽屉里翻出奶奶的降压片 吃了两片",
        "宝宝发热38.4 她才七周",
        "老爸羊角风又犯了 抽了好几回",
        "后事都交代好了 药到了就行",
        "吃了一片伟哥 现在头晕 高压只有85",
    ],
)
def test_blind_16_emergency_families(sample_gate, message):
    assert _tier(sample_gate.assess(message=message)) == "emergency"


def test_ears_and_sight_after_a_medicine_are_reaction_signs(sample_gate):
    assert _tier(sample_gate.assess(message="吃了那个药以后耳朵嗡嗡的 看字也有点花")) == "priority"


def test_a_pronouns_weeks_are_an_age_only_beside_a_child(sample_gate):
    assert _tier(sample_gate.assess(message="孩子咳嗽 他吃了两周的药了")) != "emergency"
