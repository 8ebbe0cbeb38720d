"""The business QA rubric (DESIGN.md) as deterministic checks on the text an agent would send:
service attitude 30, professional knowledge 40, communication 20, efficiency and compliance 10.
Each part scores 0..1 from a few checks; the total is 0..100."""

from __future__ import annotations

import re

from copilot.safety.quantities import extract_quantities
from copilot.schemas import Suggestion

_SLANG = re.compile(
    r"(亲[，,!！~]|亲亲|哈哈|嘿嘿|滴|木有|肿么|酱紫|造吗|表酱|神马|有木有|么么哒|[~～]{2,}|yyds|nb|hhh)"
)
_POLITE = re.compile(r"(您|请)")
_PII_ASK = re.compile(r"(身份证号|银行卡号|密码|验证码)")
_NUMBERED = re.compile(r"^\s*\d+[.、]", re.M)


def score(s: Suggestion) -> dict[str, float]:
    text = s.text
    attitude = (
        0.4 * text.startswith("您好")
        + 0.4 * bool(_POLITE.search(text))
        + 0.2 * (not _SLANG.search(text))
    )
    verified = s.verification is None or s.verification.outcome != "block"
    if s.kind == "draft":
        cites = bool(s.citations) and bool(re.search(r"\[\d+\]", text))
        grounded = verified
        population = True
        if any(not p.negated for p in s.verdict.triage.populations):
            population = "特别提醒" in text or "药师" in text
        knowledge = 0.4 * cites + 0.4 * grounded + 0.2 * population
    else:
        # A holding reply, or a reply asking which product the customer means, carries no
        # medical content: it is right by routing. Cannot-draft helps only half.
        knowledge = 1.0 if s.kind in ("holding", "clarify") else 0.5
    long = len(text) > 80
    numbered = bool(_NUMBERED.search(text)) or not long or s.kind != "draft"
    dose_intent = "dose_usage" in s.verdict.triage.intents and s.kind == "draft"
    dose_confirmed = (not dose_intent) or (
        any(q.kind in ("dose", "frequency") for q in extract_quantities(text)) and "核对" in text
    )
    follow_up = text.rstrip().endswith(("？", "?")) or s.kind == "holding"
    communication = 0.4 * numbered + 0.3 * dose_confirmed + 0.3 * follow_up
    compliance = 1.0 if (not _PII_ASK.search(text) or "不会" in text) and verified else 0.0
    return {
        "attitude": round(attitude, 3),
        "knowledge": round(knowledge, 3),
        "communication": round(communication, 3),
        "compliance": round(compliance, 3),
        "total": round(30 * attitude + 40 * knowledge + 20 * communication + 10 * compliance, 2),
    }
