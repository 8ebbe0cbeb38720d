from __future__ import annotations

import pytest

from copilot.safety.triage import triage
from copilot.schemas import Turn


def pops(t):
    return {p.population: p for p in t.populations}


@pytest.mark.parametrize(
    ("message", "population", "negated", "other"),
    [
        pytest.param("我怀孕了能吃感冒灵吗", "pregnant", False, False, id="pregnant"),
        pytest.param("我没有怀孕 感冒灵一次几袋", "pregnant", True, False, id="no-pregnancy"),
        pytest.param(
            "不是孕妇 开瑞坦能天天吃吗", "pregnant", True, False, id="not-a-pregnant-woman"
        ),
        pytest.param("我没怀孕 想买芬必得", "pregnant", True, False, id="adjacent-negation"),
        pytest.param("不小心怀孕了 能吃板蓝根吗", "pregnant", False, False, id="not-a-negation"),
        pytest.param("我老婆怀孕了想买点感冒药", "pregnant", False, True, id="other-person"),
        pytest.param("哺乳期能吃开瑞坦吗", "breastfeeding", False, False, id="breastfeeding"),
    ],
)
def test_populations_with_negation_and_other_person(
    sample_gate, message, population, negated, other
):
    found = pops(triage(sample_gate.sk, message))
    assert population in found
    assert found[population].negated is negated
    assert found[population].about_other_person is other


@pytest.mark.parametrize(
    ("message", "years"),
    [
        ("宝宝8个月拉肚子", 8 / 12),
        ("孩子3岁发烧了", 3),
        ("两个多月的宝宝", 2 / 12),
        ("孩子已经15岁了", 15),
    ],
)
def test_child_age(sample_gate, message, years):
    assert triage(sample_gate.sk, message).child_age_years == pytest.approx(years, abs=0.01)


def test_drugs_doses_and_durations(sample_gate):
    t = triage(sample_gate.sk, "烧了4天了 芬必得一次吃2粒一天3次行吗")
    assert [d.doc_id for d in t.drugs] == ["ibuprofen-sr-capsule"]
    assert t.symptom_days == 4
    assert {(q.value, q.unit) for q in t.quantities} >= {(2, "粒"), (3, "次")}
    assert "dose_usage" in t.intents


def test_drugs_from_earlier_turns_are_carried_forward(sample_gate):
    history = [Turn(text="我在吃华法林"), Turn(role="agent", text="好的，请问有什么可以帮您？")]
    t = triage(sample_gate.sk, "那芬必得能吃吗", history=history)
    sources = {d.doc_id: d.source for d in t.drugs}
    assert sources == {"ibuprofen-sr-capsule": "message", "warfarin-tablet": "history"}


def test_taking_versus_asking(sample_gate):
    t = triage(sample_gate.sk, "我一直在吃华法林 想问下芬必得")
    taking = {d.doc_id: d.taking for d in t.drugs}
    assert taking == {"warfarin-tablet": True, "ibuprofen-sr-capsule": False}


@pytest.mark.parametrize(
    ("message", "flag", "tier"),
    [
        ("我爸突然胸口疼得厉害还出冷汗", "chest_pain", "emergency"),
        ("孩子把半瓶退烧药都喝了", "overdose", "emergency"),
        ("宝宝2个月发烧38度5", "infant_fever", "emergency"),
        ("吃了感冒灵以后身上起了好多红疹子", "suspected_adverse_reaction", "priority"),
        ("你帮我看看我这是什么病", "diagnosis_request", "routine"),
    ],
)
def test_red_flags(sample_gate, message, flag, tier):
    flags = {f.id: f for f in triage(sample_gate.sk, message).red_flags}
    assert flag in flags and flags[flag].tier == tier


@pytest.mark.parametrize(
    "message", ["以前胸口疼过现在好了想问下发票", "昨天吃多了胃胀", "运费要8块 好心疼"]
)
def test_no_red_flag_for_past_or_figurative_words(sample_gate, message):
    assert triage(sample_gate.sk, message).red_flags == []


