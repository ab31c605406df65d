"""What every search backend returns, and how each one is called."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import httpx


@dataclass(frozen=True, slots=True)
class SearchHit:
    title: str
    url: str
    snippet: str


class SearchBackend(Protocol):
    """One search API's wire format; the HTTP client, base URL and key come from settings."""

    name: str
    default_url: str | None  # None: the operator must give the URL (self-hosted)
    needs_key: bool

    async def search(
        self, client: httpx.AsyncClient, url: str, key: str | None, query: str, count: int
    ) -> list[SearchHit]: ...
