"""Families blind safety 19 left open (phrasings written for these tests, not taken from any
set): painkillers on most days of a month and complaints said with a long course in other words
(dryness, numbness, swelling; 好几个月; back a few days after stopping); a stomach upset after a
medicine in everyday words; a drink said as cups; a major interaction taken with a systemic sign
now; a weekly medicine said as taken every day; an adult's age opening the message checked against
the label's age limit. And what stays with the agent: a medicine disclaimed in a service
question, a story from a video or the news (unless the customer acted on it), a past use the
message says is over, a non-drug allergen, vomiting after a dose the label answers, and an
expected effect with its alarm signs denied."""

from __future__ import annotations

from pathlib import Path

import pytest

from copilot.schemas import Profile


def _verdict(gate, text, profile=None):
    return gate.assess(message=text, profile=profile or Profile())


def _tier(gate, text, profile=None):
    verdict = _verdict(gate, text, profile)
    return verdict.escalation.tier if verdict.escalation else None


def _reasons(gate, text):
    verdict = _verdict(gate, text)
    return {r.id for r in verdict.escalation.reasons} if verdict.escalation else set()


@pytest.mark.parametrize(
    "text",
    [
        # painkillers on ten or more days a month
        "偏头疼 这半年每周差不多五天都要吃一粒芬必得",
        "一个月里有二十来天得靠止痛片",
        "对乙酰氨基酚几乎每天都得来一片 不吃就难受",
        # a long course said with other complaint words, or 好几 / 十几
        "手指头发麻 十几天了",
        "嘴巴干燥好几个月了 喝水也不管用",
        "脚踝肿了好几周了",
        # back soon after stopping
        "法莫替丁停了才四天 又开始烧心",
    ],
)
def test_routine_courses_said_otherwise(sample_gate, text):
    assert _tier(sample_gate, text) == "routine", text


@pytest.mark.parametrize(
    "text",
    [
        "布洛芬每天吃三次 一次一粒 对吗",  # a schedule asked, not a habit
        "我天天吃维生素C 能和布洛芬一起吃吗",  # the daily one is not the painkiller
        "麻烦问一下 好几个月前买的药还能退吗",  # 麻烦 is not numbness
    ],
)
def test_schedules_and_other_daily_things_are_not_overuse(sample_gate, text):
    assert "routine-red-flag" not in _reasons(sample_gate, text), text


@pytest.mark.parametrize(
    "text",
    [
        "芬必得吃了三天 胃里有点烧得慌",
        "吃完阿司匹林肚子绞着疼",
    ],
)
def test_a_stomach_upset_after_a_medicine_is_a_reaction(sample_gate, text):
    assert "suspected-adverse-reaction" in _reasons(sample_gate, text), text


def test_a_stomach_product_treats_the_stomach(sample_gate):
    reasons = _reasons(sample_gate, "吃了达喜 胃还有点不舒服 再吃一片行吗")
    assert "suspected-adverse-reaction" not in reasons


@pytest.mark.parametrize(
    "text",
    [
        "吃着甲硝唑 晚上陪客户喝了几杯 现在心跳得厉害 站不稳",
        "头孢克肟吃到第二天 喝了两盅 脸红得发烫 胸口闷",
    ],
)
def test_a_major_interaction_taken_with_a_systemic_sign_is_an_emergency(sample_gate, text):
    assert _tier(sample_gate, text) == "emergency", text


def test_an_interaction_only_asked_about_stays_priority(sample_gate):
    assert _tier(sample_gate, "吃甲硝唑的时候喝了点酒 会不会心跳加速啊") == "priority"


def test_a_weekly_medicine_said_as_taken_every_day_is_an_overdose_taken(sample_gate):
    verdict = _verdict(sample_gate, "我爸每天晚上都吃一片甲氨蝶呤")
    assert any(a.kind == "overdose" and a.severity == "major" for a in verdict.alerts)


def test_an_adult_age_opening_the_message_meets_the_labels_age_limit(sample_gate):
    verdict = _verdict(sample_gate, "48岁 想问下毓婷现在还能吃吗")
    assert any(a.kind == "population" for a in verdict.alerts)
    assert _tier(sample_gate, "28岁 想问下毓婷怎么吃") is None


