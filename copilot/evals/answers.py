"""The answers set: does the draft state what the customer asked? Each case names the key
facts the reply must contain (`must`: regular expressions, one fact each), what it must not
say (`must_not`: a wrong dose for this person, another product's facts, a misleading return
promise) and the kind of reply expected (draft, holding, clarify). Every case goes through the
whole suggest pipeline; the text checked is the one the customer would receive (citation
markers removed).

Metrics
- `answers.kind_ok`: share of cases with the expected kind of reply.
- `answers.key_fact_recall`: key facts found over key facts asked, all cases.
- `answers.complete`: share of cases whose reply has every key fact.
- `answers.must_not_errors`: replies that say something a case forbids (count; gated at 0).
- `answers.repetition`: share of replies that repeat a sentence.
- `answers.irrelevant`: of the quoted lines of drafts (a line citing a source), the share that
  carries none of the case's key facts and is not a caution for this customer (您记录中…,
  您目前在用…): a proxy for "a section the question did not ask about". Cases without key
  facts are left out.
- `answers.mean_chars`: mean length of the reply.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from copilot.errors import KnowledgeError
from copilot.evals.retrieval import evals_dir
from copilot.ingest.yamlfile import read_yaml
from copilot.pipeline import Copilot
from copilot.pipeline import customer_text as send_text
from copilot.schemas import CartItem, Profile, Suggestion, Turn

_SENTENCE = re.compile(r"[^。！？!?\n]{6,}[。！？!?]?")
_QUOTED = re.compile(r"\[\d+\]\s*$")
_CAUTION_LEAD = re.compile(r"^(?:\d+\.\s*)?(?:您记录中|您目前在用|孕妇用药|哺乳期用药|老年人用药)")


class AnswerCase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    message: str
    history: list[Turn] = Field(default_factory=list)
    profile: Profile = Field(default_factory=Profile)
    cart: list[CartItem] = Field(default_factory=list)
    expect_kind: Literal["draft", "holding", "clarify"]
    must: list[str] = Field(default_factory=list)
    must_not: list[str] = Field(default_factory=list)
    why: str = ""

    @field_validator("must", "must_not")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for p in patterns:
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {p!r} ({exc})") from None
        return patterns


class AnswerFailure(BaseModel):
    id: str
    message: str
    expected: str
    got: str


class AnswerMetrics(BaseModel):
    cases: int
    kind_ok: float
    key_fact_recall: float
    complete: float
    must_not_errors: int
    repetition: float
    irrelevant: float
    mean_chars: float
    failures: list[AnswerFailure]

    def as_metrics(self, prefix: str = "answers") -> dict[str, float]:
        return {
            f"{prefix}.kind_ok": self.kind_ok,
            f"{prefix}.key_fact_recall": self.key_fact_recall,
            f"{prefix}.complete": self.complete,
            f"{prefix}.must_not_errors": float(self.must_not_errors),
            f"{prefix}.repetition": self.repetition,
            f"{prefix}.irrelevant": self.irrelevant,
            f"{prefix}.mean_chars": self.mean_chars,
        }


def answer_set_files() -> list[Path]:
    """The development answers sets the gate runs: the first set and every blind set once its
    first run has been reported (a new blind set waits outside `evals/` until then)."""
    root = evals_dir()
    return [root / "datasets" / "answers.yaml", *sorted(root.glob("holdout/answers_blind_*.yaml"))]


def load_answer_cases(path: Path | None = None) -> list[AnswerCase]:
    """The cases of one set, or of every development set when no path is given."""
    if path is None:
        cases = [c for f in answer_set_files() for c in load_answer_cases(f)]
        seen: set[str] = set()
        for c in cases:
            if c.id in seen:
                raise KnowledgeError(f"answers case id {c.id} appears in two sets")
            seen.add(c.id)
        return cases
    data = read_yaml(path) or {}
    rows = data.get("answers") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise KnowledgeError("expected a top-level `answers:` list", path=path)
    cases = []
    for n, row in enumerate(rows, start=1):
        try:
            cases.append(AnswerCase.model_validate(row))
        except ValueError as exc:
            raise KnowledgeError(f"case {n}: {exc}", path=path) from None
    return cases


def customer_text(s: Suggestion) -> str:
    """The reply as the customer would receive it: without [n] citation markers."""
    return send_text(s.text)


def repeats(text: str) -> bool:
    seen = set()
    for m in _SENTENCE.finditer(text):
        key = re.sub(r"\s", "", m.group(0)).rstrip("。！？!?")
        if key in seen:
            return True
        seen.add(key)
    return False


def quoted_lines(draft: str) -> list[str]:
    """The lines of a draft that quote a source (they end in a [n] marker), cautions left out."""
    return [
        line.strip()
        for line in draft.splitlines()
        if _QUOTED.search(line) and not _CAUTION_LEAD.match(line.strip())
    ]


def score_text(case: AnswerCase, text: str) -> tuple[list[str], list[str]]:
    """The case's key facts found in `text`, and its forbidden patterns found there."""
    return (
        [p for p in case.must if re.search(p, text)],
        [p for p in case.must_not if re.search(p, text)],
    )


def evaluate_answers(copilot: Copilot, cases: list[AnswerCase]) -> AnswerMetrics:
    asked = found = complete = kind_ok = wrong = repeated = chars = 0
    lines = idle = 0
    failures: list[AnswerFailure] = []
    for case in cases:
        s = copilot.suggest(
            message=case.message, history=case.history, profile=case.profile, cart=case.cart
        )
        text = customer_text(s)
        hits, bad = score_text(case, text)
        asked += len(case.must)
        found += len(hits)
        complete += len(hits) == len(case.must)
        kind_ok += s.kind == case.expect_kind
        wrong += bool(bad)
        repeated += repeats(text)
        chars += len(text)
        if s.kind == "draft" and case.must:
            for line in quoted_lines(s.text):
                lines += 1
                idle += not any(re.search(p, send_text(line)) for p in case.must)
        if s.kind != case.expect_kind or len(hits) < len(case.must) or bad:
            missing = [p for p in case.must if p not in hits]
            failures.append(
                AnswerFailure(
                    id=case.id,
                    message=case.message,
                    expected=f"{case.expect_kind}; missing {missing}"
                    + (f"; said {bad}" if bad else ""),
                    got=f"{s.kind}: {text[:160]}",
                )
            )
    n = len(cases) or 1
    return AnswerMetrics(
        cases=len(cases),
        kind_ok=round(kind_ok / n, 4),
        key_fact_recall=round(found / (asked or 1), 4),
        complete=round(complete / n, 4),
        must_not_errors=wrong,
        repetition=round(repeated / n, 4),
        irrelevant=round(idle / (lines or 1), 4),
        mean_chars=round(chars / n, 1),
        failures=failures,
    )
