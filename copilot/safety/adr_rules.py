"""The ADR reporting rules as data (`knowledge/rules/adr.yaml`): the deadline of a report from its
seriousness and novelty, the regulation's seriousness criteria, and the cluster thresholds."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from copilot.errors import KnowledgeError, knowledge_error_from_validation
from copilot.ingest.yamlfile import read_yaml
from copilot.schemas import Verdict

Seriousness = Literal["general", "serious", "death"]


class DeadlineRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    when: dict[str, str | bool | None] = Field(default_factory=dict)
    days: int = Field(ge=0, le=60)
    immediate: bool = False
    label: str
    source: str

    def matches(self, seriousness: str | None, is_new: bool | None) -> bool:
        facts = {"seriousness": seriousness, "is_new": is_new}
        return all(facts.get(k, object()) == v for k, v in self.when.items())


class Criterion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    label: str


class ClusterRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    window_days: int = Field(ge=1, le=365)
    min_reports_same_product: int = Field(ge=2)
    min_reports_same_batch: int = Field(ge=2)
    source: str


class SuspectRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    always: list[str] = Field(
        min_length=1, description="Red flags or escalation rules that are a drug reaction."
    )
    with_drug: list[str] = Field(
        default_factory=list,
        description="Red flags or escalation rules that count when a medicine is in the case.",
    )


_POISONING_ALERTS = {"child-ingestion"}  # an above-label course (一天三四粒 两周) may still be one
_POISONING_FLAGS = {"overdose", "acetaminophen_overdose"}


class AdrRules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: date
    deadlines: list[DeadlineRule] = Field(min_length=1)
    serious_criteria: list[Criterion]
    cluster: ClusterRule
    suspected_reaction: SuspectRule

    def suspects(self, verdict: Verdict, current_medicines: list[str] | tuple = ()) -> bool:
        """Does this message report a suspected adverse drug reaction? (A prompt to the
        pharmacist to file a report; erring toward yes.) Reads the triage's reaction and red
        flags and the escalation's rules (the semantic net's too)."""
        triage = verdict.triage
        if triage.asked_only:  # nothing happened yet (还没开始吃, 听说…)
            return bool(triage.reaction)
        # an overdose or a child's ingestion is poisoning, not an adverse reaction (不良反应 is
        # a harm at the normal dose: 药品不良反应报告和监测管理办法 Art. 63)
        if any(a.rule_id in _POISONING_ALERTS for a in verdict.alerts) or any(
            f.id in _POISONING_FLAGS for f in triage.red_flags
        ):
            return False
        seen = {f.id for f in triage.red_flags}
        if verdict.escalation is not None:
            seen |= {r.id for r in verdict.escalation.reasons}
        if triage.reaction or seen & set(self.suspected_reaction.always):
            return True
        took = bool(current_medicines) or any(
            d.source in ("message", "history", "profile") for d in triage.drugs
        )
        return took and bool(seen & set(self.suspected_reaction.with_drug))

    def deadline(
        self, seriousness: str | None, is_new: bool | None, learned_at: datetime
    ) -> tuple[DeadlineRule, datetime]:
        """The first rule that matches, and the due time counted from when the pharmacy learned
        of the reaction. No rule matching is a knowledge error (the file must end with a
        catch-all)."""
        for rule in self.deadlines:
            if rule.matches(seriousness, is_new):
                return rule, learned_at + timedelta(days=rule.days)
        raise KnowledgeError(
            f"no deadline rule matches seriousness={seriousness} is_new={is_new}",
            path="knowledge/rules/adr.yaml",
            field="deadlines",
            fix="end the list with a rule whose `when` is {}",
        )


def load_adr_rules(path: Path) -> AdrRules:
    data = read_yaml(path)
    try:
        rules = AdrRules.model_validate(data or {})
    except ValidationError as exc:
        raise knowledge_error_from_validation(exc, path=path, what="ADR rules") from None
    if rules.deadlines[-1].when:
        raise KnowledgeError(
            "the last deadline rule must match every report",
            path=path,
            field="deadlines",
            fix="end the list with a rule whose `when` is {}",
        )
    return rules
