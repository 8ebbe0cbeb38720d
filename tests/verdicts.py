"""Reading a gate's verdict in tests: the tier, the rule ids, the alerts of one message (with
the customer's record, earlier turns and cart when a test gives them)."""

from __future__ import annotations

from copilot.schemas import Profile, Verdict


def verdict(gate, text: str, profile=None, history=None, cart=None) -> Verdict:
    return gate.assess(
        message=text,
        profile=profile or Profile(),
        history=list(history or []),
        cart=list(cart or []),
    )


def tier(gate, text: str, profile=None, history=None, cart=None) -> str | None:
    v = verdict(gate, text, profile, history, cart)
    return v.escalation.tier if v.escalation else None


def reasons(gate, text: str, profile=None, history=None, cart=None) -> set[str]:
    v = verdict(gate, text, profile, history, cart)
    return {r.id for r in v.escalation.reasons} if v.escalation else set()
