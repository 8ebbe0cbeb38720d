"""Policy answers for problems the customer reports and questions the rule governs, and dose
answers with the day's most the label allows (phrasings written for these tests): a return
asked with the permission word farther from the verb, a quality problem described (碎了, 发潮,
离过期没几个月) answered from the quality rule with what to do next, a wrong item named by the
section's own words (寄错了), staff-only lines never quoted."""

from __future__ import annotations

import re

import pytest


def _text(copilot, message):
    s = copilot.suggest(message=message)
    assert s.kind == "draft", (message, s.kind, s.text)
    return s.text


def test_a_return_asked_far_from_the_permission_word_gets_the_rule_first(sample_copilot):
    text = _text(sample_copilot, "没拆过的开瑞坦 可以按七天无理由给我退掉吗")
    first = text.splitlines()[1]
    assert "不予退换" in first, text


@pytest.mark.parametrize(
    "message",
    ["刚收到的钙片一瓶都受潮粘在一起了 怎么处理", "寄来的药离过期没几个月了 当时也没提醒我"],
)
def test_a_quality_problem_gets_the_quality_rule_and_what_to_do(sample_copilot, message):
    text = _text(sample_copilot, message)
    assert "质量问题" in text, text
    assert re.search(r"7日内|照片|运费", text), text


def test_a_wrong_item_gets_its_sections_rule_and_what_to_do(sample_copilot):
    text = _text(sample_copilot, "下单的是开瑞坦 寄错了 来的是西替利嗪")
    assert "48小时" in text and "照片" in text, text


@pytest.mark.parametrize("message", ["处方药能不能用满减券", "投诉了还没人理我"])
def test_staff_only_lines_are_never_quoted(sample_copilot, message):
    text = _text(sample_copilot, message)
    assert not re.search(r"客服不得|与客户|客户咨询|主管每月|抽查", text), text


@pytest.mark.parametrize(
    ("message", "most"),
    [("盐酸小檗碱片大人一次吃几片", "不超过9片"), ("复方氨酚烷胺片一次几片", "不超过2片")],
)
def test_a_dose_answer_carries_the_days_most(sample_copilot, message, most):
    assert most in _text(sample_copilot, message)
