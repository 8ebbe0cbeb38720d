"""A report as the API and the pages show it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from copilot.desk.adr_form import AdrForm


class AdrView(BaseModel):
    """A report as the API and the pages show it."""

    id: int
    escalation_id: int
    conversation_id: str
    status: Literal["draft", "submitted"]
    version: int
    form: AdrForm
    identity_shown: bool = Field(
        default=False, description="False: the patient's name and contact are masked."
    )
    due_at: datetime
    due_rule: str
    due_label: str
    immediate: bool
    overdue: bool
    follow_up_on: date | None
    missing_required: list[str]
    missing_recommended: list[str]
    label_adverse: dict[str, str] = Field(
        default_factory=dict, description="Suspected product → its label's 不良反应 text."
    )
    known_hint: list[str] = Field(
        default_factory=list, description="Words of the customer's account the label lists."
    )
    created_at: datetime
    submitted_at: datetime | None