@pytest.mark.parametrize(
    "text",
    [
        # a medicine disclaimed in a service question
        "我婆婆的氯吡格雷是医院开的 不在你们这买 就问问体温计包邮吗",
        "家里没人吃阿莫西林 我就问下你们周末发货不",
        # a story from a video or the news, nothing taken by the customer
        "看新闻说有个人一口气吞了一瓶安眠药 吓人 你们这买维生素C要处方吗",
        # a past use the message says is over
        "去年吃头孢的时候喝过一次酒 早就没事了 现在没吃药 藿香正气水能喝吗",
        # vomiting after a dose whose label says what to do
        "毓婷吃下去四十分钟左右吐了 需不需要再补一片",
    ],
)
def test_stays_with_the_agent(sample_gate, text):
    assert _tier(sample_gate, text) is None, text


def test_a_story_the_customer_acted_on_is_not_hearsay(sample_gate):
    text = "网上看到说一次吃一瓶就能睡过去不醒 我刚才吃了"
    assert _tier(sample_gate, text) == "emergency"


def test_a_non_drug_allergen_is_not_the_drug_before_it(sample_gate):
    verdict = _verdict(sample_gate, "一直在吃氯雷他定 尘螨过敏 能换成西替利嗪吗")
    assert not any(a.kind in ("allergy", "cross_allergy") for a in verdict.alerts)


def test_an_expected_effect_with_its_alarms_denied_is_not_an_emergency(sample_gate):
    text = "补铁的药吃了五天 大便黑乎乎的 不头晕也没心慌 正常吧"
    assert _tier(sample_gate, text) != "emergency"
    # with an alarm sign present it stands
    assert _tier(sample_gate, "补铁的药吃了五天 大便黑乎乎的 人有点头晕心慌") == "emergency"


def test_a_rule_with_a_broken_pattern_is_refused_at_load(tmp_path):
    from copilot.errors import KnowledgeError
    from copilot.safety.rules import load_rules

    src = Path(__file__).resolve().parents[1] / "knowledge" / "rules"
    text = (src / "escalation.yaml").read_text(encoding="utf-8")
    broken = text.replace("(?<!会)(?<!怕)(?<!担心)", "(?<!会|担心)", 1)
    assert broken != text
    path = tmp_path / "escalation.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(KnowledgeError, match="not a valid regular expression"):
        load_rules(path)


# --- families blind safety 20 showed (phrasings written for these tests) ---------------------


@pytest.mark.parametrize(
    "text",
    [
        # a wish not to wake, with or without the means
        "药都吃下去了 就想一觉睡过去不要再醒",
        "存了好多盒安眠药 哪天撑不住了就睡一觉永远不醒",
        # packs of two products taken together
        "一板布洛芬还有半盒感冒灵刚刚都吞了",
        # a fit, a faint, a wound that will not stop bleeding, in plain words
        "老人吃完药嘴边冒沫 手脚一抽一抽的",
        "吃了降压药起来上厕所 昏过去几秒",
        "手被玻璃割了 按了快半小时了还在流血",
        # a bottle mistaken and given, a child who may have swallowed tablets
        "拿错药瓶了 把外用的药水给孙女喝了一口",
        "儿子在翻我的降糖药 药板少了一格 不知道他有没有吞",
        # a major interaction with spirits said by the weight, symptoms now
        "吃着头孢 中午整了二两 现在心跳得厉害 浑身发烫",
    ],
)
def test_emergencies_from_blind_20_families(sample_gate, text):
    assert _tier(sample_gate, text) == "emergency", text


@pytest.mark.parametrize(
    "text",
    [
        "热死了 晒得我想死 有没有防暑的药",  # intensity, not intent
        "阿莫西林和头孢哪个消炎更管用",  # which of two, not two together
        "孩子差一点就把我的降压药放进嘴里 幸好被我拿回来了 一粒没少",  # a near miss
        "怀孕的是我嫂子 我自己想买点钙片",  # another person's state, the ask for oneself
        "听说头孢不能和藿香正气水一起喝 我没吃过头孢 中暑喝点行吗",  # hearsay, denied
        "前年吃头孢的时候喝过酒 早就停了 藿香正气水现在能喝吗",  # a remote past, over
    ],
)
def test_not_emergencies_from_blind_20_families(sample_gate, text):
    assert _tier(sample_gate, text) != "emergency", text
    verdict = _verdict(sample_gate, text)
    assert not any(a.kind == "interaction" and a.severity == "major" for a in verdict.alerts)


