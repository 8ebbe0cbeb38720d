"""Running behind a reverse proxy: the client's address and the scheme it used, taken from the
proxy's X-Forwarded-For and X-Forwarded-Proto only when the request's direct peer is one of
`server.trusted_proxies`.

X-Forwarded-For is read from the right: each trusted proxy appends the address it received
the request from, so the right-most address that is not itself a trusted proxy is the one a
trusted proxy saw; everything to its left was written by the client and may be forged. With no
trusted proxies (the default) the headers are ignored and the peer is the client, so nobody can
choose the address the rate limits and the login throttle count, or the access log shows.

The middleware rewrites the ASGI scope in place (`client`, `scheme`), as uvicorn's own proxy
middleware does: the rate limits, `request.client`, the session cookie's Secure flag and
uvicorn's access log (which reads the same scope) all see the resolved values. `copilot serve`
turns uvicorn's own forwarded-header handling off (it trusts 127.0.0.1 by default) so that this
setting is the only one."""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from starlette.types import ASGIApp, Receive, Scope, Send

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network
SCHEMES = {"http": {"http": "http", "https": "https"}, "websocket": {"http": "ws", "https": "wss"}}


def parse_address(text: str) -> Address | None:
    """An address as proxies write it: `203.0.113.7`, `203.0.113.7:5123`, `2001:db8::1`,
    `[2001:db8::1]:443`; an IPv4-mapped IPv6 address as its IPv4 one. None for anything else
    (`unknown`, a name, garbage)."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:  # IPv4 with a port (IPv6 has two colons or more)
        text = text.split(":", 1)[0]
    try:
        addr = ip_address(text)
    except ValueError:
        return None
    if isinstance(addr, IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def is_trusted(addr: Address, trusted: Sequence[Network]) -> bool:
    return any(addr.version == net.version and addr in net for net in trusted)


def forwarded_client(forwarded_for: Sequence[str], trusted: Sequence[Network]) -> Address | None:
    """The client address in an X-Forwarded-For chain sent by a trusted peer: the right-most
    address that is not a trusted proxy; the left-most when every one is trusted. None (keep
    the peer) for an empty chain or when an entry that would have to be read is not an
    address."""
    chain = [part for value in forwarded_for for part in value.split(",") if part.strip()]
    first = None
    for entry in reversed(chain):
        addr = parse_address(entry)
        if addr is None:
            return None  # a malformed hop: the proxy's own address is the safe choice
        if not is_trusted(addr, trusted):
            return addr
        first = addr
    return first


def forwarded_scheme(forwarded_proto: Sequence[str]) -> str | None:
    """`http` or `https` from X-Forwarded-Proto (its right-most value: the one the trusted peer
    wrote); None for anything else."""
    values = [part.strip().lower() for value in forwarded_proto for part in value.split(",")]
    values = [v for v in values if v]
    return values[-1] if values and values[-1] in ("http", "https") else None


def resolve(scope: Scope, trusted: Sequence[Network]) -> None:
    """Rewrite `scope["client"]` and `scope["scheme"]` from the forwarded headers when the
    direct peer is a trusted proxy; leave the scope as it is otherwise."""
    client = scope.get("client")
    peer = parse_address(client[0]) if client else None
    if peer is None or not is_trusted(peer, trusted):
        return
    forwarded_for, forwarded_proto = [], []
    for name, value in scope.get("headers", []):
        if name == b"x-forwarded-for":
            forwarded_for.append(value.decode("latin-1"))
        elif name == b"x-forwarded-proto":
            forwarded_proto.append(value.decode("latin-1"))
    addr = forwarded_client(forwarded_for, trusted)
    if addr is not None:
        scope["client"] = (str(addr), 0)
    scheme = forwarded_scheme(forwarded_proto)
    if scheme is not None:
        scope["scheme"] = SCHEMES[scope["type"]][scheme]


class ProxyHeaders:
    """The ASGI middleware; the outermost one, so that everything inside sees the client."""

    def __init__(self, app: ASGIApp, *, trusted: Sequence[Network]) -> None:
        self.app = app
        self.trusted = tuple(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.trusted and scope["type"] in SCHEMES:
            resolve(scope, self.trusted)
        await self.app(scope, receive, send)
