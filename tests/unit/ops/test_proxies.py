"""The client address behind trusted proxies (SPEC §10): only a trusted peer's header counts."""

from __future__ import annotations

import pytest

from freight.proxies import client_address

PROXIES = ["10.0.0.0/8", "192.168.1.7", "2001:db8::/32"]


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "client"),
    [
        ("203.0.113.5", "1.2.3.4", [], "203.0.113.5"),  # nobody trusted: the socket peer
        ("203.0.113.5", "1.2.3.4", PROXIES, "203.0.113.5"),  # peer is not a proxy: header ignored
        ("10.1.2.3", None, PROXIES, "10.1.2.3"),  # a proxy without a header
        ("10.1.2.3", "198.51.100.9", PROXIES, "198.51.100.9"),
        ("10.1.2.3", "6.6.6.6, 198.51.100.9", PROXIES, "198.51.100.9"),  # left part is the client's
        ("10.1.2.3", "198.51.100.9, 10.4.4.4, 192.168.1.7", PROXIES, "198.51.100.9"),  # chained
        ("10.1.2.3", "198.51.100.9:5123", PROXIES, "198.51.100.9"),  # a port
        ("10.1.2.3", "[2001:db9::1]:443", PROXIES, "2001:db9::1"),  # bracketed IPv6
        ("2001:db8::5", "2001:db9::1", PROXIES, "2001:db9::1"),
        ("10.1.2.3", "10.9.9.9, 192.168.1.7", PROXIES, "10.9.9.9"),  # every hop a proxy
        ("10.1.2.3", " , ", PROXIES, "10.1.2.3"),  # an empty header
        ("10.1.2.3", "garbage, 198.51.100.9", PROXIES, "198.51.100.9"),
        ("10.1.2.3", "198.51.100.9, garbage", PROXIES, "garbage"),  # not trusted: taken as given
        (None, "1.2.3.4", PROXIES, "unknown"),
    ],
)
def test_client_address(
    peer: str | None, forwarded: str | None, trusted: list[str], client: str
) -> None:
    assert client_address(peer, forwarded, trusted) == client
