"""Suicidal intent from what it is made of (safety/self_harm.py): life said not worth going on
with, wanting to be gone, or no longer being a burden with the means at hand. Everyday talk
about tiredness, stocking up or a medicine that does not work is not."""

from __future__ import annotations

import pytest

from copilot.ingest.lexicon import normalize
from copilot.safety.self_harm import suicidal

INTENT = [
    "药多给我拿几盒吧 反正这日子也没什么盼头了",
    "最近觉得活得太累了 安眠药能一次多买点吗",
    "不想再拖累孩子们 帮我寄五瓶安眠药",
    "我真的不想活了",
    "感觉人生没有意义 想把药全吃了",
    "这一瓶我一口气喝了算了",
    "活下去没什么指望了",
    # the medicines gathered and laid out, with a plan or a goodbye
    "全部的药都找出来了 一会儿一起吞下去",
    "家里的药都翻出来摆好了 谢谢你们一直照顾",
    "降压药都倒在桌上了 想好了 再见",
]
EVERYDAY = [
    "一次多买几盒 以后就不用再麻烦你们了",
    "干活太累 腰疼 贴什么膏药好",
    "生活太累了 最近失眠 褪黑素怎么吃",
    "孩子老是熬夜 日子过得很快",
    "这药吃着没啥意思 没效果",
    "囤几盒布洛芬备着 家里人多",
    "药倒在手里了 是饭后吃吗 好的再见",
    "把所有的药都拿出来整理了一下 过期的怎么处理",
    "药都找齐了 明天带去医院给医生看",
    "今晚吃两片 好的再见",
]


@pytest.mark.parametrize("text", INTENT)
def test_intent(text):
    assert suicidal(normalize(text))


@pytest.mark.parametrize("text", EVERYDAY)
def test_everyday(text):
    assert suicidal(normalize(text)) is None


def test_triage_raises_the_emergency_flag(sample_gate):
    verdict = sample_gate.assess(message="还剩两板 真想都吞了算了")
    assert verdict.escalation is not None and verdict.escalation.tier == "emergency"
    heard = sample_gate.assess(message="听说有人活着没意思就吃药 你们卖药会不会有风险")
    assert not any(f.id == "suicidal" for f in heard.triage.red_flags)
