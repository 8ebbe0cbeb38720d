"""Each product is named once in an alert: the product's name (brand with generic name, each
once) is the alert's `drugs`, and the effect and source do not say it again."""

from __future__ import annotations

import pytest
from test_medcheck import alerts

from copilot.schemas import Profile, two_names


@pytest.mark.parametrize(
    ("first", "second", "shown"),
    [
        ("芬必得", "布洛芬缓释胶囊", "芬必得（布洛芬缓释胶囊）"),
        ("布洛芬", "布洛芬", "布洛芬"),
        ("", "布洛芬缓释胶囊", "布洛芬缓释胶囊"),
        ("芬必得布洛芬缓释胶囊", "布洛芬缓释胶囊", "芬必得布洛芬缓释胶囊"),
        ("布洛芬", "布洛芬缓释胶囊", "布洛芬缓释胶囊"),
        ("布洛芬缓释胶囊", None, "布洛芬缓释胶囊"),
    ],
    ids=["brand-and-generic", "the-same", "no-brand", "brand-holds-generic", "short-brand", "none"],
)
def test_two_names(first, second, shown):
    assert two_names(first, second) == shown


@pytest.mark.parametrize(
    ("message", "profile", "cart"),
    [
        ("我对布洛芬过敏，能吃芬必得吗", Profile(), ()),
        ("孩子3岁 刚才吃了15ml美林", Profile(), ()),
        ("怀孕了能吃布洛芬吗", Profile(), ()),
        ("芬必得一次吃3粒可以吗", Profile(), ()),
        ("我吃了感康 还能吃泰诺吗", Profile(), ()),
        ("能吃开瑞坦吗", Profile(do_not_use=["开瑞坦"]), ()),
        ("哺乳期可以吃氯雷他定吗", Profile(), ()),
    ],
    ids=[
        "allergy",
        "child-overdose",
        "pregnancy",
        "dose",
        "duplicate+never-online",
        "do-not-use",
        "lactation",
    ],
)
def test_no_alert_names_a_product_twice(sample_gate, message, profile, cart):
    found = alerts(sample_gate, message, profile, cart)
    assert found, message
    for a in found:
        shown = f"{'、'.join(a.drugs)}：{a.effect}"  # as the console and the case page show it
        for name in a.drugs:
            assert shown.count(name) == 1, shown
            assert name not in a.source, a.source
            assert f"{name}（{name}）" not in shown
