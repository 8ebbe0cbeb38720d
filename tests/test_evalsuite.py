"""The eval suite: reports, the naive baseline, and a gate that fails, naming the metric."""

from __future__ import annotations

from copilot.evals.report import write_reports
from copilot.evals.suite import EvalRun, gate_problems, run_eval
from copilot.pipeline import Copilot

THRESHOLDS = {
    "bars": {"retrieval.hit_at_5": {"min": 0.95}, "escalation.routine_escalated": {"max": 0.1}},
    "regression": {
        "margin": 0.02,
        "watch": ["retrieval.mrr", "escalation.routine_escalated"],
        "lower_is_better": ["escalation.routine_escalated"],
    },
}


def run_with(metrics: dict[str, float]) -> EvalRun:
    return EvalRun(
        run_id="t", created="t", provider="extractive", embedder="h", suites=[], metrics=metrics
    )


def test_gate_names_missed_bars_and_regressions():
    good = {"retrieval.hit_at_5": 0.97, "escalation.routine_escalated": 0.02, "retrieval.mrr": 0.8}
    assert gate_problems(run_with(good), THRESHOLDS, dict(good)) == []
    bad = good | {
        "retrieval.hit_at_5": 0.90,
        "retrieval.mrr": 0.7,
        "escalation.routine_escalated": 0.08,
    }
    problems = gate_problems(run_with(bad), THRESHOLDS, good)
    assert any(p.startswith("retrieval.hit_at_5 = 0.9000 below the bar") for p in problems)
    assert any(p.startswith("retrieval.mrr regressed") for p in problems)
    assert any(p.startswith("escalation.routine_escalated regressed") for p in problems)
    missing = gate_problems(run_with({}), THRESHOLDS, None)
    assert "retrieval.hit_at_5: not measured" in missing


def test_run_scores_ours_beside_the_naive_baseline_and_writes_reports(
    sample_settings, sample_retriever, sample_gate, tmp_path
):
    cp = Copilot(settings=sample_settings, retriever=sample_retriever, gate=sample_gate)
    run = run_eval(cp, suites=("retrieval",))
    assert run.metrics["retrieval.hit_at_5"] >= 0.95
    assert run.naive["retrieval.hit_at_5"] < run.metrics["retrieval.hit_at_5"]
    assert "latency.total.p95_ms" in run.metrics
    paths = write_reports(run, {"bars": {"retrieval.hit_at_5": {"min": 0.95}}}, [], tmp_path)
    assert [p.suffix for p in paths] == [".json", ".md", ".html"]
    md = paths[1].read_text(encoding="utf-8")
    assert md.index("## Failures") < md.index("## Metrics")
    assert "| retrieval.hit_at_5 |" in md and "×" in md


def test_gate_fails_when_a_rule_is_removed_from_a_copy_of_the_rules(
    sample_settings, sample_retriever, sample_gate
):
    from copilot.evals.retrieval import load_thresholds
    from copilot.safety.gate import SafetyGate

    rules = sample_gate.rules.model_copy(
        update={"rules": [r for r in sample_gate.rules.rules if r.id != "rx-before-review"]}
    )
    crippled = SafetyGate(sk=sample_gate.sk, rules=rules)
    cp = Copilot(settings=sample_settings, retriever=sample_retriever, gate=crippled)
    run = run_eval(cp, suites=("safety",), naive=False)
    problems = gate_problems(run, load_thresholds(), None)
    assert any(p.startswith("escalation.must_recall") for p in problems)


def test_llm_judge_only_with_an_llm(sample_settings, sample_retriever, sample_gate):
    from fakes import StrictScriptedChatModel

    from copilot.evals.suite import _judge

    offline = Copilot(settings=sample_settings, retriever=sample_retriever, gate=sample_gate)
    drafts = [offline.suggest(message="开瑞坦一天吃几片"), offline.suggest(message="芬必得怎么吃")]
    notes: list[str] = []
    assert _judge(offline, drafts, notes) == {} and "LLM judge skipped" in notes[0]
    settings = sample_settings.model_copy(
        update={"llm": sample_settings.llm.model_copy(update={"provider": "openai"})}
    )
    judge = StrictScriptedChatModel(
        replies=[
            '{"faithfulness": 5, "helpfulness": 4, "reason": "有据"}',
            '{"faithfulness": 3, "helpfulness": 4, "reason": "略有出入"}',
        ]
    )
    online = Copilot(
        settings=settings, retriever=sample_retriever, gate=sample_gate, chat_model=lambda: judge
    )
    scores = _judge(online, drafts, [])
    assert scores == {"judge.faithfulness": 4.0, "judge.helpfulness": 4.0}
    assert len(judge.calls) == 2