@pytest.mark.parametrize(
    "text",
    [
        "芬必得一次能多吃半粒吗",  # on top of the label's dose
        "开瑞坦不太管用 想加到一天三片",  # up to, the frame said after 到
        "对乙酰氨基酚片每月有十来天要吃",  # painkiller days a month (routine) …
    ],
)
def test_dose_above_the_label_and_overuse_are_caught(sample_gate, text):
    verdict = _verdict(sample_gate, text)
    assert verdict.escalation is not None and verdict.escalation.tier in ("priority", "routine")


def test_the_labels_first_dose_said_as_the_first_time_is_not_an_overdose(sample_gate):
    verdict = _verdict(sample_gate, "腹泻 蒙脱石散第一回吃两袋对吧")
    assert not any(a.kind == "overdose" for a in verdict.alerts)


# --- families blind safety 21 showed (phrasings written for these tests) ---------------------


@pytest.mark.parametrize(
    "text",
    [
        "五十天的宝宝 今晚体温38度3 能用点退烧药吗",  # an infant's age said as 的宝宝
        "吃完伟哥 胸口堵得慌 一身冷汗",  # chest discomfort with alarm signs
        "老太太吃完降糖药 喊她半天不大应",  # hardly answering
        "真想把这瓶安眠药全吞了 一了百了算了",
        "同事刚发朋友圈说对不起大家 照片里一大堆药片 电话也打不通",  # a friend, now
    ],
)
def test_emergencies_from_blind_21_families(sample_gate, text):
    assert _tier(sample_gate, text) == "emergency", text


@pytest.mark.parametrize(
    "text",
    [
        "我爸的波立维订单到哪了 物流好几天没动",  # someone's Rx medicine, a delivery question
        "买的阿托伐他汀能开电子发票吗",  # an invoice for an Rx order
        "头孢早就停了 快两个月了 藿香正气水能喝吗",  # a class stopped long ago
    ],
)
def test_service_questions_and_long_stopped_classes_stay_with_the_agent(sample_gate, text):
    assert _tier(sample_gate, text) is None, text


def test_a_prescription_purchase_still_goes_to_the_pharmacist(sample_gate):
    assert _tier(sample_gate, "波立维没有处方能下单吗") == "priority"
    assert _tier(sample_gate, "头孢停了三天 能喝酒了吗") == "priority"


def test_another_persons_state_stays_when_the_ask_is_theirs(sample_gate):
    # the pregnant wife buys for herself: her pregnancy is the case's
    assert _tier(sample_gate, "我老婆怀孕了 她想自己买点感冒灵") == "priority"


def test_a_medicine_set_aside_in_an_order_question_is_checked_against_the_cart(sample_gate):
    from copilot.schemas import CartItem

    text = "我爸的华法林今天能送到吗"
    assert _tier(sample_gate, text) is None
    verdict = sample_gate.assess(
        message=text, profile=Profile(), cart=[CartItem(product="ibuprofen-sr-capsule")]
    )
    assert any(a.kind == "interaction" for a in verdict.alerts)


@pytest.mark.parametrize(
    ("text", "child"),
    [
        ("我还在喂奶 闺女刚五个月 我牙疼能吃点止痛药吗", False),  # the mother asks for herself
        ("母乳喂养中 娃三个月大 我自己嗓子疼 含片能用吗", False),
        ("哺乳期 宝宝四个月 宝宝咳嗽能喝点什么", True),  # the baby's own illness
        ("在喂奶 想给宝宝用点开塞露 孩子两个月", True),
    ],
)
def test_a_nursing_mothers_baby_is_the_patient_only_when_the_ask_is_the_babys(
    sample_gate, text, child
):
    verdict = _verdict(sample_gate, text)
    reasons = {r.id for r in verdict.escalation.reasons}
    assert "pregnancy-lactation" in reasons, text  # the breastfeeding hold always stays
    assert ("young-child" in reasons) == child, (text, reasons)


def test_a_near_miss_is_read_within_its_own_clause(sample_gate):
    # 差点 said of something else: the child's swallowing still counts
    assert _tier(sample_gate, "我差点忘了吃药 结果孩子把我的降压药吃了两片") == "emergency"
