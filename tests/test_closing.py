"""A message that only thanks, acknowledges or says what the customer will do next asks
nothing: earlier turns are not re-read into it (an answered case does not reopen on a thank-you)
and the reply is a courteous close. Anything more in the message makes it an ordinary one."""

from __future__ import annotations

import pytest

from copilot.ingest.lexicon import normalize
from copilot.safety.closing import is_closing, is_status_report
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


# A status report tells where things stand and asks for nothing new: care sought, better,
# stopped, a detail of the pack for the record.
REPORTS = [
    "已经到医院了",
    "好的 我们在急诊了 医生在看",
    "孩子已经在儿童医院了",
    "打了120 救护车到了",
    "我爸已经住院了",
    "医生说问题不大 洗过胃了",
    "谢谢 宝宝退烧了",
    "好多了 谢谢药师",
    "我停药了 疹子也消了",
    "药盒上的批号是B2308112",
    "有效期到2027年3月",
    "收到 现在不痒了",
]
NOT_REPORTS = [
    "到医院了 孩子又吐了两次 怎么办",
    "孩子已经到医院了 还在昏睡",
    "批号是多少",
    "退了 还要吃吗",
    "孩子洗胃了吗",
    "要去医院吗",
    "好多了 那还要继续吃几天",
    "停药了 但是嘴唇还是肿",
    "医生说要住院 能吃布洛芬吗",
    "好的谢谢",  # a closing, not a report
]


@pytest.mark.parametrize("text", REPORTS)
def test_status_reports(text):
    assert is_status_report(normalize(text))


@pytest.mark.parametrize("text", NOT_REPORTS)
def test_messages_that_are_not_only_a_report(text):
    assert not is_status_report(normalize(text))


EMERGENCY = [
    Turn(role="customer", text="孩子把一整板布洛芬都吃了 现在有点想睡"),
    Turn(role="agent", text="您好，这种情况需要立即处理，执业药师马上联系您。"),
    Turn(role="pharmacist", text="请立即拨打120或带孩子去最近医院急诊，带上药盒。"),
]


def test_a_report_after_the_advice_is_acknowledged_and_reads_no_earlier_turn(sample_copilot):
    s = sample_copilot.suggest(message="好的 已经到医院了", history=EMERGENCY)
    assert s.verdict.escalation is None
    # (no pharmacist case here: the acknowledgement does not say it was passed on to one)
    assert s.kind == "draft" and "收到" in s.text and "转告药师" not in s.text
    assert not s.citations and not s.grounded
    # a sign in the same message is read as always, and the case is back with the pharmacist
    worse = sample_copilot.suggest(message="到医院了 孩子又吐了两次 怎么办", history=EMERGENCY)
    assert worse.verdict.escalation is not None
