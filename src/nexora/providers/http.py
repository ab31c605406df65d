"""The HTTP client each provider talks through: its proxy, its timeouts, its connection pool.

The provider SDKs (openai, anthropic, google-genai) are built on `httpx2`, so the clients are
`httpx2.AsyncClient`s; handing them a legacy `httpx` client is deprecated in pydantic-ai.
Imported lazily by the resolver: `httpx2` is not needed to start the API.
"""

from __future__ import annotations

import httpx2

from nexora import __version__
from nexora.providers.config import ProviderConfig

# A connection that cannot be opened in this long will not open; the read timeout is the
# provider's own, since a slow model legitimately takes long to answer.
MAX_CONNECT_SECONDS = 10.0


def client_timeout(seconds: float) -> httpx2.Timeout:
    return httpx2.Timeout(seconds, connect=min(seconds, MAX_CONNECT_SECONDS))


def build_http_client(
    config: ProviderConfig, *, transport: httpx2.AsyncBaseTransport | None = None
) -> httpx2.AsyncClient:
    """A client for one (org, provider); `transport` is for tests that fake the network."""
    return httpx2.AsyncClient(
        proxy=config.proxy_url if transport is None else None,
        transport=transport,
        timeout=client_timeout(config.timeout_seconds),
        limits=httpx2.Limits(max_connections=100, max_keepalive_connections=20),
        headers={"User-Agent": f"nexora/{__version__}"},
        follow_redirects=False,
    )
