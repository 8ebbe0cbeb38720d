"""Families blind safety 22 left open (phrasings written for these tests, not taken from any set):
who the patient is (a grown child told by school or work, a pet name for a small child, another
adult's complaint after a greeting, the customer asking for themself after another person's
medicine, weaning after breastfeeding); suicidal intent told by someone close; chest pain with an
intensifier; an ingredient named without its salt; medicines counted in words for the elderly;
a child's dose the label does not write; figures of a test asked to be read; the label said not
to answer; and what stays with the agent: an ordered product's delivery, a medicine named only to
be told apart, vomiting after a dose asked against the label, an episode told as over, a device
for a child, puffs counted as 下."""

from __future__ import annotations

import pytest
from verdicts import reasons, tier, verdict

from copilot.retrieval.linking import unsalted
from copilot.schemas import CartItem, Profile, Turn


@pytest.mark.parametrize(
    "text",
    [
        "帮外孙问的 他现在读研 胃疼 奥美拉唑吃几粒",  # a grown grandchild, by school
        "儿子的 他早工作了 头疼 对乙酰氨基酚吃几片",
    ],
)
def test_a_grown_child_told_by_school_or_work_is_an_adult(sample_gate, text):
    assert not {"young-child", "child-painkiller-cough"} & reasons(sample_gate, text), text


def test_a_pet_name_for_a_small_child_is_a_child(sample_gate):
    assert tier(sample_gate, "三宝刚才把奶奶的降压药吃了一片") == "emergency"


@pytest.mark.parametrize(
    "text",
    [
        "我闺女前天晚上说她觉得自己是多余的 还说想从窗户跳下去",
        "我老伴这几天老说活着就是个累赘",
    ],
)
def test_intent_told_by_someone_close_is_an_emergency(sample_gate, text):
    assert tier(sample_gate, text) == "emergency", text


def test_a_story_from_the_news_is_not(sample_gate):
    assert tier(sample_gate, "刚看电视里说有个人想从楼上跳下去 太吓人了") != "emergency"


@pytest.mark.parametrize("text", ["我爸心口特别痛 一身的汗", "她胸口很痛 脸色发白"])
def test_chest_pain_with_an_intensifier(sample_gate, text):
    assert tier(sample_gate, text) == "emergency", text


def test_an_ingredient_without_its_salt_names_the_product(sample_gate):
    assert unsalted("盐酸舍曲林") == "舍曲林" and unsalted("碳酸钙") == "碳酸钙"
    assert "rx-before-review" in reasons(sample_gate, "舍曲林能直接买吗 没处方")


@pytest.mark.parametrize(
    "text",
    [
        "八十二了 血压血糖都高 一天得吃五六样药 想问钙片能加吗",
        "我妈78岁 每天一大把药 最近睡不好",
    ],
)
def test_medicines_counted_in_words_for_the_elderly(sample_gate, text):
    assert "elderly-polypharmacy" in reasons(sample_gate, text), text


@pytest.mark.parametrize(
    "text",
    ["孩子十岁 六味地黄丸一次吃几丸", "闺女九岁了 小柴胡颗粒喝几袋"],
)
def test_a_childs_dose_the_label_does_not_write_is_routine(sample_gate, text):
    assert "child-dose-not-on-label" in reasons(sample_gate, text), text


@pytest.mark.parametrize(
    "text",
    ["孩子十岁 开瑞坦一次吃几片", "我儿子25了 小柴胡颗粒喝几袋", "孩子十岁 六味地黄丸放冰箱吗"],
)
def test_a_childs_dose_the_label_writes_or_no_dose_asked(sample_gate, text):
    assert "child-dose-not-on-label" not in reasons(sample_gate, text), text


@pytest.mark.parametrize(
    "text",
    [
        "化验单上血脂六点多 用不用吃药",
        "血压一百六 需要吃药吗",
        "说明书里也没说饭前还是饭后",
        "到底是吃坏了还是着凉导致的",
    ],
)
def test_readings_diagnoses_and_silent_labels_are_routine(sample_gate, text):
    assert tier(sample_gate, text) == "routine", text


def test_another_adults_complaint_after_a_greeting(sample_gate):
    pregnant = Profile(age_years=29, sex="female", pregnant=True)
    text = "好的谢谢 那我婆婆她也感冒了 感冒灵一天几袋"
    assert "pregnancy-lactation" not in reasons(sample_gate, text, profile=pregnant)
    # asking for themself, the record holds
    mine = "我婆婆让我问问 感冒灵我能喝吗"
    assert "pregnancy-lactation" in reasons(sample_gate, mine, profile=pregnant)


def test_weaning_ends_breastfeeding_said_earlier(sample_gate):
    history = [
        Turn(role="customer", text="我还在喂奶"),
        Turn(role="agent", text="宝宝多大了？"),
        Turn(role="customer", text="哦不对 早就断奶了 一岁半了"),
    ]
    text = "那我自己鼻塞 氯雷他定能吃吗"
    assert "pregnancy-lactation" not in reasons(sample_gate, text, history=history)


def test_another_persons_medicine_of_an_earlier_turn_is_theirs(sample_gate):
    history = [Turn(role="customer", text="替我爸问下 他一直在吃华法林")]
    v = verdict(sample_gate, "这回是我自己腰疼 芬必得吃一粒", history=history)
    assert not any(a.kind == "interaction" for a in v.alerts)


def test_an_ordered_products_delivery_is_a_service_question(sample_copilot):
    pregnant = Profile(age_years=31, sex="female", pregnant=True)
    cart = [CartItem(product="vitamin-c-tablet")]
    s = sample_copilot.suggest(
        message="维生素C片的包裹到哪了 好几天没动", profile=pregnant, cart=cart
    )
    assert s.verdict.escalation is None
    s = sample_copilot.suggest(message="阿托伐他汀那单处方审过了 想开个发票")
    assert s.verdict.escalation is None


def test_a_medicine_named_only_to_be_told_apart(sample_gate):
    allergic = Profile(allergies=["青霉素"])
    text = "我要买的是炉甘石洗剂 跟阿莫西林没关系吧"
    assert tier(sample_gate, text, profile=allergic) is None
    # an interaction asked stays a question about both
    assert tier(sample_gate, "华法林跟阿司匹林有冲突吗") is not None


def test_vomiting_after_a_dose_asked_against_the_label(sample_gate):
    assert tier(sample_gate, "毓婷吃下去半小时吐了 说明书咋写的") is None


def test_an_episode_told_as_over(sample_gate):
    text = "前年咳嗽咳了一个多月 后来好了 这回刚咳两天 买点止咳的"
    assert "cough-over-3-weeks" not in reasons(sample_gate, text)


def test_a_device_for_a_small_child(sample_gate):
    assert tier(sample_gate, "给一岁的宝宝买个额温枪 哪款好") is None
    assert tier(sample_gate, "一岁的宝宝 额温枪和美林一起买 美林喂多少") == "priority"


def test_puffs_counted_as_xia(sample_gate):
    v = verdict(sample_gate, "沙丁胺醇气雾剂今天喷了十几下了")
    assert any(a.kind == "overdose" for a in v.alerts)


@pytest.mark.parametrize(
    "text", ["把家里的泰诺林和美林全倒出来喝了", "她一股脑儿把开瑞坦都吃了 现在犯迷糊"]
)
def test_named_products_poured_out_and_taken(sample_gate, text):
    assert tier(sample_gate, text) == "emergency", text


def test_both_products_taken_as_usual_is_not_poured_out(sample_gate):
    assert tier(sample_gate, "开瑞坦和维生素C我都吃了 能一起吃吗") != "emergency"
