"""Streaming, tool calls and usage through a resolved model, against a real HTTP fake server."""

from __future__ import annotations

from collections.abc import Callable

from pydantic_ai import Agent

from nexora.providers.resolver import ModelResolver
from nexora.storage.db import Database
from tests.fakes.openai_server import FakeOpenAIServer
from tests.unit.providers.conftest import add_provider


async def test_streams_text_and_usage_through_an_agent(
    db: Database, org_id: str, fake: FakeOpenAIServer, make_resolver: Callable[..., ModelResolver]
) -> None:
    await add_provider(db, org_id, name="local", base_url=fake.base_url, models=["fake-model"])
    fake.reply_text("Hello there, friend", usage=(42, 7), chunks=["Hel", "lo there", ", friend"])
    resolver = make_resolver()
    async with db.session() as session:
        resolved = await resolver.resolve(session, org_id, "local:fake-model")

    agent = Agent(resolved.model)
    async with agent.run_stream("Say hello") as result:
        pieces = [piece async for piece in result.stream_text(delta=True, debounce_by=None)]
    assert "".join(pieces) == "Hello there, friend"
    assert len(pieces) >= 2  # it really streamed
    usage = result.usage
    assert (usage.input_tokens, usage.output_tokens) == (42, 7)

    (sent,) = fake.chat_requests
    assert sent.json["stream"] is True
    assert sent.json["stream_options"] == {"include_usage": True}
    assert sent.json["model"] == "fake-model"
    assert sent.json["messages"][-1] == {"role": "user", "content": "Say hello"}


async def test_tool_call_round_trip(
    db: Database, org_id: str, fake: FakeOpenAIServer, make_resolver: Callable[..., ModelResolver]
) -> None:
    await add_provider(db, org_id, name="local", base_url=fake.base_url, models=["fake-model"])
    fake.reply_tool_call("get_weather", {"city": "Paris"}, call_id="call_w1", usage=(20, 8))
    fake.reply_text("Sunny in Paris.", usage=(30, 4))
    resolver = make_resolver()
    async with db.session() as session:
        resolved = await resolver.resolve(session, org_id, "local:fake-model")

    agent = Agent(resolved.model)
    cities: list[str] = []

    @agent.tool_plain
    def get_weather(city: str) -> str:
        """The weather in a city."""
        cities.append(city)
        return f"sunny in {city}"

    result = await agent.run("What is the weather in Paris?")
    assert result.output == "Sunny in Paris."
    assert cities == ["Paris"]
    assert (result.usage.input_tokens, result.usage.output_tokens) == (50, 12)

    first, second = fake.chat_requests
    assert first.json["tools"][0]["function"]["name"] == "get_weather"
    tool_message = second.json["messages"][-1]
    assert tool_message == {"role": "tool", "tool_call_id": "call_w1", "content": "sunny in Paris"}
    assert second.json["messages"][-2]["tool_calls"][0]["function"]["name"] == "get_weather"


async def test_streamed_tool_call_arrives_in_fragments(
    db: Database, org_id: str, fake: FakeOpenAIServer, make_resolver: Callable[..., ModelResolver]
) -> None:
    await add_provider(db, org_id, name="local", base_url=fake.base_url, models=["fake-model"])
    fake.reply_tool_call("lookup", {"query": "a fairly long query string"})
    fake.reply_text("Found it.")
    resolver = make_resolver()
    async with db.session() as session:
        resolved = await resolver.resolve(session, org_id, "local:fake-model")
    agent = Agent(resolved.model)
    queries: list[str] = []

    @agent.tool_plain
    def lookup(query: str) -> str:
        queries.append(query)
        return "result"

    async with agent.run_stream("find it") as result:
        assert await result.get_output() == "Found it."
    assert queries == ["a fairly long query string"]
    assert all(r.json["stream"] for r in fake.chat_requests)
