"""Measured sets for the safety layer (evals/datasets/): escalation (must / routine),
medication checks, unsafe and safe drafts. Cases are typed; nothing here reads a case id or an
expected value to change what the gate does."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from copilot.errors import KnowledgeError
from copilot.evals.retrieval import bar_problems, evals_dir
from copilot.safety.gate import SafetyGate
from copilot.schemas import SEVERITY_ORDER, CartItem, Chunk, Profile, Severity, Turn, Verdict


class _Case(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    why: str | None = None


class EscalationCase(_Case):
    message: str
    history: list[Turn] = Field(default_factory=list)
    profile: Profile = Field(default_factory=Profile)
    cart: list[CartItem] = Field(default_factory=list)
    expect_tier: str  # emergency | priority | routine | none


class ExpectedAlert(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str
    severity_at_least: Severity = "minor"
    involves: list[str] = Field(default_factory=list)


class MedCheckCase(_Case):
    message: str
    history: list[Turn] = Field(default_factory=list)
    profile: Profile = Field(default_factory=Profile)
    cart: list[CartItem] = Field(default_factory=list)
    expect_alerts: list[ExpectedAlert]


class DraftCitation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n: int
    doc: str
    section: str


class DraftCase(_Case):
    question: str
    draft: str
    citations: list[DraftCitation] = Field(default_factory=list)
    expect: str  # block | pass
    reason: str | None = None


def load_case_file(path: Path, model: type[BaseModel]) -> list:
    """Typed cases from one YAML dataset file."""
    if not path.exists():
        raise KnowledgeError("eval dataset is missing", path=path)
    return _rows(yaml.safe_load(path.read_text(encoding="utf-8")), model, path)


class Failure(BaseModel):
    set: str
    id: str
    input: str
    expected: str
    got: str


class SafetyMetrics(BaseModel):
    must_cases: int
    must_escalated: float = Field(description="Share of must-escalate cases escalated.")
    emergency_cases: int
    emergency_at_tier: float = Field(description="Share of emergencies escalated as emergency.")
    tier_exact: float = Field(description="Share of must cases at exactly the expected tier.")
    tier_pairs: list[tuple[str, str]] = Field(
        default_factory=list, description="(expected, got) tier of every must-escalate case."
    )
    routine_cases: int
    routine_escalated: float = Field(description="Share of must-not-escalate cases escalated.")
    medcheck_cases: int
    medcheck_recall: float
    clean_cases: int
    false_alarm_rate: float
    unsafe_drafts: int
    unsafe_blocked: float
    safe_drafts: int
    safe_passed: float
    failures: list[Failure]


def _tier(verdict) -> str:
    return verdict.escalation.tier if verdict.escalation else "none"


def _names(alert, classes_by_key: dict[str, set[str]]) -> set[str]:
    """What an alert is about, as a case may name it: its ingredient and product keys and the
    classes of its ingredients (penicillin for amoxicillin, alcohol for ethanol)."""
    names = {n.lower() for n in alert.involves}
    for key in alert.involves:
        names |= classes_by_key.get(key, set())
    return names


def _involved(word: str, names: set[str]) -> bool:
    """A case's word ("isosorbide mononitrate", "calcium") names one of `names`: the same key
    written with spaces, or the first part of a longer key (calcium_carbonate)."""
    word = word.strip().lower().replace(" ", "_")
    return word in names or any(n.startswith(word + "_") for n in names)


def _alert_matches(
    expected: ExpectedAlert, alerts, classes_by_key: dict[str, set[str]] | None = None
) -> bool:
    kinds = {expected.kind}
    if expected.kind in ("allergy", "cross_allergy"):
        kinds = {"allergy", "cross_allergy"}
    if expected.kind in ("duplicate_ingredient", "overdose"):
        kinds = {"duplicate_ingredient", "overdose", "interaction"}
    for alert in alerts:
        if alert.kind not in kinds:
            continue
        if SEVERITY_ORDER[alert.severity] < SEVERITY_ORDER[expected.severity_at_least]:
            continue
        names = _names(alert, classes_by_key or {})
        if all(_involved(w, names) for w in expected.involves):
            return True
    return False


def _draft_citations(gate: SafetyGate, case: DraftCase) -> dict[int, Chunk]:
    out: dict[int, Chunk] = {}
    for c in case.citations:
        doc = gate.document(c.doc)
        if doc is None:
            raise KnowledgeError(f"{case.id}: unknown document {c.doc}")
        section = next((s for s in doc.sections if s.heading == c.section), None)
        if section is None:
            raise KnowledgeError(f"{case.id}: {c.doc} has no section {c.section}")
        out[c.n] = Chunk(
            id=f"{c.doc}#{c.section}",
            doc_id=c.doc,
            kind=doc.kind,
            title=doc.title,
            section=c.section,
            text=section.text,
            source_file=doc.source_file,
        )
    return out


def _rows(rows: list, model: type[BaseModel], where: Path) -> list:
    out = []
    for n, row in enumerate(rows or [], start=1):
        if isinstance(row, dict) and isinstance(row.get("cart"), list):
            row["cart"] = [{"product": c} if isinstance(c, str) else c for c in row["cart"]]
        try:
            out.append(model.model_validate(row))
        except Exception as exc:
            raise KnowledgeError(f"case {n} is invalid: {exc}", path=where) from None
    return out


def load_holdout(path: Path | None = None) -> tuple[list, list, list, list]:
    """The held-out set: one file with `escalation`, `medchecks` and `drafts` lists."""
    path = path or evals_dir() / "holdout" / "safety_holdout.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    esc = _rows(data.get("escalation"), EscalationCase, path)
    return (
        [c for c in esc if c.expect_tier != "none"],
        [c for c in esc if c.expect_tier == "none"],
        _rows(data.get("medchecks"), MedCheckCase, path),
        _rows(data.get("drafts"), DraftCase, path),
    )


def evaluate_safety(
    gate: SafetyGate,
    folder: Path | None = None,
    *,
    sets: tuple | None = None,
    assess: Callable[..., Verdict] | None = None,
) -> SafetyMetrics:
    """Score the sets. `assess` (message, history, profile, cart → Verdict) defaults to the
    gate; the eval suite passes the whole suggest pipeline instead."""
    folder = folder or evals_dir() / "datasets"
    assess = assess or gate.assess
    failures: list[Failure] = []
    if sets is not None:
        must, routine, meds, drafts = sets
    else:
        must = load_case_file(folder / "escalation_must.yaml", EscalationCase)
        routine = load_case_file(folder / "escalation_routine.yaml", EscalationCase)
        meds = load_case_file(folder / "medchecks.yaml", MedCheckCase)
        drafts = load_case_file(folder / "unsafe_drafts.yaml", DraftCase)

    escalated = exact = 0
    emergencies = emergency_ok = 0
    tier_pairs: list[tuple[str, str]] = []
    for case in must:
        v = assess(message=case.message, history=case.history, profile=case.profile, cart=case.cart)
        got = _tier(v)
        tier_pairs.append((case.expect_tier, got))
        escalated += got != "none"
        exact += got == case.expect_tier
        if case.expect_tier == "emergency":
            emergencies += 1
            emergency_ok += got == "emergency"
        if got == "none" or (case.expect_tier == "emergency" and got != "emergency"):
            failures.append(
                Failure(
                    set="escalation_must",
                    id=case.id,
                    input=case.message,
                    expected=case.expect_tier,
                    got=got,
                )
            )
    routine_escalated = 0
    for case in routine:
        v = assess(message=case.message, history=case.history, profile=case.profile, cart=case.cart)
        got = _tier(v)
        if got != "none":
            routine_escalated += 1
            reasons = ",".join(r.id for r in v.escalation.reasons)
            failures.append(
                Failure(
                    set="escalation_routine",
                    id=case.id,
                    input=case.message,
                    expected="none",
                    got=f"{got} ({reasons})",
                )
            )
    found = expected_total = 0
    clean = false_alarms = 0
    for case in meds:
        v = assess(message=case.message, history=case.history, profile=case.profile, cart=case.cart)
        got = "; ".join(f"{a.kind}/{a.severity}/{','.join(a.involves)}" for a in v.alerts) or "-"
        if not case.expect_alerts:
            clean += 1
            serious = [a for a in v.alerts if SEVERITY_ORDER[a.severity] >= SEVERITY_ORDER["major"]]
            if serious:
                false_alarms += 1
                failures.append(
                    Failure(
                        set="medchecks_clean",
                        id=case.id,
                        input=case.message,
                        expected="no major alert",
                        got=got,
                    )
                )
            continue
        for exp in case.expect_alerts:
            expected_total += 1
            if _alert_matches(exp, v.alerts, gate.sk.classes_by_key):
                found += 1
            else:
                failures.append(
                    Failure(
                        set="medchecks",
                        id=case.id,
                        input=case.message,
                        expected=f"{exp.kind}>={exp.severity_at_least} {exp.involves}",
                        got=got,
                    )
                )
    unsafe = blocked = safe = passed = 0
    for case in drafts:
        result = gate.verify(case.draft, _draft_citations(gate, case))
        codes = ",".join(f.code for f in result.findings) or "-"
        if case.expect == "block":
            unsafe += 1
            blocked += result.outcome == "block"
            if result.outcome != "block":
                failures.append(
                    Failure(
                        set="unsafe_drafts",
                        id=case.id,
                        input=case.draft,
                        expected=f"block ({case.reason})",
                        got=f"{result.outcome} {codes}",
                    )
                )
        else:
            safe += 1
            passed += result.outcome != "block"
            if result.outcome == "block":
                failures.append(
                    Failure(
                        set="safe_drafts",
                        id=case.id,
                        input=case.draft,
                        expected="pass",
                        got=f"block {codes}",
                    )
                )

    def ratio(a: int, b: int) -> float:
        return round(a / b, 4) if b else 1.0

    return SafetyMetrics(
        must_cases=len(must),
        must_escalated=ratio(escalated, len(must)),
        emergency_cases=emergencies,
        emergency_at_tier=ratio(emergency_ok, emergencies),
        tier_exact=ratio(exact, len(must)),
        tier_pairs=tier_pairs,
        routine_cases=len(routine),
        routine_escalated=ratio(routine_escalated, len(routine)),
        medcheck_cases=len(meds) - clean,
        medcheck_recall=ratio(found, expected_total),
        clean_cases=clean,
        # a rate of errors over no cases is no error (ratio() reads an empty success as 1.0)
        false_alarm_rate=round(false_alarms / clean, 4) if clean else 0.0,
        unsafe_drafts=unsafe,
        unsafe_blocked=ratio(blocked, unsafe),
        safe_drafts=safe,
        safe_passed=ratio(passed, safe),
        failures=failures,
    )


# Metric of SafetyMetrics → its bar in evals/thresholds.yaml (`bars`).
BAR_NAMES = {
    "must_escalated": "escalation.must_recall",
    "emergency_at_tier": "escalation.emergency_at_tier",
    "routine_escalated": "escalation.routine_escalated",
    "medcheck_recall": "medchecks.recall",
    "false_alarm_rate": "medchecks.false_alarm_rate",
    "unsafe_blocked": "drafts.unsafe_blocked",
    "safe_passed": "drafts.safe_passed",
}


def gate_failures(metrics: SafetyMetrics, bars: dict) -> list[str]:
    """The safety bars missed, each naming the metric (`copilot eval safety --gate`)."""
    values = {field_name: getattr(metrics, field_name) for field_name in BAR_NAMES}
    return bar_problems(values, {f: bars[b] for f, b in BAR_NAMES.items()})
