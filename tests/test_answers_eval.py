from __future__ import annotations

import pytest

from copilot.errors import KnowledgeError
from copilot.evals.answers import AnswerCase, evaluate_answers, load_answer_cases, repeats


def test_repetition_and_markers():
    assert repeats("您好。一次1片，一日3次。一次1片，一日3次。")
    assert not repeats("您好。一次1片。一日3次。")


def test_answer_metrics_count_missing_and_forbidden_facts(sample_copilot):
    cases = [
        AnswerCase(
            id="a",
            message="布洛芬缓释胶囊一次吃几粒",
            expect_kind="draft",
            must=["(一次|每次)\\s*(1|一)\\s*粒", "绝不会出现在草稿里的事实"],
            must_not=["(一次|每次)\\s*(1|一)\\s*粒"],
        )
    ]
    m = evaluate_answers(sample_copilot, cases)
    assert m.key_fact_recall == 0.5 and m.complete == 0.0 and m.must_not_errors == 1
    assert m.failures and m.failures[0].id == "a"


def test_a_bad_pattern_is_refused_with_its_place(tmp_path):
    path = tmp_path / "answers.yaml"
    path.write_text("answers:\n- {id: x, message: m, expect_kind: draft, must: ['(']}\n")
    with pytest.raises(KnowledgeError, match="case 1"):
        load_answer_cases(path)


def test_the_answers_set_loads():
    assert len(load_answer_cases()) >= 250  # issue 13: the gated answers set


def test_quoted_lines_leave_out_cautions_and_unquoted_text():
    from copilot.evals.answers import quoted_lines

    draft = (
        "您好，关于X，说明书中写明：\n1. 用量：一次1片[1]\n2. 贮藏：密封保存[2]\n"
        "您记录中有胃溃疡：本品慎用[1]\n请问还有其他可以帮您的吗？"
    )
    assert quoted_lines(draft) == ["1. 用量：一次1片[1]", "2. 贮藏：密封保存[2]"]
