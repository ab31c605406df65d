"""SearXNG (self-hosted metasearch): GET /search?format=json; the instance must have the
json format enabled in its settings.yml (`search.formats`)."""

from __future__ import annotations

from typing import Any

import httpx

from nexora.tools.search.base import SearchHit


class SearXNG:
    name = "searxng"
    default_url: str | None = None
    needs_key = False

    async def search(
        self, client: httpx.AsyncClient, url: str, key: str | None, query: str, count: int
    ) -> list[SearchHit]:
        endpoint = url.rstrip("/")
        if not endpoint.endswith("/search"):
            endpoint += "/search"
        response = await client.get(endpoint, params={"q": query, "format": "json"})
        response.raise_for_status()
        results: list[dict[str, Any]] = response.json().get("results", [])
        return [
            SearchHit(r.get("title", ""), r.get("url", ""), r.get("content", ""))
            for r in results[:count]
        ]
