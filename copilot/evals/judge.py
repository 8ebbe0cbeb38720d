"""Optional LLM judge (faithfulness, helpfulness) for eval runs; only used when an LLM is
configured, never by the gate."""

from __future__ import annotations

import json

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from pydantic import BaseModel, Field, ValidationError

from copilot.drafting.chain import DraftError
from copilot.drafting.prompts import load_prompt
from copilot.safety.masking import mask_pii
from copilot.schemas import Suggestion


class JudgeScore(BaseModel):
    faithfulness: int = Field(ge=1, le=5)
    helpfulness: int = Field(ge=1, le=5)
    reason: str = ""


def judge_draft(model: BaseChatModel, s: Suggestion, question: str = "") -> JudgeScore:
    prompt = load_prompt("judge").render(
        question=mask_pii(question),
        draft=mask_pii(s.text),
        sources=[
            {"n": c.n, "title": c.title, "section": c.section, "text": c.text} for c in s.citations
        ],
    )
    try:
        text = str(model.invoke([HumanMessage(content=prompt)]).content)
        start, end = text.find("{"), text.rfind("}")
        return JudgeScore.model_validate(json.loads(text[start : end + 1]))
    except (ValueError, ValidationError) as exc:
        raise DraftError(f"judge output unusable: {exc}") from None
    except Exception as exc:
        raise DraftError(f"judge call failed: {type(exc).__name__}: {exc}") from None
