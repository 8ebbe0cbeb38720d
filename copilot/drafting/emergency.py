"""The pharmacist's reply to an emergency case, from the verdict that made it one: go now,
what the signs and alerts advise (each once), what to bring and tell the doctor, and that the
pharmacist stays with the case. Offered on the case page instead of a label passage: a dose is
not the answer to an overdose."""

from __future__ import annotations

import re

from copilot.schemas import Verdict

_NOT_FOR_THE_ANSWER = re.compile(r"药师(会|将)在|分钟内|说明书规定的用量|由药师评估|您好")


def emergency_script(verdict: Verdict) -> str:
    """A pharmacist's reply to an emergency: go now, what the signs and alerts advise, what to
    bring and say, and that the pharmacist stays with the case."""
    advice = [
        *(f.advice for f in verdict.triage.red_flags if f.tier == "emergency" and f.advice),
        *(
            a.advice
            for a in verdict.alerts
            if a.advice and a.severity in ("major", "contraindicated")
        ),
    ]
    lines = ["您好，根据您描述的情况，请立即拨打120或马上前往最近医院的急诊科，不要在家观察等待。"]
    kept: list[str] = []
    for line in (a.strip() for a in advice):
        # each sign's or alert's advice once (two alerts often say the same thing), and not the
        # holding reply's words about the pharmacist or the label's limits
        if not line or _NOT_FOR_THE_ANSWER.search(line):
            continue
        if any(line[:8] in k or k[:8] in line for k in kept):
            continue
        kept.append(line)
    lines += kept[:3]
    lines.append("就医时请带上所用药品的药盒和说明书，告诉医生用了什么药、用了多少、什么时间用的。")
    lines.append("我是本平台执业药师，会继续跟进您的情况，有任何变化请随时告诉我们。")
    return "\n".join(lines)
