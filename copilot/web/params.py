"""Bounded path and query parameters, shared by the API and the pages: an id past the
database's range, longer than its column, or carrying control characters, NUL or bytes that
were not UTF-8 (decoded as U+FFFD) is a 422 naming the parameter, never a 500 or a stored row."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Form, Path, Query
from pydantic import AfterValidator, BeforeValidator

from copilot.desk.common import aware

# No control characters, no U+FFFD (what invalid UTF-8 in a URL decodes to), no slash.
_ID = r"^[^\x00-\x1f\x7f\uFFFD/]+$"
# Free text in a query string: line breaks and tabs allowed, other control characters not.
_QUERY_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f\uFFFD]*$"
MAX_ID = 2**63 - 1

EscalationId = Annotated[int, Path(ge=1, le=MAX_ID, description="Escalation id.")]
ReportId = Annotated[int, Path(ge=1, le=MAX_ID, description="ADR report id.")]
ConversationId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=_ID, description="Conversation id.")
]
SuggestionId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=_ID, description="Suggestion id.")
]
CustomerRef = Annotated[
    str,
    Path(min_length=1, max_length=64, pattern=_ID, description="The chat system's customer id."),
]
DocId = Annotated[
    str, Path(min_length=1, max_length=200, pattern=_ID, description="Knowledge document id.")
]
Step = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[a-z_]+$")]
ConversationQuery = Annotated[str | None, Query(max_length=64, pattern=_ID)]
SuggestionQuery = Annotated[
    str | None,
    Query(alias="s", max_length=64, pattern=_ID, description="A suggestion of the conversation."),
]
SearchText = Annotated[str, Query(max_length=500, pattern=_QUERY_TEXT)]
Flag = Annotated[int, Query(ge=0, le=1)]


def _form_text(value: str) -> str:
    """A form value our pages could have sent: no NUL or control characters other than line
    breaks and tabs, no U+FFFD (bytes that were not UTF-8), no lone surrogates."""
    if any(c in value for c in "\x00\ufffd") or any(
        ord(c) < 32 and c not in "\t\r\n" for c in value
    ):
        raise ValueError("含有无效字符（控制字符或非 UTF-8 字节），请删除后重试")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("含有无效字符（孤立代理项），请删除后重试") from None
    return value


# Every text field of the pages' forms: bounded, refused with a 422 naming the field.
FormField = Annotated[str, Form(max_length=8000), AfterValidator(_form_text)]
FormVersion = Annotated[int, Form(ge=0, le=2**31)]
# A short text field (a confirmation, a reason): bounded tighter than FormField.
FormShort = Annotated[str, Form(max_length=200), AfterValidator(_form_text)]
DoneQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Result of an action.")]


# Times leave the API with their zone: SQLite hands back naive UTC, which a chat system would
# read as its local time (8 hours off in Beijing).
UtcTime = Annotated[datetime, BeforeValidator(aware)]
