"""web_search against loopback fakes that speak each provider's real wire format."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nexora.config import Settings
from nexora.tools.base import ToolError
from nexora.tools.builtin import BUILTIN_TOOLS
from nexora.tools.builtin.web_search import WebSearchInput
from tests.fakes.web_site import LoopbackSite, Reply
from tests.unit.tools.conftest import MakeContext

SEARCH = BUILTIN_TOOLS["web_search"]

BRAVE_RESPONSE = {
    "type": "search",
    "query": {"original": "nexora agents", "more_results_available": True},
    "mixed": {"type": "mixed", "main": [{"type": "web", "index": 0, "all": False}]},
    "web": {
        "type": "search",
        "family_friendly": True,
        "results": [
            {
                "type": "search_result",
                "title": "Nexora &amp; <strong>agents</strong>",
                "url": "https://nexora.example/agents",
                "is_source_local": False,
                "description": "Self-hosted <strong>agents</strong> for teams.",
                "profile": {"name": "Nexora", "url": "https://nexora.example"},
                "language": "en",
            },
            {
                "type": "search_result",
                "title": "Second",
                "url": "https://second.example/",
                "description": "Another page.",
            },
        ],
    },
}
TAVILY_RESPONSE = {
    "query": "nexora agents",
    "follow_up_questions": None,
    "answer": None,
    "images": [],
    "results": [
        {
            "title": "Nexora docs",
            "url": "https://docs.nexora.example/",
            "content": "How agents use tools.",
            "score": 0.92,
            "raw_content": None,
        }
    ],
    "response_time": 1.09,
}
SEARXNG_RESPONSE = {
    "query": "nexora agents",
    "number_of_results": 0,
    "results": [
        {
            "url": "https://a.example/",
            "title": "A",
            "content": "first",
            "engine": "duckduckgo",
            "engines": ["duckduckgo"],
            "score": 1.0,
            "category": "general",
        },
        {"url": "https://b.example/", "title": "B", "content": "second", "engine": "bing"},
        {"url": "https://c.example/", "title": "C", "content": "third", "engine": "bing"},
    ],
    "answers": [],
    "suggestions": [],
    "unresponsive_engines": [],
}


@pytest.fixture
def site() -> Iterator[LoopbackSite]:
    with LoopbackSite() as running:
        yield running


async def test_brave(site: LoopbackSite, make_context: MakeContext, tmp_path: Path) -> None:
    site.route("/res/v1/web/search", Reply.json(BRAVE_RESPONSE))
    context = make_context(
        settings=Settings(
            home=tmp_path / "home",
            search_provider="brave",
            search_api_url=site.url("/res/v1/web/search"),
            search_api_key="brave-key",
        )
    )
    text = await SEARCH.run(WebSearchInput(query="nexora agents", count=2), context)
    assert text.splitlines() == [
        "1. Nexora & agents",
        "   https://nexora.example/agents",
        "   Self-hosted agents for teams.",
        "2. Second",
        "   https://second.example/",
        "   Another page.",
    ]
    seen = site.requests[0]
    assert seen.method == "GET" and seen.query == {"q": "nexora agents", "count": "2"}
    assert seen.headers["x-subscription-token"] == "brave-key"


async def test_tavily(site: LoopbackSite, make_context: MakeContext, tmp_path: Path) -> None:
    site.route("/search", Reply.json(TAVILY_RESPONSE))
    context = make_context(
        settings=Settings(
            home=tmp_path / "home",
            search_provider="tavily",
            search_api_url=site.url("/search"),
            search_api_key="tvly-key",
        )
    )
    text = await SEARCH.run(WebSearchInput(query="nexora agents"), context)
    assert text.splitlines() == [
        "1. Nexora docs",
        "   https://docs.nexora.example/",
        "   How agents use tools.",
    ]
    seen = site.requests[0]
    assert seen.method == "POST" and seen.headers["authorization"] == "Bearer tvly-key"
    assert seen.json()["query"] == "nexora agents" and seen.json()["max_results"] == 5


async def test_searxng(site: LoopbackSite, make_context: MakeContext, tmp_path: Path) -> None:
    site.route("/search", Reply.json(SEARXNG_RESPONSE))
    context = make_context(
        settings=Settings(
            home=tmp_path / "home", search_provider="searxng", search_api_url=site.url("/")
        )
    )
    text = await SEARCH.run(WebSearchInput(query="nexora agents", count=2), context)
    assert [line for line in text.splitlines() if line[0].isdigit()] == ["1. A", "2. B"]
    assert site.requests[0].query == {"q": "nexora agents", "format": "json"}


async def test_provider_errors_reach_the_model(
    site: LoopbackSite, make_context: MakeContext, tmp_path: Path
) -> None:
    site.route("/search", Reply.json({"detail": {"error": "Unauthorized: missing key"}}, 401))
    context = make_context(
        settings=Settings(
            home=tmp_path / "home",
            search_provider="tavily",
            search_api_url=site.url("/search"),
            search_api_key="wrong",
        )
    )
    with pytest.raises(ToolError, match=r"tavily answered 401.*missing key"):
        await SEARCH.run(WebSearchInput(query="x"), context)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({}, r"not configured.*NEXORA_SEARCH_PROVIDER"),
        ({"search_provider": "brave"}, "NEXORA_SEARCH_API_KEY"),
        ({"search_provider": "searxng"}, "NEXORA_SEARCH_API_URL"),
    ],
)
async def test_missing_configuration_is_a_clear_error(
    make_context: MakeContext, tmp_path: Path, settings: dict[str, str], message: str
) -> None:
    context = make_context(settings=Settings(home=tmp_path / "home", **settings))
    with pytest.raises(ToolError, match=message):
        await SEARCH.run(WebSearchInput(query="x"), context)


def test_an_unknown_provider_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="search_provider"):
        Settings(home=tmp_path, search_provider="bing")  # type: ignore[arg-type]
