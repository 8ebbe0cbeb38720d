"""LLM drafting through a LangChain chain: render the prompt files → chat model → parse the
structured result (reply with [n] citations, ids used). Personal data is masked before any
text is sent. A failure raises `DraftError`; the pipeline then falls back to the extractive
draft and flags it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import RunnableLambda
from pydantic import BaseModel, Field, ValidationError

from copilot.drafting.prompts import load_prompt
from copilot.errors import CopilotError
from copilot.safety.masking import mask_pii
from copilot.schemas import Alert, CartItem, Citation, Profile, Turn


class DraftError(CopilotError):
    """The LLM did not produce a usable draft (error, timeout, unparseable output)."""


class LLMDraft(BaseModel):
    reply: str = Field(min_length=1)
    citations: list[int] = Field(default_factory=list)


_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.S)


def parse_llm_output(text: str) -> LLMDraft:
    cleaned = _FENCE.sub("", text.strip())
    start, end = cleaned.find("{"), cleaned.rfind("}")
    if start < 0 or end <= start:
        raise DraftError(f"LLM output is not a JSON object: {text[:80]!r}")
    try:
        return LLMDraft.model_validate(json.loads(cleaned[start : end + 1]))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise DraftError(f"LLM output does not match {{reply, citations}}: {exc}") from None


def summarise_profile(profile: Profile) -> str:
    parts = []
    if profile.age_years is not None:
        parts.append(f"{profile.age_years:g}岁")
    for flag, word in (
        ("pregnant", "孕期"),
        ("trying_to_conceive", "备孕"),
        ("breastfeeding", "哺乳期"),
    ):
        if getattr(profile, flag):
            parts.append(word)
    if profile.conditions:
        parts.append("慢性病/状况：" + "、".join(profile.conditions))
    if profile.allergies:
        parts.append("过敏：" + "、".join(profile.allergies))
    if profile.current_medicines:
        parts.append("在用药：" + "、".join(profile.current_medicines))
    return "；".join(parts) or "（无记录）"


def summarise_cart(cart: list[CartItem]) -> str:
    return "、".join(f"{c.product}×{c.quantity}" for c in cart) or "（空）"


def _alert_line(alert) -> str:
    """An alert as the prompt lists it: the products it names, then what it says."""
    return f"{'、'.join(alert.drugs)}：{alert.effect}" if alert.drugs else alert.effect


def build_messages(inputs: dict) -> list:
    system = load_prompt("system").render()
    human = load_prompt("draft_reply").render(
        question=mask_pii(inputs["question"]),
        history=[{"role": t.role, "text": mask_pii(t.text)} for t in inputs["history"]],
        profile_summary=mask_pii(summarise_profile(inputs["profile"])),
        cart_summary=mask_pii(summarise_cart(inputs["cart"])),  # names typed into a cart too
        sources=[
            {"n": c.n, "title": c.title, "section": c.section, "text": c.text}
            for c in inputs["sources"]
        ],
        # each alert with the products it names (they quote the record)
        alerts=[mask_pii(_alert_line(a)) for a in inputs["alerts"]],
    )
    return [SystemMessage(content=system), HumanMessage(content=human)]


def draft_chain(model: BaseChatModel):
    """The LangChain runnable: inputs → messages → model → text → LLMDraft."""
    return (
        RunnableLambda(build_messages)
        | model
        | StrOutputParser()
        | RunnableLambda(parse_llm_output)
    )


def _inputs(question, history, profile, cart, sources, alerts) -> dict:
    return {
        "question": question,
        "history": history,
        "profile": profile,
        "cart": cart,
        "sources": sources,
        "alerts": alerts,
    }


def draft_with_llm(
    model: BaseChatModel,
    *,
    question: str,
    history: list[Turn],
    profile: Profile,
    cart: list[CartItem],
    sources: list[Citation],
    alerts: list[Alert],
) -> LLMDraft:
    try:
        return draft_chain(model).invoke(_inputs(question, history, profile, cart, sources, alerts))
    except DraftError:
        raise
    except Exception as exc:  # timeouts, connection errors, HTTP errors from the endpoint
        raise DraftError(f"LLM call failed: {type(exc).__name__}: {exc}") from None


def stream_llm(
    model: BaseChatModel,
    *,
    question: str,
    history: list[Turn],
    profile: Profile,
    cart: list[CartItem],
    sources: list[Citation],
    alerts: list[Alert],
) -> Iterator[str]:
    """Raw text pieces as the model produces them (for server-sent events)."""
    messages = build_messages(_inputs(question, history, profile, cart, sources, alerts))
    try:
        yield from (model | StrOutputParser()).stream(messages)
    except Exception as exc:
        raise DraftError(f"LLM stream failed: {type(exc).__name__}: {exc}") from None
