"""Which addresses and URLs web_fetch may reach."""

from __future__ import annotations

import ipaddress

import pytest

from nexora.security.net_guard import (
    DestinationRefused,
    address_refusal,
    check_url,
    resolve_checked,
)
from nexora.security.verdict import Verdict

REFUSED = [
    "127.0.0.1",
    "127.8.9.10",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "0.0.0.0",
    "100.64.0.1",  # carrier-grade NAT
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "2002:7f00:1::",  # 6to4 around 127.0.0.1
    "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo around 10.0.0.1
    "64:ff9b::a00:1",  # NAT64 around 10.0.0.1
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "93.184.215.14", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", REFUSED)
def test_private_and_special_addresses_are_refused(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("file:///etc/passwd", "net.scheme"),
        ("gopher://example.com/", "net.scheme"),
        ("ftp://example.com/", "net.scheme"),
        ("http:///nohost", "net.no_host"),
        ("http://127.0.0.1:8088/api/admin", "net.private_address"),
        ("http://[::1]/", "net.private_address"),
        ("http://169.254.169.254/latest/meta-data/", "net.private_address"),
        ("https://[::ffff:10.0.0.1]/", "net.private_address"),
    ],
)
def test_urls_refused_before_resolving(url: str, rule: str) -> None:
    result = check_url(url)
    assert result.verdict is Verdict.BLOCK
    assert [r.rule for r in result.reasons] == [rule]


def test_names_wait_for_resolution_and_admins_can_allow_a_host() -> None:
    assert check_url("https://example.com/page").allowed
    assert check_url("http://127.0.0.1:9000/", frozenset({"127.0.0.1"})).allowed
    assert check_url("http://Intranet.Local./", frozenset({"intranet.local"})).allowed


@pytest.mark.parametrize(
    "host", ["localhost", "127.1", "2130706433", "0x7f.0.0.1", "017700000001", "0", "::1"]
)
async def test_spellings_of_loopback_are_refused_once_resolved(host: str) -> None:
    with pytest.raises(DestinationRefused) as refused:
        await resolve_checked(host, 80, frozenset())
    assert refused.value.result.reasons[0].rule == "net.private_address"


async def test_allowed_hosts_resolve_without_the_check() -> None:
    addresses = await resolve_checked("localhost", 80, frozenset({"LOCALHOST"}))
    assert "127.0.0.1" in addresses or "::1" in addresses


async def test_unresolvable_names_are_refused() -> None:
    with pytest.raises(DestinationRefused, match="does not resolve"):
        await resolve_checked("no-such-host.invalid", 80, frozenset())
