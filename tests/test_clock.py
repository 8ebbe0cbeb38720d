"""A time of day the customer gives, and the policy windows that hold it."""

import pytest

from copilot.drafting.clock import said_hour, window_contains


@pytest.mark.parametrize(
    ("text", "hour"),
    [
        ("晚上11点上传的", 23),
        ("夜里十点半下的单", 22.5),
        ("下午五点付的款", 17),
        ("中午1点", 13),
        ("凌晨两点", 2),
        ("早上9:30", 9.5),
        ("3点下的单", None),  # morning or afternoon: not guessed
        ("一次3片", None),
    ],
)
def test_said_hour(text, hour):
    assert said_hour(text) == hour


@pytest.mark.parametrize(
    ("unit", "hour", "held"),
    [
        ("每日8:00–22:00提交的处方，30分钟内完成审核", 23, False),
        ("每日8:00–22:00提交的处方，30分钟内完成审核", 15, True),
        ("22:00以后提交的，次日10:00前完成审核", 23, True),
        ("22:00以后提交的，次日10:00前完成审核", 1, True),
        ("22:00至次日8:00由值班执业药师负责", 2, True),
        ("常温订单在16:00前付款的当日发货", 17, False),
        ("药品一经售出不予退换", 17, None),
    ],
)
def test_window_contains(unit, hour, held):
    assert window_contains(unit, hour) is held


def test_a_unit_with_both_sides_of_a_time_holds_every_hour():
    unit = "常温订单在16:00前付款的当日发货，16:00后付款的次日发货"
    assert window_contains(unit, 15) and window_contains(unit, 17)
