"""What the connectors share: a JSON call that turns the services' error envelopes, HTTP
failures and timeouts into one `UpstreamFailed` naming the service."""

from __future__ import annotations

from typing import Any

import httpx

from nexora.errors import UpstreamFailed


async def call_json(
    client: httpx.AsyncClient, service: str, method: str, url: str, **kwargs: Any
) -> dict[str, Any]:
    """The JSON body of a call answered with `"code": 0`; anything else is UpstreamFailed."""
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise UpstreamFailed(f"{service} did not answer in time ({type(exc).__name__})") from exc
    except httpx.HTTPError as exc:
        raise UpstreamFailed(f"{service} could not be reached: {exc}") from exc
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise UpstreamFailed(
            f"{service} answered {response.status_code} without a JSON object: "
            f"{response.text[:200]!r}"
        )
    if response.is_success and body.get("code") == 0:
        return body
    # Both services put a code and a message in the body, also on HTTP errors; MinerU's
    # gateway uses `msgCode` when the token is refused.
    code = body.get("code", body.get("msgCode"))
    message = body.get("msg") or body.get("message") or response.reason_phrase
    raise UpstreamFailed(
        f"{service} refused the request: {message} (code {code}, HTTP {response.status_code})",
        upstream_code=code,
    )


async def download(client: httpx.AsyncClient, service: str, url: str, max_bytes: int) -> bytes:
    """GET `url` into memory, refusing bodies over `max_bytes` as they stream in."""
    body = bytearray()
    try:
        async with client.stream("GET", url) as response:
            if not response.is_success:
                raise UpstreamFailed(
                    f"{service}: downloading {url} answered {response.status_code}"
                )
            async for piece in response.aiter_bytes():
                body += piece
                if len(body) > max_bytes:
                    raise UpstreamFailed(f"{service}: the download passes {max_bytes} bytes")
    except httpx.TimeoutException as exc:
        raise UpstreamFailed(f"{service}: downloading the result timed out") from exc
    except httpx.HTTPError as exc:
        raise UpstreamFailed(f"{service}: downloading the result failed: {exc}") from exc
    return bytes(body)
