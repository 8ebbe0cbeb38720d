"""The course of a complaint (safety/course.py): a complaint that keeps coming back or has gone
on past a week is a pharmacist's case (routine), read from the structure of what is said, not
from listed sentences; a rate of doses, a long-term medicine without a complaint, or a complaint
that is over is not."""

from __future__ import annotations

import pytest

from copilot.ingest.lexicon import normalize
from copilot.safety.course import long_course, recurring
from copilot.safety.durations import symptom_days

RECURRING = [
    "口腔溃疡一个月要长两三回",
    "最近偏头痛每个礼拜都要犯一两次",
    "腰疼三天两头的",
    "胃时不时就胀 吃点东西就顶着",
    "荨麻疹一停药马上又冒出来",
    "氯雷他定不吃了就痒",
    "今年嗓子发炎第四回了",
    "这个月又拉了三次肚子",
]
NOT_RECURRING = [
    "布洛芬一天吃几次",
    "一天吃三次 一次两片对吗",
    "以前老犯 现在好了 想问问怎么存放",
    "每次吃几粒",
    "一周喷几次鼻喷剂",
]


@pytest.mark.parametrize("text", RECURRING)
def test_recurring(text):
    assert recurring(normalize(text))


@pytest.mark.parametrize("text", NOT_RECURRING)
def test_not_recurring(text):
    assert recurring(normalize(text)) is None


@pytest.mark.parametrize(
    "text, at_least",
    [
        ("手上起的小红疹子 快两个礼拜了还没下去", 14),
        ("失眠好几年了", 365),
        ("鼻炎这两年一直犯", 365),
        ("嗓子干痒小半个月了", 14),
    ],
)
def test_long_courses(text, at_least):
    days = symptom_days(normalize(text))
    assert days is not None and days >= at_least
    assert long_course(normalize(text), days)


@pytest.mark.parametrize(
    "text",
    ["维生素D吃了一个月了 还要接着吃吗", "降压药吃了三年了 能换成晚上吃吗", "牙疼了两天"],
)
def test_not_long_courses(text):
    assert not long_course(normalize(text), symptom_days(normalize(text)))


def test_rates_and_grades_are_not_durations():
    assert symptom_days(normalize("反酸一周好几回")) is None
    assert symptom_days(normalize("孩子上三年级了")) is None


@pytest.mark.parametrize(
    "text", ["蒙脱石散一天几包 分几次喝", "一周用几回", "一个月能打几次", "每天贴几片"]
)
def test_a_schedule_asked_about_is_not_a_recurrence(text):
    assert recurring(normalize(text)) is None
