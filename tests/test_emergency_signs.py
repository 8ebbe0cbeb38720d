"""Emergency sign families FACTS.md lists, in everyday words (phrasings written for these tests,
not taken from any eval set): altered consciousness said by what the person no longer does,
severe dehydration by its signs, bleeding or strong belly pain in pregnancy (with the pregnancy
from the message, the history or the record)."""

from __future__ import annotations

import pytest

from copilot.schemas import Profile, Turn

EMERGENCIES = [
    "我爸今天早上起来连我都不认识了",
    "外婆吃完药后说话颠三倒四的",
    "老人家这两天反应特别迟钝 叫名字要好一会儿才应",
    "宝宝拉了一天 囟门都塌下去了",
    "孩子吐了一晚上 十几个小时没尿尿",
    "吃啥吐啥 一天了 嘴唇干得起皮 人也蔫了",
    "怀孕五个月 刚才破水了",
    "孕28周 小腹坠痛得厉害",
]
ORDINARY = [
    "这个药起效快不快 反应大吗",
    "奶奶最近不太认得路 有什么补脑的保健品",
    "怀孕了 刷牙出血正常吗 用什么牙膏",
    "眼睛干涩 能用什么眼药水",
]


@pytest.mark.parametrize("text", EMERGENCIES)
def test_emergency_signs(sample_gate, text):
    verdict = sample_gate.assess(message=text)
    assert verdict.escalation is not None and verdict.escalation.tier == "emergency", text


@pytest.mark.parametrize("text", ORDINARY)
def test_not_emergencies(sample_gate, text):
    verdict = sample_gate.assess(message=text)
    assert verdict.escalation is None or verdict.escalation.tier != "emergency", text


def test_pregnancy_from_the_record_or_history_with_bleeding_now(sample_gate):
    record = Profile(pregnant=True)
    assert sample_gate.assess(message="今天下面有点见血", profile=record).escalation.tier == (
        "emergency"
    )
    history = [Turn(role="customer", text="我怀孕十周了")]
    assert sample_gate.assess(message="刚发现出血了 怎么办", history=history).escalation.tier == (
        "emergency"
    )


def test_doses_taken_today_are_counted_across_turns(sample_gate):
    """Taken again now after doses earlier turns said were taken today: all of it together
    (phrasings written for the test)."""
    history = [
        Turn(role="customer", text="早上发烧吃了两片必理通"),
        Turn(role="agent", text="好的，请多喝水。"),
        Turn(role="customer", text="中午还烧 又吃了一片"),
    ]
    verdict = sample_gate.assess(message="刚才又吃了两片 还是不退", history=history)
    assert any(a.kind == "overdose" for a in verdict.alerts)
    assert verdict.escalation is not None and verdict.escalation.tier == "emergency"
    # doses of another day are not today's, and today's stay within the label
    yesterday = [Turn(role="customer", text="昨天吃了三片必理通")]
    calm = sample_gate.assess(message="今天早上又吃了一片 还能吃吗", history=yesterday)
    assert not any(a.kind == "overdose" for a in calm.alerts)


@pytest.mark.parametrize(
    "text",
    [
        "用了那个药膏以后身上起了一身大包 腿发软站不稳",  # hives said as lumps, with faintness
        "老爸把半个月的药一下子吞了",  # days of medicine at once
        "奶奶把三天的安眠药当一顿的吃了",
    ],
)
def test_hives_as_lumps_and_days_of_medicine_at_once(sample_gate, text):
    assert sample_gate.assess(message=text).escalation.tier == "emergency", text


@pytest.mark.parametrize("text", ["被蚊子咬了起了好多包 痒得很", "一个礼拜的药量 分几天吃完"])
def test_ordinary_lumps_and_supplies(sample_gate, text):
    verdict = sample_gate.assess(message=text)
    assert verdict.escalation is None or verdict.escalation.tier != "emergency", text
