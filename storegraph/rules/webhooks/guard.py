"""Which targets a delivery may reach: a subscription must not be a way into the deployment's own network.

Only http(s) URLs, and only hosts whose every address is public: loopback, private, link-local, multicast,
reserved, unspecified and other non-global addresses are refused (an IPv4 address inside IPv6, ``::ffff:10.0.0.1``,
is judged as the IPv4 address). ``WEBHOOK_ALLOW_PRIVATE_TARGETS`` turns the address check off (tests, a private
deployment). The check resolves the name and httpx resolves it again to connect, so a name whose DNS answer changes
between the two (DNS rebinding) can slip through: docs/webhooks.md says how to close that gap at the network edge.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(Exception):
    """The URL may not be delivered to: never retried, the reason goes to the delivery log."""


class TargetUnresolved(Exception):
    """The host name has no address right now: a DNS failure, retried like any connection failure."""


def address_problem(address: IpAddress) -> str | None:
    """Why ``address`` may not be a target (``"a private address"``), or ``None`` for a public one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address_problem(address.ipv4_mapped)
    checks = (
        (address.is_unspecified, "an unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.is_private, "a private address"),
        (address.is_reserved, "a reserved address"),
        # Shared (carrier-grade NAT), documentation and other special-purpose ranges that none of the above name.
        (not address.is_global, "not a public address"),
    )
    return next((reason for refused, reason in checks if refused), None)


def target_host(url: str) -> tuple[str, int]:
    """The host and port a delivery to ``url`` connects to; ``TargetRefused`` unless it is an http(s) URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused("the URL cannot be parsed") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise TargetRefused("only http and https URLs are delivered to")
    if not parts.hostname:
        raise TargetRefused("the URL has no host")
    return parts.hostname, port or (443 if scheme == "https" else 80)


async def check_target(url: str, *, allow_private: bool) -> None:
    """Returns if ``url`` may be delivered to; raises ``TargetRefused`` or ``TargetUnresolved``."""
    host, port = target_host(url)
    if allow_private:
        return
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None  # a name, not an address: resolve it
    if literal is not None:
        problem = address_problem(literal)
        if problem is not None:
            raise TargetRefused(f"{host} is {problem}")
        return
    for address in await _resolve(host, port):
        problem = address_problem(address)
        if problem is not None:
            raise TargetRefused(f"{host} resolves to {address}, {problem}")


async def _resolve(host: str, port: int) -> list[IpAddress]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise TargetUnresolved(f"cannot resolve {host}: {error}") from None
    # A scoped IPv6 address comes back as "fe80::1%eth0"; the scope says nothing about where it points.
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise TargetUnresolved(f"cannot resolve {host}: no address")
    return addresses
