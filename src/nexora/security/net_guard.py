"""Where `web_fetch` may connect: public addresses only, unless an admin allowed the host.

The check is on the addresses a name resolves to, never on how the URL spells the host:
`2130706433`, `0x7f.1`, `[::ffff:127.0.0.1]` and a DNS name pointing at 10.0.0.1 are all
caught because they resolve to a refused address. The caller connects to the address that
was checked (not to the name again), so a DNS answer cannot change between check and use.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from nexora.errors import Forbidden
from nexora.security.verdict import Danger, GuardResult, block

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = frozenset({"http", "https"})
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class DestinationRefused(Forbidden):
    """A URL whose scheme or address the network guard refuses; `.result` says why."""

    def __init__(self, result: GuardResult) -> None:
        super().__init__("; ".join(r.message for r in result.reasons))
        self.result = result


def address_refusal(ip: IPAddress) -> str | None:
    """Why `ip` is off limits (loopback, private, link-local, ...), or None if it is public.
    IPv6 forms that embed an IPv4 address (mapped, 6to4, Teredo, NAT64) are judged by it."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            reason = address_refusal(embedded)
            return f"{reason} (inside {ip})" if reason else None
    for kind in ("loopback", "unspecified", "link_local", "private", "multicast", "reserved"):
        if getattr(ip, f"is_{kind}"):
            return f"{ip} is a {kind.replace('_', '-')} address"
    if not ip.is_global:
        return f"{ip} is not a public address"
    return None


def host_allowed(host: str, allowed_hosts: frozenset[str]) -> bool:
    return host.lower().rstrip(".") in {h.lower().rstrip(".") for h in allowed_hosts}


def check_url(url: str, allowed_hosts: frozenset[str] = frozenset()) -> GuardResult:
    """What can be told before resolving: the scheme, and a host written as an address."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        return _refused("net.scheme", f"only http and https URLs, not {parts.scheme or url!r}")
    host = parts.hostname
    if not host:
        return _refused("net.no_host", f"{url!r} names no host")
    if host_allowed(host, allowed_hosts):
        return GuardResult()
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return GuardResult()  # a name: judged once resolved
    reason = address_refusal(literal)
    return _refused("net.private_address", reason) if reason else GuardResult()


async def resolve_checked(host: str, port: int, allowed_hosts: frozenset[str]) -> list[str]:
    """The addresses `host` resolves to, all of them public (or the host allowed by an
    admin); raises DestinationRefused if any is not — a name with one private address
    among public ones could otherwise be steered to it."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise DestinationRefused(
            _refused("net.unresolvable", f"{host} does not resolve: {exc.strerror}")
        ) from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if host_allowed(host, allowed_hosts):
        return addresses
    for address in addresses:
        reason = address_refusal(ipaddress.ip_address(address.split("%", 1)[0]))
        if reason:
            message = f"{host} resolves to {reason}; an admin can allow the host"
            raise DestinationRefused(_refused("net.private_address", message))
    return addresses


def _refused(rule: str, message: str) -> GuardResult:
    return GuardResult.of([block(rule, message, Danger.HIGH)])
