"""What changed on the desk, for the open pages: a JSON pulse (`GET /v1/desk/pulse`) and a
server-sent event stream (`GET /v1/desk/events`) that pushes the pulse whenever it changes.

The stream reads the database every `server.events_poll_seconds` (one cheap query set per open
page), so it sees what any worker or host wrote: no broker is needed to run several workers. A
stream ends after `max_seconds` and the browser's EventSource reconnects by itself, which also
keeps proxies from holding connections forever.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from copilot.desk.auth import CHAT
from copilot.desk.common import aware
from copilot.desk.tables import AdrReport, Escalation, Message, SuggestionRow, User
from copilot.web.params import ConversationQuery
from copilot.web.session import (
    api_user,
    require_own_password,
    session_user,
    user_for_bearer,
)

router = APIRouter(prefix="/v1", tags=["desk"])


class Pulse(BaseModel):
    """The desk's state as the pages need it; `version` changes whenever any of it does."""

    escalations_open: int
    emergency_open: int
    overdue_open: int
    emergency_unclaimed_half_sla: int = Field(
        0, description="Unclaimed emergencies past half their SLA: flagged to every pharmacist."
    )
    latest_escalation_id: int | None
    latest_escalation_tier: str | None
    latest_message_id: int = 0
    conversation_last_message_id: int | None = None
    adr_overdue: int = 0
    adr_clusters: int = 0
    waiting_for_agent: int = Field(
        0, description="Customer messages whose suggestion no agent has acted on yet."
    )
    version: str = ""


def read_pulse(app, user: User, conversation: str | None) -> Pulse:
    now = datetime.now(UTC)
    with app.state.db.session() as s:
        # plain columns, not ORM rows: every open page polls this
        rows = s.execute(
            select(
                Escalation.id,
                Escalation.status,
                Escalation.tier,
                Escalation.assignee_id,
                Escalation.created_at,
                Escalation.sla_deadline,
            ).where(Escalation.status.in_(("open", "claimed")))
        ).all()
        latest = s.execute(
            select(Escalation.id, Escalation.tier).order_by(Escalation.id.desc()).limit(1)
        ).first()
        latest_message = s.scalar(select(func.max(Message.id))) or 0
        last_message = (
            s.scalar(select(func.max(Message.id)).where(Message.conversation_id == conversation))
            if conversation
            else None
        )
        # customer messages with a pending suggestion and no reply since (an agent's reply to a
        # later message, or the pharmacist's answer, covers the earlier ones)
        replied = (
            select(Message.id)
            .where(
                Message.conversation_id == SuggestionRow.conversation_id,
                Message.role.in_(("agent", "pharmacist")),
                Message.id > SuggestionRow.message_id,
            )
            .exists()
        )
        waiting = s.scalar(
            select(func.count())
            .select_from(SuggestionRow)
            .where(SuggestionRow.status == "pending", ~replied)
        )
        due = s.scalars(select(AdrReport.due_at).where(AdrReport.status == "draft"))
        adr_overdue = sum(aware(d) < now for d in due)
        clusters = (
            len(app.state.adr.clusters(s, now)) if user.role in ("pharmacist", "admin") else 0
        )
    half_late = sum(
        e.tier == "emergency"
        and e.status == "open"
        and now - aware(e.created_at) > (aware(e.sla_deadline) - aware(e.created_at)) / 2
        for e in rows
    )
    # every open case's state, so a claim, an answer or a raised tier is a change too
    states = sorted((e.id, e.status, e.tier, e.assignee_id or 0) for e in rows)
    pulse = Pulse(
        escalations_open=len(rows),
        emergency_open=sum(e.tier == "emergency" for e in rows),
        overdue_open=sum(aware(e.sla_deadline) < now for e in rows),
        emergency_unclaimed_half_sla=half_late,
        latest_escalation_id=latest.id if latest else None,
        latest_escalation_tier=latest.tier if latest else None,
        latest_message_id=latest_message,
        conversation_last_message_id=last_message,
        adr_overdue=adr_overdue or 0,
        adr_clusters=clusters,
        waiting_for_agent=waiting or 0,
    )
    seen = f"{pulse.model_dump(exclude={'version'})}{states}"
    pulse.version = hashlib.sha1(seen.encode()).hexdigest()[:16]
    return pulse


@router.get("/desk/pulse", response_model=Pulse)
def pulse(
    request: Request,
    user: User = Depends(api_user),
    conversation: ConversationQuery = None,
) -> Pulse:
    return read_pulse(request.app, user, conversation)


def stream_user(request: Request) -> User:
    """A bearer token, or the page session. A browser's EventSource cannot send headers, so the
    session needs no CSRF header here: this GET only reads, and the cookie is SameSite=Lax."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = user_for_bearer(request, header[7:].strip())
    else:
        user = session_user(request)
    if user is None:
        raise HTTPException(
            status_code=401, detail="需要登录或 Bearer 令牌", headers={"WWW-Authenticate": "Bearer"}
        )
    if user.role == CHAT:
        raise HTTPException(status_code=403, detail="聊天系统令牌只能传入顾客消息和读取对话消息")
    return require_own_password(request, user)  # a one-time password: nothing until replaced


@router.get("/desk/events", response_class=EventSourceResponse)
async def events(
    request: Request,
    user: User = Depends(stream_user),
    conversation: ConversationQuery = None,
    max_seconds: float = Query(
        300, gt=0, le=3600, description="End the stream after this long (the browser reconnects)."
    ),
) -> AsyncIterator[ServerSentEvent]:
    """`desk` events carrying the Pulse: one at once, then one whenever it changes."""
    app = request.app
    every = app.state.settings.server.events_poll_seconds
    loop = asyncio.get_running_loop()
    until = loop.time() + max_seconds
    last = None
    while True:
        current = await run_in_threadpool(read_pulse, app, user, conversation)
        if current.version != last:
            last = current.version
            yield ServerSentEvent(event="desk", raw_data=current.model_dump_json(), retry=3000)
        if loop.time() >= until or await request.is_disconnected():
            return
        await asyncio.sleep(min(every, max(0.0, until - loop.time())))
