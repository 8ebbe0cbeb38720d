from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from copilot.errors import KnowledgeError
from copilot.safety.rules import load_rules

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RULES = load_rules(PROJECT_ROOT / "knowledge" / "rules" / "escalation.yaml")
EXAMPLES = [
    pytest.param(rule.id, message, positive, id=f"{rule.id}-{'pos' if positive else 'neg'}-{n}")
    for rule in RULES.rules
    for positive, messages in ((True, rule.examples.positive), (False, rule.examples.negative))
    for n, message in enumerate(messages)
]


def test_every_rule_has_an_example_or_is_covered_by_the_eval_sets():
    assert len(EXAMPLES) >= 40
    assert {r.tier for r in RULES.rules} == {"emergency", "priority", "routine"}


@pytest.mark.parametrize(("rule_id", "message", "positive"), EXAMPLES)
def test_rule_examples(sample_gate, rule_id, message, positive):
    verdict = sample_gate.assess(message=message)
    fired = {r.id for r in verdict.escalation.reasons} if verdict.escalation else set()
    assert (rule_id in fired) is positive, (message, fired)


def _rules_file(tmp_path: Path, when: str) -> Path:
    """A one-rule escalation file whose condition is `when` (YAML flow mapping)."""
    path = tmp_path / "escalation.yaml"
    path.write_text(
        textwrap.dedent(
            f"""
            tiers:
              priority: {{sla_minutes: 30, template: holding_priority}}
            rules:
              - {{id: x, topic: t, tier: priority, when: {when}, reason: r,
                 template: holding_priority}}
            """
        ),
        encoding="utf-8",
    )
    return path


def test_unknown_predicate_is_refused_with_file_and_fix(tmp_path):
    path = _rules_file(tmp_path, "{pregnnt: true}")
    with pytest.raises(KnowledgeError) as info:
        load_rules(path)
    assert "unknown predicate `pregnnt`" in str(info.value)
    assert "population" in str(info.value)  # the fix lists the known predicates


def test_readme_lists_every_rule_id():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    missing = [r.id for r in RULES.rules if f"`{r.id}`" not in readme]
    assert not missing, f"escalation rules not documented in README.md: {missing}"


def test_not_negates_a_condition_and_is_checked_like_the_others(tmp_path):
    from copilot.safety.rules import Facts, evaluate
    from copilot.schemas import Profile, Triage

    facts = Facts(
        message="药放哪里比较安全",
        triage=Triage(message_class="consultation", intents=["other"], drugs=[]),
        alerts=[],
        profile=Profile(),
        cart=[],
    )
    assert evaluate({"not": {"text_matches": "发烧"}}, facts)
    assert not evaluate({"not": {"text_matches": "放哪"}}, facts)
    with pytest.raises(KnowledgeError, match="unknown predicate `pregnnt`"):
        load_rules(_rules_file(tmp_path, "{not: {pregnnt: true}}"))
