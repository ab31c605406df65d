"""web_fetch against a real HTTP server on loopback, which only an admin's allow list opens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nexora.security.net_guard import DestinationRefused
from nexora.security.verdict import Verdict
from nexora.tools.base import ToolError
from nexora.tools.builtin import BUILTIN_TOOLS
from nexora.tools.builtin.web_fetch import MAX_BODY_BYTES, WebFetchInput
from tests.fakes.web_site import LoopbackSite, Reply
from tests.unit.tools.conftest import MakeContext

FETCH = BUILTIN_TOOLS["web_fetch"]
PAGE = b"""<!doctype html><html><head><title>Release notes</title>
<script>track()</script><style>p{}</style></head>
<body><h1>Version 2</h1><p>Faster &amp; smaller. See <a href="/docs">the docs</a>.</p>
<ul><li>one</li><li>two</li></ul></body></html>"""


@pytest.fixture
def site() -> Iterator[LoopbackSite]:
    with LoopbackSite() as running:
        running.route("/", Reply(body=PAGE, content_type="text/html; charset=utf-8"))
        running.route("/data", Reply.json({"ok": True}))
        running.route("/image", Reply(body=b"\x89PNG\x00" * 10, content_type="image/png"))
        running.route("/big", Reply(body=b"a" * (MAX_BODY_BYTES + 10)))
        yield running


async def test_loopback_is_refused_unless_allowed(
    site: LoopbackSite, make_context: MakeContext
) -> None:
    url = site.url("/")
    closed = make_context()
    assert FETCH.check(WebFetchInput(url=url), closed).verdict is Verdict.BLOCK
    with pytest.raises(DestinationRefused, match="loopback"):
        await FETCH.run(WebFetchInput(url=url), closed)
    assert site.requests == []

    opened = make_context(allowed_hosts=frozenset({"127.0.0.1"}))
    assert FETCH.check(WebFetchInput(url=url), opened).allowed
    text = await FETCH.run(WebFetchInput(url=url), opened)
    assert text.splitlines()[:2] == [f"URL: {url}", "Status: 200"]
    assert "# Release notes" in text and "# Version 2" in text
    assert f"Faster & smaller. See [the docs]({site.url('/docs')})." in text
    assert "- one\n- two" in text
    assert "track()" not in text and "p{}" not in text


async def test_a_name_is_connected_by_the_checked_address_with_its_host_header(
    site: LoopbackSite, make_context: MakeContext
) -> None:
    context = make_context(allowed_hosts=frozenset({"localhost"}))
    text = await FETCH.run(WebFetchInput(url=site.url("/data", host="localhost")), context)
    assert text.endswith('{"ok": true}')
    assert site.requests[-1].headers["host"] == f"localhost:{site.port}"


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/data",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
    ],
)
async def test_every_redirect_is_checked_again(
    site: LoopbackSite, make_context: MakeContext, target: str
) -> None:
    site.route("/hop", Reply.redirect(target.format(port=site.port)))
    context = make_context(allowed_hosts=frozenset({"localhost"}))
    with pytest.raises(DestinationRefused):
        await FETCH.run(WebFetchInput(url=site.url("/hop", host="localhost")), context)
    assert [r.path for r in site.requests] == ["/hop"]


async def test_redirects_are_followed_up_to_a_limit(
    site: LoopbackSite, make_context: MakeContext
) -> None:
    context = make_context(allowed_hosts=frozenset({"127.0.0.1"}))
    site.route("/old", Reply.redirect("/data", status=301))
    moved = await FETCH.run(WebFetchInput(url=site.url("/old")), context)
    assert moved.startswith(f"URL: {site.url('/data')}\nStatus: 200")
    site.route("/loop", Reply.redirect("/loop"))
    with pytest.raises(ToolError, match="more than 5 redirects"):
        await FETCH.run(WebFetchInput(url=site.url("/loop")), context)
    assert len([r for r in site.requests if r.path == "/loop"]) == 6


async def test_bodies_and_answers_are_capped(site: LoopbackSite, make_context: MakeContext) -> None:
    context = make_context(allowed_hosts=frozenset({"127.0.0.1"}))
    big = await FETCH.run(WebFetchInput(url=site.url("/big"), max_chars=1000), context)
    assert f"[body cut at {MAX_BODY_BYTES} bytes]" in big
    assert big.endswith(f"[… {MAX_BODY_BYTES - 1000} more characters not shown]")
    image = await FETCH.run(WebFetchInput(url=site.url("/image")), context)
    assert image.endswith("[image/png content, 50 bytes, not shown]")
    missing = await FETCH.run(WebFetchInput(url=site.url("/missing")), context)
    assert "Status: 404" in missing


async def test_a_closed_port_is_a_tool_error(make_context: MakeContext) -> None:
    context = make_context(allowed_hosts=frozenset({"127.0.0.1"}))
    with pytest.raises(ToolError, match="could not connect"):
        await FETCH.run(WebFetchInput(url="http://127.0.0.1:9/"), context)
