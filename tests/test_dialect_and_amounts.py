"""Families blind safety 21 left open (phrasings written for these tests, not taken from any set):
written Cantonese of taking, the body and time (食紧, 屙, 黑麻麻, 琴日, 心口痛, 透唔到气); a day's
amount said with no verb (一天三片) and a dose said by its meal (饭前两片, 每顿); a dose taken again
said without 了 (又吃一粒); no improvement said as 没轻 / 没缓解 / 不见消; and what is not pressing a
rash (压根, 按时, 按照说明书)."""

from __future__ import annotations

import pytest
from verdicts import tier, verdict

from copilot.ingest.dialect import mandarin


@pytest.mark.parametrize(
    ("said", "read"),
    [
        ("我老豆食紧华法林", "我爸爸在吃华法林"),
        ("佢食两粒得唔得", "他吃两粒行不行"),
        ("琴日开始心口痛", "昨天开始胸口痛"),
        ("食唔落饭", "吃不下饭"),
        # Mandarin words with 食 or 吃开 stay as they are
        ("零食多吃点", "零食多吃点"),
        ("消食片饭后吃", "消食片饭后吃"),
        ("我在吃开塞露", "我在吃开塞露"),
    ],
)
def test_written_cantonese_is_read_as_mandarin(said, read):
    assert mandarin(said) == read


@pytest.mark.parametrize(
    "text",
    [
        "我阿妈食开华法林 琴日开始屙出嚟嘅嘢黑麻麻",
        "老豆心口痛 透唔到气 出晒汗",
        "个女晕低咗 叫极唔醒",
    ],
)
def test_cantonese_emergencies(sample_gate, text):
    assert tier(sample_gate, text) == "emergency", text


@pytest.mark.parametrize(
    "text",
    [
        "扑热息痛我一天六片",  # a day's amount, no verb (label: at most 4 a day)
        "开瑞坦每天三片可以吧",
        "吗丁啉每顿吃三片",  # a dose said by its meal
        "吗丁啉饭后两片 一日三顿",
        # taken again, said without 了: five in a day
        "必理通上午吃了一片 过一个钟头又吃一片 中午又吃了一片 下午又吃一片 晚上又吃一片",
    ],
)
def test_amounts_said_otherwise_are_checked_against_the_label(sample_gate, text):
    assert [a for a in verdict(sample_gate, text).alerts if a.kind == "overdose"], text


@pytest.mark.parametrize(
    "text",
    [
        "钙尔奇一天两次每次一片",  # a count of times before the dose is not a day's amount
        "开瑞坦一天一片",
        "吗丁啉饭前一片 一日三次",
        "必理通上午吃了一片 下午又吃一片",
    ],
)
def test_amounts_within_the_label_raise_nothing(sample_gate, text):
    assert not [a for a in verdict(sample_gate, text).alerts if a.kind == "overdose"], text


@pytest.mark.parametrize(
    "text",
    [
        "涂了三天达克宁 痒一点没见轻",
        "咳嗽药吃了一周 完全没缓解",
        "口腔溃疡贴了五天 压根不见消",
    ],
)
def test_no_improvement_in_other_words_is_routine(sample_gate, text):
    assert tier(sample_gate, text) == "routine", text


@pytest.mark.parametrize(
    "text",
    [
        "按照说明书吃了两天 烧也没退",
        "退烧药喝了 烧压根没退",
        "降压药按时吃 血压也没降",
    ],
)
def test_as_directed_or_at_all_is_not_a_rash_pressed(sample_gate, text):
    assert tier(sample_gate, text) != "emergency", text


def test_a_rash_pressed_that_does_not_fade_stays_an_emergency(sample_gate):
    assert tier(sample_gate, "孩子发烧 腿上的红点用手指压了也不褪") == "emergency"