def test_message_class(sample_gate):
    sk = sample_gate.sk
    assert triage(sk, "我要投诉 你们发错货了").message_class == "complaint"
    assert triage(sk, "孩子抽搐了怎么办").message_class == "emergency"
    assert triage(sk, "开瑞坦一天吃几片").message_class == "consultation"


def test_alcohol_and_allergy_words(sample_gate):
    sk = sample_gate.sk
    assert triage(sk, "昨晚喝了很多酒 头疼").alcohol
    assert not triage(sk, "我从不喝酒 头疼").alcohol
    assert triage(sk, "我青霉素过敏 阿莫西林能吃吗").allergies == ["青霉素"]
    assert triage(sk, "我对青霉素不过敏").allergies == []


@pytest.mark.parametrize(
    ("message", "child"),
    [
        pytest.param("我儿子35岁了 胃疼 奥美拉唑怎么吃", False, id="adult-son"),
        pytest.param("给闺女问的 她今年22了 痛经能吃芬必得吗", False, id="adult-daughter"),
        pytest.param("刚才问的不是给孩子 是我自己 头疼", False, id="correction-to-self"),
        pytest.param("我儿子7岁 咳嗽", True, id="child-son"),
        pytest.param("闺女已经工作了 感冒了吃什么", False, id="grown-daughter"),
    ],
)
def test_who_the_question_is_about(sample_gate, message, child):
    pops = {p.population for p in triage(sample_gate.sk, message).populations if not p.negated}
    assert ("child" in pops or "infant" in pops) is child, pops


@pytest.mark.parametrize(
    ("message", "reported"),
    [
        pytest.param("我有过敏性皮炎 开瑞坦一天几片", False, id="disease-with-allergy-in-name"),
        pytest.param("万一吃了过敏怎么办 还没吃", False, id="hypothetical"),
        pytest.param("吃了阿莫西林以后身上起了好多疹子", True, id="reported"),
    ],
)
def test_a_reaction_asked_about_is_not_a_report(sample_gate, message, reported):
    flags = {f.id for f in triage(sample_gate.sk, message).red_flags}
    assert ("suspected_adverse_reaction" in flags) is reported, flags


@pytest.mark.parametrize(
    ("message", "emergency"),
    [
        pytest.param("看新闻说有个老人吃错药昏迷了 家里的药怎么放", False, id="news"),
        pytest.param("听同事说他家娃误吃过降压药 好吓人 药放哪安全", False, id="colleague"),
        pytest.param("听说我爸现在昏迷了 吃了好多安眠药", True, id="now"),
        pytest.param("我爸吃了好多安眠药 叫不醒", True, id="told-directly"),
    ],
)
def test_hearsay_is_not_an_emergency_unless_it_is_happening_now(sample_gate, message, emergency):
    flags = [f for f in triage(sample_gate.sk, message).red_flags if f.tier == "emergency"]
    assert bool(flags) is emergency, flags


@pytest.mark.parametrize(
    ("message", "flag"),
    [
        pytest.param("给娃喂了美林 没过半小时他妈又喂了一次", "overdose", id="repeat-too-soon"),
        # a dose taken twice is the ingestion check's now (tests/test_safety_families.py)
        pytest.param("胃疼三个礼拜了 一直没好", "prolonged_symptoms", id="weeks"),
        pytest.param("口腔溃疡每个月都犯好几次", "prolonged_symptoms", id="recurring-monthly"),
        pytest.param("这是今年第四次发作了", "prolonged_symptoms", id="fourth-time"),
    ],
)
def test_repeat_doses_and_long_symptoms(sample_gate, message, flag):
    assert flag in {f.id for f in triage(sample_gate.sk, message).red_flags}


@pytest.mark.parametrize(
    "message",
    [
        "今天吃了两回对乙酰氨基酚 中间隔了六个钟头 还能再吃吗",
        "收到的药还有两个月过期 能退吗",
        "我奶奶老说以前药吃多了也没事 我就问问感冒灵怎么喝",
    ],
)
def test_ordinary_schedules_expiry_and_hearsay_raise_nothing(sample_gate, message):
    assert [f.id for f in triage(sample_gate.sk, message).red_flags] == []
