"""Lets `respx` routes answer requests made with `httpx2`, the HTTP client the provider SDKs use.

`respx` patches legacy `httpx` only; this transport hands each `httpx2` request to a respx
router and returns its response, so tests can mock a provider's real wire format:

    router = respx.MockRouter(assert_all_called=False)
    router.post("https://api.anthropic.com/v1/messages").respond(json={...})
    client = httpx2.AsyncClient(transport=respx_transport(router))
"""

from __future__ import annotations

import httpx
import httpx2
import respx


def respx_transport(router: respx.MockRouter) -> httpx2.MockTransport:
    async def handle(request: httpx2.Request) -> httpx2.Response:
        legacy = httpx.Request(
            request.method,
            str(request.url),
            headers=list(request.headers.multi_items()),
            content=await request.aread(),
        )
        response = await router.async_handler(legacy)
        content = await response.aread()
        headers = [
            (k, v) for k, v in response.headers.multi_items() if k.lower() != "content-encoding"
        ]
        return httpx2.Response(response.status_code, headers=headers, content=content)

    return httpx2.MockTransport(handle)
