"""A message that only thanks, acknowledges or says what the customer will do next asks
nothing: earlier turns are not re-read into it (an answered case does not reopen on a thank-you)
and the reply is a courteous close. Anything more in the message makes it an ordinary one."""

from __future__ import annotations

import pytest

from copilot.ingest.lexicon import normalize
from copilot.safety.closing import is_closing
from copilot.schemas import Turn

CLOSINGS = [
    "好的谢谢药师",
    "知道了",
    "好的 那我不吃了",
    "谢谢 那我去医院看看",
    "嗯嗯好的",
    "OK 收到",
    "好的，辛苦了！",
    "明白了 谢谢您",
    "行吧 那我先观察一下",
    "好 我去挂个号",
    "晓得了 多谢",
    "好嘞 拜拜",
]
NOT_CLOSINGS = [
    "好的 那布洛芬呢",
    "谢谢 不过我已经吃了两包了",
    "好的 孩子现在抽搐了",
    "知道了 38度5",
    "谢谢 能便宜点吗",
    "好的我再吃一片",
    "好的谢谢 还是头疼",
    "可以吃吗",
    "好 那我吃两片",
    "收到 那孕妇能用吗",
    "谢谢，顺便问下发货了没",
]


@pytest.mark.parametrize("text", CLOSINGS)
def test_closings(text):
    assert is_closing(normalize(text))


@pytest.mark.parametrize("text", NOT_CLOSINGS)
def test_messages_that_say_more(text):
    assert not is_closing(normalize(text))


HISTORY = [
    Turn(role="customer", text="我怀孕五个月了 能吃感冒灵吗"),
    Turn(role="agent", text="您好，您的问题已转给执业药师，请稍候。"),
    Turn(role="pharmacist", text="孕期请勿自行服用感冒灵颗粒，建议咨询产科医生。"),
]


def test_a_thank_you_after_the_answer_gets_a_close_not_a_new_case(sample_copilot):
    s = sample_copilot.suggest(message="好的谢谢药师", history=HISTORY)
    assert s.verdict.escalation is None
    assert s.kind == "draft" and "不客气" in s.text and not s.citations
    # a follow-up question in the same conversation still carries the pregnancy
    again = sample_copilot.suggest(message="好的 那布洛芬呢", history=HISTORY)
    assert again.verdict.escalation is not None
    # and the message's own red flags are read as always
    flagged = sample_copilot.suggest(message="好的谢谢 不过我现在胸口疼得厉害", history=HISTORY)
    assert flagged.verdict.escalation is not None


def test_a_close_is_marked_as_stating_no_fact(sample_copilot):
    close = sample_copilot.suggest(message="明白了 谢谢您")
    assert close.kind == "draft" and close.grounded is False
    answer = sample_copilot.suggest(message="布洛芬缓释胶囊一次吃几粒")
    assert answer.grounded is True
