"""Web search backends by name; `settings.search_provider` picks one."""

from __future__ import annotations

from nexora.tools.search.base import SearchBackend, SearchHit
from nexora.tools.search.brave import Brave
from nexora.tools.search.searxng import SearXNG
from nexora.tools.search.tavily import Tavily

BACKENDS: dict[str, SearchBackend] = {b.name: b for b in (Brave(), Tavily(), SearXNG())}

__all__ = ["BACKENDS", "SearchBackend", "SearchHit"]
