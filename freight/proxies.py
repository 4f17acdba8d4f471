"""Which address a request comes from, behind trusted proxies (SPEC §10). Pure, stdlib only.

The socket peer is the client, unless the peer is one of FREIGHT_TRUSTED_PROXIES: then the
client is the right-most X-Forwarded-For hop that is not itself a trusted proxy (each proxy
appends the address it saw, so everything left of the first untrusted hop is what the client
chose to send). uvicorn's own rewriting is given the same list (`freight serve`,
freight.gunicorn_conf), so it never believes more than this does.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=32)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in trusted if item)


def _host(hop: str) -> str:
    """An X-Forwarded-For hop without a port or IPv6 brackets ("[::1]:80", "1.2.3.4:5")."""
    hop = hop.strip()
    if hop.startswith("["):
        return hop[1:].split("]", 1)[0]
    if hop.count(":") == 1:
        return hop.split(":", 1)[0]
    return hop


def is_trusted(address: str | None, trusted: Sequence[str]) -> bool:
    if not address or not trusted:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _networks(tuple(trusted)))


def client_address(peer: str | None, x_forwarded_for: str | None, trusted: Sequence[str]) -> str:
    """The socket peer, or (only when the peer is trusted) the right-most untrusted hop."""
    if not is_trusted(peer, trusted) or not x_forwarded_for:
        return peer or "unknown"
    hops = [_host(h) for h in x_forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer or "unknown"  # every hop a proxy: the farthest one
