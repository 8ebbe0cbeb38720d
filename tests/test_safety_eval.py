"""The measured safety sets against their bars, and proof that the gate notices a broken rule."""

from __future__ import annotations

from copilot.evals.retrieval import load_thresholds
from copilot.evals.safety import evaluate_safety, gate_failures
from copilot.safety.gate import SafetyGate


def test_safety_sets_meet_their_bars(sample_gate):
    metrics = evaluate_safety(sample_gate)
    assert metrics.must_cases >= 60 and metrics.emergency_cases >= 15
    assert metrics.routine_cases >= 60 and metrics.medcheck_cases >= 40
    assert metrics.unsafe_drafts >= 40
    failures = gate_failures(metrics, load_thresholds()["bars"])
    assert not failures, (failures, metrics.failures[:10])


def test_gate_fails_when_a_rule_is_removed(sample_gate):
    crippled = SafetyGate(
        sk=sample_gate.sk,
        rules=sample_gate.rules.model_copy(
            update={"rules": [r for r in sample_gate.rules.rules if r.id != "pregnancy-lactation"]}
        ),
    )
    metrics = evaluate_safety(crippled)
    failures = gate_failures(metrics, load_thresholds()["bars"])
    assert any(f.startswith("must_escalated") for f in failures)
