"""A reported suspected adverse reaction, read from the message's structure (a medicine used,
then a change in the body) for any route and without the word 过敏; and what is not one."""

from __future__ import annotations

import pytest

from copilot.safety.adr_rules import load_adr_rules
from copilot.safety.triage import triage


@pytest.mark.parametrize(
    "message",
    [
        "滴了两天眼药水，眼睛越来越红，还有点刺痛",  # eye drops, no 过敏
        "孩子喝了布洛芬混悬液以后吐了两回",  # a child, an oral suspension
        "开始吃依那普利以后老是干咳",  # a known ACE-inhibitor effect, said plainly
        "阿莫西林吃了第二天，手臂上起了好多红点",  # the medicine before the verb
        "涂了红霉素软膏，嘴角那块火辣辣的",  # topical
        "塞了克霉唑阴道片，下面又痒又肿",  # vaginal
        "身上好多小红疙瘩，是不是吃阿莫西林引起的",  # the customer asks whether the drug did it
    ],
)
def test_a_use_then_a_change_is_a_reported_reaction(sample_gate, message):
    t = triage(sample_gate.sk, message)
    assert t.reaction, message
    assert any(f.id == "suspected_adverse_reaction" for f in t.red_flags), message


@pytest.mark.parametrize(
    "message",
    [
        "氯雷他定吃了会犯困吗",  # a question about an effect
        "吃了三天感冒灵还是不好，鼻塞头疼",  # the illness goes on
        "去年吃头孢起过一次疹子，早好了，想问下怎么改地址",  # history, not a report
        "吃了布洛芬以后头不疼了",  # the drug worked
        "吃了感冒灵没有头晕，就是还有点鼻塞",  # negated
        "布洛芬吃完能开车吗",  # no change at all
    ],
)
def test_questions_history_and_the_illness_are_not_reactions(sample_gate, message):
    t = triage(sample_gate.sk, message)
    assert t.reaction is None, (message, t.reaction)


def test_a_mild_effect_its_label_lists_is_recorded_but_not_escalated(sample_gate):
    # drowsiness after a sedating antihistamine: answered from the label, still a reaction
    t = triage(sample_gate.sk, "扑尔敏吃了犯困")
    assert t.reaction and not any(f.id == "suspected_adverse_reaction" for f in t.red_flags)


def test_the_adr_mark_reads_the_reaction_and_serious_flags_with_a_drug(sample_copilot):
    rules = load_adr_rules(sample_copilot.settings.knowledge.dir / "rules" / "adr.yaml")

    def marked(message, **kw):
        return rules.suspects(sample_copilot.assess(message=message, **kw))

    assert marked("滴了两天眼药水，眼睛越来越红，还有点刺痛")
    assert marked("吃了芬必得以后大便是黑的")  # gi bleeding with a drug named
    assert not marked("感冒灵有什么副作用")
    assert not marked("过敏性鼻炎犯了能吃什么药")
    # poisoning is not an adverse reaction at the normal dose: no report prompt (still an
    # emergency for the safety layer)
    assert not marked("两岁的娃把外婆的降压药抠出来吃了三片 现在有点蔫")
    assert not marked("一下子吃了十几片扑热息痛 现在恶心想吐")


class _EmergencyNet:
    """A semantic net that always finds an emergency look-alike (a fake, no model)."""

    def fire(self, message, populations=None, drug_classes=None):
        from copilot.schemas import FiredRule

        return FiredRule(
            id="semantic-gi-bleeding",
            tier="emergency",
            topic="消化道出血",
            reason="与示例相似",
            template="holding_emergency",
        )


def test_a_semantic_emergency_on_a_question_before_use_is_priority(sample_gate):
    from dataclasses import replace

    gate = replace(sample_gate, net=_EmergencyNet())
    asked = gate.assess(message="听人说吃铁剂拉的大便会变黑，我还没开始吃，要紧吗")
    assert asked.escalation.tier == "priority"  # still a pharmacist, but no 120 script
    happened = gate.assess(message="吃了铁剂以后拉黑便，人发晕")
    assert happened.escalation.tier == "emergency"


def test_scratching_reads_as_itch(sample_gate):
    t = triage(sample_gate.sk, "涂了那个药膏以后孩子老是挠")
    assert t.reaction
