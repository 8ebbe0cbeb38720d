"""Rate limits on the /v1 routes, per client address and per caller (a bearer token, or the
signed-in user of a page session): a fixed window per key, counted in process (each worker
keeps its own counts). Over the limit: 429 with Retry-After and a message in Chinese and
English. Limits and window from settings (COPILOT_SERVER__RATE_LIMIT_*; 0 turns one off).

The client address is `scope["client"]`: the direct peer, or, behind one of
`server.trusted_proxies`, the address the proxy received the request from (copilot.web.proxy
resolves it before this middleware runs); a client's own X-Forwarded-For never counts."""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from copilot.settings import ServerSettings

MAX_KEYS = 50_000  # beyond this, ended windows are dropped (many addresses or forged tokens)


class RateLimiter:
    def __init__(
        self,
        *,
        per_ip: int,
        per_token: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_ip, self.per_token, self.window, self.clock = per_ip, per_token, window, clock
        self._windows: dict[str, list[float]] = {}  # key → [window start, count]

    def hit(self, ip: str, caller: str | None) -> float | None:
        """Count one request; seconds to wait when a limit is exceeded, else None. Runs on the
        event loop without awaiting, so no lock is needed."""
        now = self.clock()
        if len(self._windows) > MAX_KEYS:
            self._windows = {k: w for k, w in self._windows.items() if now - w[0] < self.window}
        waits = []
        for key, limit in ((f"ip:{ip}", self.per_ip), (caller, self.per_token)):
            if key is None or limit <= 0:
                continue
            window = self._windows.get(key)
            if window is None or now - window[0] >= self.window:
                window = self._windows[key] = [now, 0]
            window[1] += 1
            if window[1] > limit:
                waits.append(window[0] + self.window - now)
        return max(waits) if waits else None


def caller_key(scope: Scope) -> str | None:
    """The bearer token (hashed: never kept in memory as sent) or the session's user."""
    for name, value in scope.get("headers", []):
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            return "token:" + hashlib.sha256(value[7:].strip()).hexdigest()[:32]
    session = scope.get("session") or {}
    user_id = session.get("user_id")
    return f"user:{user_id}" if user_id is not None else None


class RateLimit:
    """The ASGI middleware. Put it inside the session middleware to count page sessions by
    user."""

    def __init__(self, app: ASGIApp, *, settings: ServerSettings, prefix: str = "/v1") -> None:
        self.app = app
        self.prefix = prefix
        self.limiter = RateLimiter(
            per_ip=settings.rate_limit_per_ip,
            per_token=settings.rate_limit_per_token,
            window=settings.rate_limit_window_s,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.limiter.hit(client[0] if client else "-", caller_key(scope))
        if wait is None:
            await self.app(scope, receive, send)
            return
        seconds = max(1, math.ceil(wait))
        body = json.dumps(
            {
                "error": "RateLimited",
                "detail": f"请求过于频繁，请{seconds}秒后再试（too many requests: retry in "
                f"{seconds} s）",
            },
            ensure_ascii=False,
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/json; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(seconds).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
