"""Brave Search API: GET /res/v1/web/search, key in X-Subscription-Token."""

from __future__ import annotations

from typing import Any

import httpx

from nexora.tools.search.base import SearchHit


class Brave:
    name = "brave"
    default_url: str | None = "https://api.search.brave.com/res/v1/web/search"
    needs_key = True

    async def search(
        self, client: httpx.AsyncClient, url: str, key: str | None, query: str, count: int
    ) -> list[SearchHit]:
        response = await client.get(
            url,
            params={"q": query, "count": min(count, 20)},
            headers={"Accept": "application/json", "X-Subscription-Token": key or ""},
        )
        response.raise_for_status()
        results: list[dict[str, Any]] = response.json().get("web", {}).get("results", [])
        return [
            SearchHit(r.get("title", ""), r.get("url", ""), r.get("description", ""))
            for r in results
        ]
