"""Families blind safety 23 left open (phrasings written for these tests, not taken from any set):
chest pain and breathlessness in any wording and in regional speech; petechiae pressed 按着;
intent not to live said as 不打算/不准备; a dose taken twice in any order; doses at listed times
or counted with clock times; one taking by its moment as one dose; and what stays with the agent:
a story from a drama, the customer's own ask vs another adult's own, a dose missed (漏吃), a
product asked for without alcohol, a medicine avoided for an allergy, baby supplies."""

from __future__ import annotations

import pytest
from verdicts import tier, verdict

from copilot.ingest.dialect import mandarin
from copilot.schemas import Profile


@pytest.mark.parametrize(
    "text",
    [
        "我爸下午开始胸部左边一阵阵闷着疼",
        "她说前胸那块针扎似的痛 吸口气都难受",
        "我妈喘得话说不完 躺着都喘",
        "孙女出气呼哧呼哧 肋条一吸气就往里陷",
        "娃娃身上好多小红点 用手按着也不褪 还发烧",
        "我真的不准备活下去了",
        "我阿爸啱啱话条脷好麻 讲嘢唔清楚",
    ],
)
def test_emergencies_said_otherwise(sample_gate, text):
    assert tier(sample_gate, text) == "emergency", text


def test_cantonese_tongue_and_speech_are_read():
    assert mandarin("条脷肿咗 讲嘢唔清楚") == "舌头肿了 说话不清楚"


@pytest.mark.parametrize(
    "text",
    [
        "我胸口不痛 就是咳嗽有痰",
        "以前胸口疼过一阵 早就好了 今天买点维生素",
        "按着说明书吃了三天 烧也没退",
    ],
)
def test_not_chest_pain_or_a_rash_now(sample_gate, text):
    assert tier(sample_gate, text) != "emergency", text


def test_a_sulfonylurea_taken_again_with_sweating(sample_gate):
    text = "格列美脲早饭后已经吃了 刚才以为还没吃就又吃了一片 这会儿一直冒汗"
    assert tier(sample_gate, text) == "emergency"


@pytest.mark.parametrize(
    "text",
    [
        "氯苯那敏早上7点 上午11点 下午3点 晚上7点各吃了一片",  # four a day, label three
        "美林上午九点 十一点 下午一点又各喂了一次 今天一共五次了",
        "必理通早上八点吃了两片",  # one taking of two, label one
    ],
)
def test_doses_at_times_and_takings_by_their_moment(sample_gate, text):
    assert any(a.kind == "overdose" for a in verdict(sample_gate, text).alerts), text


def test_doses_at_times_within_the_label(sample_gate):
    v = verdict(sample_gate, "氯苯那敏早上和晚上各吃一片")
    assert not any(a.kind == "overdose" for a in v.alerts)


def test_a_story_from_a_drama_is_not_happening(sample_gate):
    text = "昨天电视剧里有人一口气吞了一整瓶安眠药 现实里会怎样 我就问问"
    assert tier(sample_gate, text) != "emergency"


def test_another_adults_own_use_with_the_customers_record(sample_gate):
    pregnant = Profile(age_years=30, sex="female", pregnant=True)
    text = "帮我老公买的布洛芬 他腰疼 他自己吃 一天几粒"
    assert tier(sample_gate, text, pregnant) is None


def test_a_dose_missed_is_not_a_dose_taken(sample_gate):
    v = verdict(sample_gate, "开瑞坦昨晚漏吃了 今早补两片行吗")
    assert not any(a.rule_id == "overdose-taken" for a in v.alerts)


def test_a_product_without_alcohol_and_a_medicine_avoided(sample_gate):
    cephalosporin = Profile(current_medicines=["cefuroxime-axetil-tablet"])
    v = verdict(sample_gate, "要那个不含酒精的藿香正气软胶囊", cephalosporin)
    assert not any(a.kind == "interaction" and a.severity == "major" for a in v.alerts)
    v = verdict(sample_gate, "我对青霉素过敏 所以没用阿莫西林 换了阿奇霉素")
    assert not any(a.kind == "allergy" for a in v.alerts)


def test_baby_supplies_are_not_a_childs_medicine(sample_gate):
    assert tier(sample_gate, "两个月的宝宝用的湿巾和纸尿裤你们有吗") is None
