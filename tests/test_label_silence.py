"""Usage questions the label does not answer go to the pharmacist (routine); those it answers stay
with the agent (phrasings written for these tests). The asked act decides what answers it:
dissolving is not answered by 嚼碎后咽下, milk not by 不应与浓茶同服, an interval only by hours."""

from __future__ import annotations

import pytest
from verdicts import reasons


@pytest.mark.parametrize(
    "text",
    [
        "氯雷他定片白天吃还是睡前吃效果好",
        "达喜能不能化水里喝",  # the label says chew, not dissolve
        "氯苯那敏能掰开吃半片吗",
        "开瑞坦可以用牛奶送服吗",
        "芬必得饭前吃还是饭后吃",  # the label says nothing of food
        "芬必得中午那粒漏吃了 晚上要不要补上",  # nor of a missed dose
        "蒙脱石散跟培菲康要间隔几个小时",  # the labels say apart, not how long
    ],
)
def test_usage_the_label_does_not_answer_is_routine(sample_gate, text):
    assert "usage-not-on-label" in reasons(sample_gate, text), text


@pytest.mark.parametrize(
    "text",
    [
        "盐酸氨溴索片饭后吃吗",  # the label says 饭后
        "达喜要嚼碎吗",  # the label says chew
        "钙尔奇随餐吃还是饭后吃",
        "布洛芬一次吃几粒 隔多久再吃",  # one product's dosing interval: a dose question
        "芬必得胶囊能掰开吃吗",  # 整粒吞服，不得打开胶囊
        "培菲康可以拿热水冲吗",  # 不要用热水送服
        "钙尔奇什么时候吃比较好",  # 可随餐或饭后服用: a meal is a time
    ],
)
def test_usage_the_label_answers_stays_with_the_agent(sample_gate, text):
    assert "usage-not-on-label" not in reasons(sample_gate, text), text


def test_a_dose_line_for_children_under_an_age_is_a_dose_from_birth(sample_gate):
    # 12岁以下儿童：一日1片 writes a dose for a 9-year-old
    assert "child-dose-not-on-label" not in reasons(sample_gate, "孩子9岁 多维元素片一天吃几片")
