"""The semantic safety net only adds caution: nearest example at or above the threshold raises
the tier; an ordinary nearest example, or a weak match, changes nothing."""

from __future__ import annotations

import dataclasses

import pytest
from fakes import BagOfCharsEmbedder

from copilot.safety.semantic_net import ExemplarFile, SemanticNet

EXEMPLARS = ExemplarFile.model_validate(
    {
        "thresholds": {"bag-of-chars": 0.8},
        "reasons": [
            {
                "id": "gi-bleeding",
                "tier": "emergency",
                "topic": "消化道出血",
                "examples": ["黑便柏油"],
            },
            {"id": "ordinary", "tier": None, "topic": "普通", "examples": ["一天几次几片"]},
        ],
    }
)


def net(tmp_path=None):
    return SemanticNet(EXEMPLARS, BagOfCharsEmbedder("黑便柏油一天几次片"), cache_dir=tmp_path)


def test_a_near_example_fires_with_its_tier_and_says_why(tmp_path):
    rule = net(tmp_path).fire("拉的是黑便 像柏油")
    assert rule is not None and rule.tier == "emergency" and "黑便柏油" in rule.reason
    assert list(tmp_path.glob("exemplars-*.npy"))  # vectors kept for the next process


def test_ordinary_or_far_messages_do_not_fire():
    assert net().fire("一天几次 一次几片") is None
    assert net().fire("发票怎么开") is None


def test_an_embedder_without_a_threshold_leaves_the_net_off():
    other = BagOfCharsEmbedder("黑便")
    other.identity = "another-model"
    off = SemanticNet(EXEMPLARS, other)
    assert not off.active and off.fire("黑便柏油") is None


def test_the_gate_only_raises_the_tier(sample_gate):
    gate = dataclasses.replace(sample_gate, net=net())
    assert gate.assess(message="我爸拉黑便 像柏油").escalation.tier == "emergency"
    plain = gate.assess(message="开瑞坦一天几次几片")
    assert plain.decision == sample_gate.assess(message="开瑞坦一天几次几片").decision


def test_a_reason_defined_by_who_needs_that_person_for_its_tier():
    exemplars = ExemplarFile.model_validate(
        {
            "thresholds": {"bag-of-chars": 0.8},
            "reasons": [
                {
                    "id": "infant-fever",
                    "tier": "emergency",
                    "topic": "小婴儿发热",
                    "examples": ["宝宝发烧"],
                    "needs_population": ["infant"],
                }
            ],
        }
    )
    infant_net = SemanticNet(exemplars, BagOfCharsEmbedder("宝发烧"))
    assert infant_net.fire("宝宝发烧了", {"infant", "child"}).tier == "emergency"
    capped = infant_net.fire("宝宝发烧了", {"child"})  # an older child, or age unknown
    assert capped.tier == "priority" and capped.template == "holding_priority"


def test_questions_about_how_long_a_product_may_be_used_are_not_reports():
    from copilot.safety.tense import said_to_happen

    for asked in (
        "牙疼吃芬必得最多吃几天",
        "鼻喷剂能一直用吗 最长能用多久",
        "这个药膏可以长期抹吗",
    ):
        assert said_to_happen(asked).strip() == "", asked
    kept = said_to_happen("咳了一个月了 止咳糖浆能一直喝吗")
    assert "咳了一个月了" in kept


def test_a_reason_defined_by_a_sign_needs_the_sign_told_for_its_tier():
    exemplars = ExemplarFile.model_validate(
        {
            "thresholds": {"bag-of-chars": 0.5},
            "reasons": [
                {
                    "id": "asthma-unrelieved",
                    "tier": "emergency",
                    "topic": "哮喘急性发作",
                    "examples": ["孩子喘 喷了没用"],
                    "needs_words": "喘|呼吸|憋",
                }
            ],
        }
    )
    sign_net = SemanticNet(exemplars, BagOfCharsEmbedder("孩子喘喷了没用"))
    assert sign_net.fire("孩子喘得厉害 喷了也没用").tier == "emergency"
    near_in_words = sign_net.fire("孩子也能这么喷吗 喷了有没有用")  # no breathing told
    assert near_in_words is not None and near_in_words.tier == "priority"
    with pytest.raises(ValueError):
        ExemplarFile.model_validate(
            {
                "reasons": [
                    {
                        "id": "x",
                        "tier": "emergency",
                        "topic": "t",
                        "examples": ["a"],
                        "needs_words": "(喘",
                    }
                ]
            }
        )
