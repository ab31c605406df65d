"""Platform access tokens, fetched once and reused until shortly before they expire."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

# Fetch anew this long before the platform says a token expires: clocks and requests in
# flight need the slack.
MARGIN_SECONDS = 300.0

Fetch = Callable[[], Awaitable[tuple[str, float]]]  # the token, and its lifetime in seconds


class CachedToken:
    def __init__(self, fetch: Fetch) -> None:
        self._fetch = fetch
        self._token: tuple[str, float] | None = None
        self._lock = asyncio.Lock()  # one fetch at a time, not one per concurrent send

    async def get(self) -> str:
        async with self._lock:
            if self._token is None or self._token[1] <= time.monotonic():
                token, lifetime = await self._fetch()
                expires = time.monotonic() + max(lifetime - MARGIN_SECONDS, lifetime / 2)
                self._token = (token, expires)
            return self._token[0]

    def forget(self) -> None:
        """The platform refused the token: the next `get` fetches a new one."""
        self._token = None
