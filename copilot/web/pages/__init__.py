"""The pages agents, pharmacists and admins use (Simplified Chinese, server-rendered Jinja2,
no external assets): one module per page family, one router for all."""

from __future__ import annotations

from fastapi import APIRouter

from copilot.web.pages import (
    account,
    adr,
    console,
    customers,
    dashboard,
    escalations,
    kb,
    login,
    users,
)
from copilot.web.pages.render import render

router = APIRouter(include_in_schema=False)
# adr before escalations: its POST /escalations/{id}/adr precedes the queue's /{step}
for _module in (login, account, users, console, customers, adr, escalations, kb, dashboard):
    router.include_router(_module.router)

__all__ = ["render", "router"]
