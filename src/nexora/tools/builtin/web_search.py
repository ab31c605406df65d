"""`web_search`: results from the search API the operator configured."""

from __future__ import annotations

import httpx
from pydantic import BaseModel, ConfigDict, Field

from nexora.config.settings import Settings
from nexora.security.verdict import Danger
from nexora.tools.base import ToolContext, ToolError, ToolSpec
from nexora.tools.builtin._html import html_to_text
from nexora.tools.search import BACKENDS, SearchBackend

TIMEOUT = httpx.Timeout(20.0, connect=10.0)
MAX_SNIPPET_CHARS = 500


class WebSearchInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=400, description="What to search the web for.")
    count: int = Field(default=5, ge=1, le=20, description="How many results to return.")


def configured_backend(settings: Settings) -> tuple[SearchBackend, str, str | None]:
    """The backend, its URL and key; a clear error names what is missing."""
    if settings.search_provider is None:
        raise ToolError(
            "web search is not configured: an operator sets NEXORA_SEARCH_PROVIDER "
            f"({', '.join(sorted(BACKENDS))}) and its key or URL"
        )
    backend = BACKENDS[settings.search_provider]
    url = settings.search_api_url or backend.default_url
    if url is None:
        raise ToolError(f"web search with {backend.name} needs NEXORA_SEARCH_API_URL")
    key = settings.search_api_key.get_secret_value() if settings.search_api_key else None
    if backend.needs_key and not key:
        raise ToolError(f"web search with {backend.name} needs NEXORA_SEARCH_API_KEY")
    return backend, url, key


async def run(args: WebSearchInput, context: ToolContext) -> str:
    backend, url, key = configured_backend(context.settings)
    # The operator chose this URL (a self-hosted SearXNG may well be on a private network),
    # so it is not subject to the web_fetch address guard; proxies from the environment apply.
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        try:
            hits = await backend.search(client, url, key, args.query, args.count)
        except httpx.HTTPStatusError as exc:
            raise ToolError(
                f"{backend.name} answered {exc.response.status_code}: {exc.response.text[:300]}"
            ) from None
        except (httpx.HTTPError, ValueError) as exc:
            raise ToolError(
                f"{backend.name} search failed: {exc.__class__.__name__}: {exc}"
            ) from None
    if not hits:
        return f"No results for {args.query!r}."
    lines = []
    for number, hit in enumerate(hits[: args.count], start=1):
        # Snippets carry highlighting markup and entities (Brave's <strong>, &#x27;).
        title, snippet = html_to_text(hit.title), html_to_text(hit.snippet)
        lines.append(f"{number}. {title}\n   {hit.url}\n   {snippet[:MAX_SNIPPET_CHARS]}")
    return "\n".join(lines)


SPEC = ToolSpec(
    name="web_search",
    description=(
        "Search the web; returns numbered results with title, URL and a snippet. "
        "Use web_fetch to read a result."
    ),
    input_model=WebSearchInput,
    danger=Danger.LOW,
    run=run,
)
