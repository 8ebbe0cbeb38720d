"""Golden renders: every change to a prompt or reply template shows up in review."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from copilot.drafting.prompts import load_prompt, prompts_dir
from copilot.errors import KnowledgeError

GOLDEN = Path(__file__).parent / "golden"
CASES = {
    "holding_emergency": {
        "advice": "胸痛可能是心脏急症，请立即拨打120。",
        "response_time": "15分钟",
    },
    "holding_priority": {"topics": "孕期、备孕或哺乳期用药", "response_time": "30分钟"},
    "holding_prescription": {"drugs": "阿莫西林", "topics": "药物过敏", "response_time": "30分钟"},
    "holding_routine": {"topics": "发热超过3天", "response_time": "2小时"},
    "holding_case_open": {"response_time": "25分钟", "emergency": False},
    "closing": {},
    "acknowledge": {"case": True},
    "holding_ask_product": {"emergency": False, "mention": "美林滴剂"},
    "holding_label_contraindication": {
        "label_says": "蚕豆病患者禁用",
        "product": "小檗碱片（黄连素）",
        "response_time": "30分钟",
    },
    "holding_adverse": {"topics": "疑似药品不良反应", "response_time": "30分钟"},
    "holding_never_online": {"topics": "华法林钠片", "response_time": "30分钟"},
    "holding_child_fever": {
        "topics": "儿童用药",
        "response_time": "30分钟",
        "ask": "体重、已经用过的药（药名、用量、时间）",
    },
    "clarify_product": {
        "reason": "ambiguous",
        "mention": "布洛芬",
        "candidates": "布洛芬缓释胶囊、布洛芬混悬液",
    },
    "system": {},
    "judge": {
        "question": "芬必得一天吃几次",
        "draft": "您好，芬必得成人一次1粒，一日2次[1]。",
        "sources": [
            {
                "n": 1,
                "title": "布洛芬缓释胶囊",
                "section": "用法用量",
                "text": "成人一次1粒，一日2次。",
            }
        ],
    },
    "draft_reply": {
        "question": "芬必得一天吃几次？我叫[姓名]",
        "history": [{"role": "customer", "text": "你好"}, {"role": "agent", "text": "您好"}],
        "profile_summary": "35岁；过敏：青霉素",
        "cart_summary": "ibuprofen-sr-capsule×1",
        "sources": [
            {
                "n": 1,
                "title": "布洛芬缓释胶囊",
                "section": "用法用量",
                "text": "成人一次1粒，一日2次。",
            }
        ],
        "alerts": ["示例提示"],
    },
    "draft_extractive": {
        "answer": {
            "subject": "布洛芬缓释胶囊",
            "basis": "说明书",
            "lines": [
                {"lead": "用量：", "unit": {"text": "成人一次1粒，一日2次"}, "n": 1},
                {"lead": "饮酒：不建议，", "unit": {"text": "服药期间不宜饮酒"}, "n": 1},
            ],
            "cautions": [
                {"lead": "您记录中有胃溃疡：", "unit": {"text": "消化性溃疡患者禁用"}, "n": 2}
            ],
            "asks": [],
            "by_age": None,
        },
        "follow_up": "请问还有其他可以帮您的吗？",
    },
}


def test_every_template_has_a_golden_case():
    names = {p.stem for p in prompts_dir().glob("*.j2")}
    assert names == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_render(name):
    rendered = load_prompt(name).render(**CASES[name])
    golden = GOLDEN / f"{name}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(rendered + "\n", encoding="utf-8")
    assert rendered + "\n" == golden.read_text(encoding="utf-8")


def test_render_refuses_missing_or_undeclared_variables():
    prompt = load_prompt("holding_priority")
    with pytest.raises(KnowledgeError, match="missing"):
        prompt.render()
    with pytest.raises(KnowledgeError, match="undeclared"):
        prompt.render(topics="x", extra="y")


def test_customer_text_is_data_not_template_code(tmp_path):
    prompt = load_prompt("holding_routine")
    out = prompt.render(
        topics="{{ 7*7 }} {% for x in range(3) %}x{% endfor %}", response_time="2小时"
    )
    assert "{{ 7*7 }}" in out and "49" not in out


def test_declared_variables_must_match_the_template(tmp_path):
    (tmp_path / "bad.j2").write_text("---\ntask: t\nvariables: [a]\n---\n{{ a }} {{ b }}\n")
    with pytest.raises(KnowledgeError, match="differ"):
        load_prompt("bad", tmp_path)
