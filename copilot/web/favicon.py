"""`/favicon.ico`: the service's own small icon, shipped in the package (browsers ask for it on
every page; without it each page logs a 404, and no icon comes from a CDN)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import Response

router = APIRouter(include_in_schema=False)


@cache
def icon() -> bytes:
    """A 32×32 icon (PNG in an ICO container): a white cross on the pharmacy's green."""
    return files("copilot.web").joinpath("static/favicon.ico").read_bytes()


@router.get("/favicon.ico")
def favicon() -> Response:
    return Response(
        icon(),
        media_type="image/vnd.microsoft.icon",
        headers={"Cache-Control": "public, max-age=86400"},
    )
