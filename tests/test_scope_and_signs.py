"""Families blind set 17 showed (phrasings written for these tests, not taken from any set):
emergency signs said plainly (diarrhoea counted past ten with the body failing, a fit with
consciousness lost and regained, a pillbox poured out and swallowed), a diagnosis asked in
everyday frames (是不是得了…, 这是啥, a lab figure read), a reaction asked to be named a side
effect; and scope: a drug said as not taken or in someone else's story, an allergy heard of,
an ingredient asked about inside a product, a grown-up child, a turn to the speaker, and a
period of dosing that is not an age answered to the agent's question."""

from __future__ import annotations

import pytest

from copilot.schemas import Turn


def _tier(gate, text, history=None):
    verdict = gate.assess(message=text, history=history)
    return verdict.escalation.tier if verdict.escalation else None


@pytest.mark.parametrize(
    "text",
    [
        "孩子一上午拉了十几回 现在没力气 尿也少",
        "昨晚开始腹泻 到现在泻了二十来次 心慌得厉害 站都站不稳",
        "女儿刚才突然抽了一阵 叫不应 现在好了",
        "他吃着药呢 下午抽搐了一下 过了一会才醒过来",
        "我妈把药瓶里的药全拿出来吞了",
        "奶奶糊涂了 把药盒里一周的药都倒出来吃了",
    ],
)
def test_emergency_signs_said_plainly(sample_gate, text):
    assert _tier(sample_gate, text) == "emergency", text


@pytest.mark.parametrize(
    "text",
    [
        "会不会是得了带状疱疹 腰上一圈疼",
        "我是不是长了湿疹 手上一片片的",
        "化验单上转氨酶偏高 严重吗",
        "体检血糖7.2 需不需要吃药",
        "脸上长的这个是什么东西",
        "膝盖老是响 是风湿吗",
    ],
)
def test_a_diagnosis_asked_in_everyday_frames(sample_gate, text):
    assert _tier(sample_gate, text) == "routine", text


@pytest.mark.parametrize(
    "text", ["用了达克宁后脚上起皮 这是不是副作用啊", "吃完布洛芬有点反酸 算不良反应吗"]
)
def test_a_reaction_asked_to_be_named_a_side_effect(sample_gate, text):
    assert _tier(sample_gate, text) == "priority", text


@pytest.mark.parametrize(
    "text",
    [
        "是不是得饭后吃",
        "是不是得多喝水了",
        "快递盒里有个小袋子 这是啥",
        "你好 这是什么优惠",
        "布洛芬有什么副作用",
        "体检报告出来了 都正常 维C一天吃几片",
        "腿抽筋了 钙尔奇一天几片",
        # a drug said as not taken, or in someone else's story; an allergy heard of
        "邻居说他以前吃华法林吃到牙龈出血 我可不吃华法林 就想问问维C一天几片",
        "我从来没吃过阿莫西林 就问下达喜怎么嚼",
        "网上说有人吃布洛芬过敏进了医院 我想问芬必得一天吃几粒",  # (饭前饭后: label-silent)
        # an ingredient asked about inside a product
        "感冒灵颗粒里头有没有扑热息痛",
        # a grown-up child; the years are the job's, not the pain's
        "帮我儿子问的 他都工作三年了 牙疼 芬必得怎么吃",
    ],
)
def test_near_misses_stay_with_the_agent(sample_gate, text):
    assert _tier(sample_gate, text) is None, text


def test_a_turn_to_the_speaker_leaves_the_childs_medicine_behind(sample_gate):
    history = [
        Turn(role="customer", text="儿子5岁发烧 美林怎么喂"),
        Turn(role="agent", text="请问孩子体重多少？"),
        Turn(role="customer", text="19公斤"),
    ]
    verdict = sample_gate.assess(message="我本人也有点发烧 布洛芬缓释胶囊一次几粒", history=history)
    assert not any(a.kind == "duplicate_ingredient" for a in verdict.alerts)
    assert verdict.triage.child_age_years is None


@pytest.mark.parametrize("answer", ["那一天最多能吃几次", "一周能吃几回", "每天吃两片可以吗"])
def test_a_period_of_dosing_is_not_an_age_answered(sample_gate, answer):
    history = [
        Turn(role="customer", text="必理通一次吃几片"),
        Turn(role="agent", text="成人一次1片。如果是孩子，麻烦告诉我年龄和体重。"),
    ]
    verdict = sample_gate.assess(message=answer, history=history)
    assert verdict.triage.child_age_years is None, answer


@pytest.mark.parametrize("answer,years", [("出生二十天", 20 / 365), ("两周大", 14 / 365)])
def test_days_and_weeks_said_as_an_age_still_answer(sample_gate, answer, years):
    history = [
        Turn(role="customer", text="宝宝有点鼻塞 怎么办"),
        Turn(role="agent", text="请问宝宝多大了？"),
    ]
    verdict = sample_gate.assess(message=answer, history=history)
    assert verdict.triage.child_age_years == pytest.approx(years, abs=0.01), answer


@pytest.mark.parametrize(
    "text",
    [
        "下周体检要查大便潜血 这几天能吃铁剂吗",
        "做便隐血试验前要停维C吗",
        "化验结果没有异常 钙片一天几片",
    ],
)
def test_a_test_named_is_not_a_sign_seen(sample_gate, text):
    assert _tier(sample_gate, text) is None, text


@pytest.mark.parametrize("text", ["大便化验潜血阳性 怎么办", "吃铁剂拉黑便 会不会是胃出血了"])
def test_a_result_or_a_feared_illness_goes_to_the_pharmacist(sample_gate, text):
    assert _tier(sample_gate, text) is not None, text


@pytest.mark.parametrize(
    "conditions,alerted",
    [(["2型糖尿病"], False), (["二型糖尿病"], False), (["1型糖尿病"], True), (["糖尿病"], True)],
)
def test_a_subtype_the_label_names_is_matched_by_type(sample_gate, conditions, alerted):
    """格列美脲's label forbids it in 1型糖尿病 and advises 改用胰岛素 elsewhere: a customer who
    says type 2 is not contraindicated, type 1 is, a type unsaid is read cautiously; and the
    label's advice to use insulin does not name diabetes."""
    from copilot.schemas import CartItem, Profile

    verdict = sample_gate.assess(
        message="格列美脲一天吃几片",
        profile=Profile(conditions=conditions),
        cart=[CartItem(product="glimepiride-tablet")],
    )
    found = [a for a in verdict.alerts if a.kind == "population"]
    assert bool(found) == alerted, [a.effect for a in found]
    assert all("1型糖尿病" in a.effect for a in found)
    assert len(found) <= 1  # one label line, one alert


@pytest.mark.parametrize(
    "text", ["在吃华法林 还没吃布洛芬 能吃吗", "我没吃过布洛芬 在吃华法林 能一起吃吗"]
)
def test_a_drug_not_yet_taken_but_asked_about_is_still_checked(sample_gate, text):
    """Only a drug the customer denies taking while asking about another product is set aside:
    one asked about, or asked with another, keeps its interaction."""
    verdict = sample_gate.assess(message=text)
    assert any(a.kind == "interaction" for a in verdict.alerts), text
