"""`web_fetch`: a web page as readable text, from public addresses only."""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx
from pydantic import BaseModel, ConfigDict, Field

from nexora.security.net_guard import DestinationRefused, check_url, resolve_checked
from nexora.security.verdict import Danger, GuardResult
from nexora.tools.base import ToolContext, ToolError, ToolSpec
from nexora.tools.builtin._files import clip
from nexora.tools.builtin._html import html_to_text

MAX_REDIRECTS = 5
MAX_BODY_BYTES = 5 * 1024 * 1024
TIMEOUT = httpx.Timeout(20.0, connect=10.0)
USER_AGENT = "Nexora/0.1 (web_fetch tool)"
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")


class WebFetchInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=8192, description="An http:// or https:// URL.")
    max_chars: int = Field(
        default=20_000, ge=100, le=200_000, description="Return at most this many characters."
    )


@dataclass(frozen=True, slots=True)
class Page:
    url: str  # after redirects
    status: int
    content_type: str
    body: bytes
    encoding: str
    truncated: bool


async def fetch(url: str, allowed_hosts: frozenset[str]) -> Page:
    """GET `url`, following up to five redirects by hand so every hop is checked, and
    connecting to the address the guard approved rather than resolving the name again."""
    async with httpx.AsyncClient(timeout=TIMEOUT, trust_env=False) as client:
        current = httpx.URL(url)
        for _hop in range(MAX_REDIRECTS + 1):
            response = await _get_checked(client, current, allowed_hosts)
            try:
                if response.is_redirect and "location" in response.headers:
                    current = current.join(response.headers["location"])
                    continue
                body, truncated = await _read_capped(response)
            finally:
                await response.aclose()
            return Page(
                url=str(current),
                status=response.status_code,
                content_type=response.headers.get("content-type", ""),
                body=body,
                encoding=response.charset_encoding or "utf-8",
                truncated=truncated,
            )
    raise ToolError(f"more than {MAX_REDIRECTS} redirects from {url}")


async def post_json(url: str, payload: object, allowed_hosts: frozenset[str]) -> int:
    """POSTs `payload` as JSON to `url` under the same guard as `fetch` (redirects are not
    followed: a webhook answers where it is); returns the status code."""
    async with httpx.AsyncClient(timeout=TIMEOUT, trust_env=False) as client:
        response = await _send_checked(
            client, httpx.URL(url), allowed_hosts, "POST", content=json.dumps(payload).encode()
        )
        await response.aclose()
        return response.status_code


async def _get_checked(
    client: httpx.AsyncClient, url: httpx.URL, allowed_hosts: frozenset[str]
) -> httpx.Response:
    return await _send_checked(client, url, allowed_hosts, "GET")


async def _send_checked(
    client: httpx.AsyncClient,
    url: httpx.URL,
    allowed_hosts: frozenset[str],
    method: str,
    content: bytes | None = None,
) -> httpx.Response:
    verdict = check_url(str(url), allowed_hosts)
    if not verdict.allowed:
        raise DestinationRefused(verdict)
    host = url.raw_host.decode("ascii")  # IDNA-encoded, as DNS and SNI want it
    addresses = await resolve_checked(host, url.port or _default_port(url), allowed_hosts)
    failure: httpx.HTTPError | None = None
    for address in addresses:  # in resolver order, as a browser tries them
        headers = {"Host": url.netloc.decode("ascii"), "User-Agent": USER_AGENT}
        if content is not None:
            headers["Content-Type"] = "application/json"
        request = client.build_request(
            method,
            url.copy_with(host=address),
            # The name goes in the Host header and, for TLS, in SNI and certificate checks.
            headers=headers,
            content=content,
            extensions={"sni_hostname": host} if url.scheme == "https" else {},
        )
        try:
            return await client.send(request, stream=True)
        except httpx.ConnectError as exc:
            failure = exc
        except httpx.HTTPError as exc:
            raise ToolError(f"could not fetch {url}: {exc.__class__.__name__}: {exc}") from None
    raise ToolError(f"could not connect to {url}: {failure}")


def _default_port(url: httpx.URL) -> int:
    return 443 if url.scheme == "https" else 80


async def _read_capped(response: httpx.Response) -> tuple[bytes, bool]:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return bytes(body[:MAX_BODY_BYTES]), True
    return bytes(body), False


def page_text(page: Page) -> str:
    media = page.content_type.split(";", 1)[0].strip().lower()
    if not (media.startswith(_TEXT_TYPES) or media.endswith(("+json", "+xml")) or not media):
        return f"[{media} content, {len(page.body)} bytes, not shown]"
    text = page.body.decode(page.encoding, errors="replace")
    if media in ("text/html", "application/xhtml+xml") or (not media and "<html" in text[:1000]):
        return html_to_text(text, page.url)
    return text


async def run(args: WebFetchInput, context: ToolContext) -> str:
    page = await fetch(args.url, context.allowed_hosts)
    head = f"URL: {page.url}\nStatus: {page.status}\n"
    if page.truncated:
        head += f"[body cut at {MAX_BODY_BYTES} bytes]\n"
    return head + "\n" + clip(page_text(page), args.max_chars)


def assess(args: WebFetchInput, context: ToolContext) -> GuardResult:
    return check_url(args.url, context.allowed_hosts)


SPEC = ToolSpec(
    name="web_fetch",
    description=(
        "Fetch a web page (http or https) and return it as readable text, links as "
        "[text](url). Private and local network addresses are refused."
    ),
    input_model=WebFetchInput,
    danger=Danger.LOW,
    run=run,
    assess=assess,
)
