"""Readable terminal output of a verdict (used by `copilot check`)."""

from __future__ import annotations

from collections.abc import Callable

from copilot.schemas import TIER_NAMES, Suggestion, Verdict, response_time

_DECISION = {
    "allow": "可直接答复",
    "allow_with_alerts": "可答复（附用药提示）",
    "escalate": "转执业药师",
}
_SEVERITY = {"contraindicated": "禁忌", "major": "严重", "moderate": "中度", "minor": "轻度"}


def print_verdict(verdict: Verdict, echo: Callable[[str], None]) -> None:
    t = verdict.triage
    echo(f"类别: {t.message_class}   意图: {', '.join(t.intents)}")
    if t.drugs:
        echo(
            "药品: "
            + "；".join(
                f"{d.name}→{d.doc_id}[{d.category}{'，禁止网售' if d.never_online else ''}]"
                f"({'在用' if d.taking else d.source})"
                for d in t.drugs
            )
        )
    if t.drug_classes:
        echo("药品类别: " + "、".join(m.word for m in t.drug_classes))
    pops = [
        f"{p.population}{'(否定)' if p.negated else ''}{'(他人)' if p.about_other_person else ''}"
        for p in t.populations
    ]
    if pops:
        echo("人群: " + "、".join(pops))
    if t.child_age_years is not None:
        echo(f"儿童年龄: {t.child_age_years:g}岁")
    if t.red_flags:
        echo("危险信号: " + "、".join(f"{f.id}({f.tier}: {f.evidence})" for f in t.red_flags))
    if t.symptom_days:
        echo(f"症状持续: {t.symptom_days:g}天")
    for alert in verdict.alerts:
        echo(
            f"[{_SEVERITY[alert.severity]}] {alert.kind}: {'、'.join(alert.drugs)} — {alert.effect}"
        )
        echo(f"    建议: {alert.advice}   来源: {alert.source}")
    echo(f"结论: {_DECISION[verdict.decision]}")
    if verdict.escalation:
        e = verdict.escalation
        echo(f"转药师: {TIER_NAMES[e.tier]}（{response_time(e.sla_minutes)}）")
        for r in e.reasons:
            echo(f"  - {r.id} ({r.tier}): {r.reason}")
        echo("暂缓回复:")
        echo("  " + (verdict.holding_reply or "").replace("\n", "\n  "))
    for err in verdict.errors:
        echo(f"错误（已按转药师处理）: {err}")


_KIND = {
    "draft": "草稿（AI生成，发送前请核对）",
    "holding": "暂缓回复（已转执业药师）",
    "cannot_draft": "无法起草（请补充信息）",
    "clarify": "请顾客确认药品",
}


def print_suggestion(s: Suggestion, echo: Callable[[str], None]) -> None:
    echo(
        f"== {_KIND[s.kind]}   提供方: {s.provider}"
        + (f"   回退原因: {s.fallback}" if s.fallback else "")
    )
    echo(s.text)
    if s.clarification:
        c = s.clarification
        why = "多个产品同名" if c.reason == "ambiguous" else "未能对应到本平台的说明书"
        names = "、".join(f"{p.name}（{p.doc_id}）" for p in c.candidates)
        echo(
            f"-- 需确认药品: {why}；顾客原话“{c.mention or '-'}”"
            + (f"；候选 {names}" if names else "")
        )
    if s.kind == "holding" and s.draft:
        echo("-- 供药师参考的草稿 --")
        echo(s.draft)
    if s.citations:
        echo("-- 来源 --")
        for c in s.citations:
            echo(f"[{c.n}] {c.title} · {c.section}  ({c.source_file}, 修订 {c.revision or '-'})")
    if s.verification:
        echo(f"-- 核查: {s.verification.outcome} --")
        for f in s.verification.findings:
            echo(f"  {f.level} {f.code}: {f.detail}  «{f.sentence}»")
    echo("-- 安全 --")
    print_verdict(s.verdict, echo)
    echo("-- 耗时(ms) -- " + "  ".join(f"{k} {v:.1f}" for k, v in s.timings_ms.items()))
