"""Tavily: POST /search with a JSON body, key as a bearer token."""

from __future__ import annotations

from typing import Any

import httpx

from nexora.tools.search.base import SearchHit


class Tavily:
    name = "tavily"
    default_url: str | None = "https://api.tavily.com/search"
    needs_key = True

    async def search(
        self, client: httpx.AsyncClient, url: str, key: str | None, query: str, count: int
    ) -> list[SearchHit]:
        response = await client.post(
            url,
            json={"query": query, "max_results": min(count, 20), "search_depth": "basic"},
            headers={"Authorization": f"Bearer {key or ''}"},
        )
        response.raise_for_status()
        results: list[dict[str, Any]] = response.json().get("results", [])
        return [
            SearchHit(r.get("title", ""), r.get("url", ""), r.get("content", "")) for r in results
        ]
