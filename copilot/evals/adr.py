"""The suspected-reaction set: does the safety layer mark a message that reports a suspected
adverse drug reaction (the pharmacy must report it), and only those?

Each case: a message (optionally a profile) and `expect_adr`. Metrics:
- `adr.recall`: suspected reactions marked (the ADR rules' `suspected_reaction` over the verdict's
  triage), the figure that matters: a missed reaction is a missed legal report.
- `adr.escalated`: suspected reactions that reached a pharmacist at all.
- `adr.false_marks`: messages that are not a reaction (questions before use, allergic diseases,
  reactions to food) marked anyway; a cost in pharmacist time, not a safety failure.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from copilot.evals.casefile import validated
from copilot.evals.retrieval import evals_dir
from copilot.ingest.yamlfile import read_yaml
from copilot.pipeline import Copilot
from copilot.safety.adr_rules import load_adr_rules
from copilot.schemas import Profile


class AdrCase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    message: str
    expect_adr: bool
    why: str = ""
    profile: Profile | None = None


class AdrFailure(BaseModel):
    id: str
    message: str
    expected: bool
    marked: bool
    escalated: bool
    flags: list[str]


class AdrMetrics(BaseModel):
    cases: int
    reactions: int
    recall: float
    escalated: float
    others: int
    false_marks: float
    failures: list[AdrFailure] = Field(default_factory=list)

    def as_metrics(self) -> dict[str, float]:
        return {
            "adr.recall": self.recall,
            "adr.escalated": self.escalated,
            "adr.false_marks": self.false_marks,
        }


def load_adr_cases(path: Path | None = None) -> list[AdrCase]:
    path = path or evals_dir() / "datasets" / "adr.yaml"
    data = read_yaml(path) or {}
    return validated(data.get("cases", []), AdrCase, path)


def evaluate_adr(copilot: Copilot, cases: list[AdrCase]) -> AdrMetrics:
    rules = load_adr_rules(copilot.settings.knowledge.dir / "rules" / "adr.yaml")
    marked_true = escalated_true = marked_false = 0
    failures: list[AdrFailure] = []
    for case in cases:
        verdict = copilot.assess(message=case.message, profile=case.profile)
        marked = rules.suspects(verdict, case.profile.current_medicines if case.profile else ())
        escalated = verdict.decision == "escalate"
        if case.expect_adr:
            marked_true += marked
            escalated_true += escalated
        else:
            marked_false += marked
        if marked != case.expect_adr:
            failures.append(
                AdrFailure(
                    id=case.id,
                    message=case.message,
                    expected=case.expect_adr,
                    marked=marked,
                    escalated=escalated,
                    flags=[f.id for f in verdict.triage.red_flags],
                )
            )
    reactions = sum(c.expect_adr for c in cases)
    others = len(cases) - reactions
    return AdrMetrics(
        cases=len(cases),
        reactions=reactions,
        recall=round(marked_true / reactions, 4) if reactions else 1.0,
        escalated=round(escalated_true / reactions, 4) if reactions else 1.0,
        others=others,
        false_marks=round(marked_false / others, 4) if others else 0.0,
        failures=failures,
    )
