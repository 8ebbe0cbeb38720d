"""Rendering of the pages: one Jinja2 environment over the templates shipped in the package,
the context every page gets, and the redirect-with-message helper."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from fastapi import Request
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape

from copilot.desk.tables import User
from copilot.schemas import (
    INTENT_NAMES,
    MESSAGE_CLASS_NAMES,
    POPULATION_NAMES,
    ROLE_NAMES,
    TIER_NAMES,
    response_time,
)
from copilot.web.pages import label_text
from copilot.web.session import csrf_token

_ENV = Environment(
    loader=PackageLoader("copilot.web", "templates"),
    autoescape=select_autoescape(["html"]),
)
_ENV.filters["response_time"] = response_time
BEIJING = timezone(timedelta(hours=8), "北京时间")


def beijing(dt: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time as the pharmacy reads it (北京时间)."""
    if dt is None:
        return "—"
    dt = dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    return dt.astimezone(BEIJING).strftime(fmt)


_ENV.filters["beijing"] = beijing


def build_time(build_id: str | None) -> str:
    """An index build as people read it: when it was built, in Beijing time (the id, which
    engineers need, goes in the page's tooltip); the id itself when it does not start with a
    time."""
    try:
        made = datetime.strptime((build_id or "")[:15], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return build_id or "—"
    return beijing(made) + " 构建"


_ENV.filters["build_time"] = build_time
# a product's category as pharmacists say it (处方药, 甲类非处方药), never the data code
CATEGORY_NAMES = {
    "Rx": "处方药",
    "OTC-A": "甲类非处方药",
    "OTC-B": "乙类非处方药",
    "health-product": "保健食品",
}
_ENV.filters["category"] = lambda code: CATEGORY_NAMES.get(code, code)
_ENV.filters["blocks"] = label_text.blocks  # Markdown tables of a label as tables
_ENV.filters["plain"] = label_text.plain  # and as one line in an excerpt
TEMPLATES = Jinja2Templates(env=_ENV)


def render(request: Request, name: str, user: User | None, status_code: int = 200, **context):
    flash = request.session.pop("flash", None)
    return TEMPLATES.TemplateResponse(
        request,
        name,
        {
            "user": user,
            "role_names": ROLE_NAMES,
            "tier_names": TIER_NAMES,
            "class_names": MESSAGE_CLASS_NAMES,
            "intent_names": INTENT_NAMES,
            "population_names": POPULATION_NAMES,
            "csrf": csrf_token(request),
            "flash": flash,
            "now": datetime.now(UTC),
            **context,
        },
        status_code=status_code,
    )


# An English gloss kept for API callers and the console (常见密码（a common password: choose
# another）): a page says it in Chinese only.
_ENGLISH_GLOSS = re.compile(r"（[\x20-\x7e]*[A-Za-z][\x20-\x7e]*）")


def page_text(message: str) -> str:
    """`message` as a page shows it: without its English gloss."""
    return _ENGLISH_GLOSS.sub("", message)


def back(url: str, request: Request, flash: str | None = None) -> RedirectResponse:
    if flash:
        request.session["flash"] = page_text(flash)
    return RedirectResponse(url, status_code=303)


def product_names(request: Request, products) -> dict[str, str]:
    """Cart lines as people read them (阿莫西林胶囊), not label ids: id → display name."""
    out = {}
    for product in products:
        doc = request.app.state.copilot.document(product)
        out[product] = doc.label.display_name if doc and doc.label else product
    return out
