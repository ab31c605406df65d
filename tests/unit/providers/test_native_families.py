"""Anthropic and Gemini through the resolver, with `respx` speaking their real wire formats."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import respx
from pydantic_ai import Agent
from pydantic_ai.exceptions import ModelOverloadedError
from pydantic_ai.settings import ModelSettings

from nexora.config import Settings
from nexora.governance.secrets import SecretBox
from nexora.providers.detect import LocalDetector
from nexora.providers.resolver import ModelResolver
from nexora.storage.db import Database
from tests.fakes.respx_httpx2 import respx_transport


@pytest.fixture
def router() -> respx.MockRouter:
    return respx.MockRouter(assert_all_called=True)


@pytest.fixture
async def resolver_for(
    tmp_path: Path, secrets: SecretBox, router: respx.MockRouter
) -> AsyncIterator[Callable[..., ModelResolver]]:
    made: list[ModelResolver] = []

    def make(**settings: object) -> ModelResolver:
        resolver = ModelResolver(
            Settings(home=tmp_path / "home", detect_local_models=False, **settings),  # type: ignore[arg-type]
            secrets,
            detector=LocalDetector([]),
            transport=respx_transport(router),
        )
        made.append(resolver)
        return resolver

    yield make
    for resolver in made:
        await resolver.aclose()


async def test_anthropic_messages_api_text_and_usage(
    db: Database, org_id: str, router: respx.MockRouter, resolver_for: Callable[..., ModelResolver]
) -> None:
    route = router.post("https://api.anthropic.com/v1/messages").respond(
        json={
            "id": "msg_01",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-6",
            "content": [{"type": "text", "text": "Hello from Claude"}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 12, "output_tokens": 4},
        }
    )
    resolver = resolver_for(anthropic_api_key="sk-ant-test")
    async with db.session() as session:
        resolved = await resolver.resolve(session, org_id, "anthropic:claude-sonnet-4-6")

    # With max_tokens set, pydantic-ai sends a plain (non-streaming) Messages request.
    result = await Agent(resolved.model).run("hi", model_settings=ModelSettings(max_tokens=256))
    assert result.output == "Hello from Claude"
    assert (result.usage.input_tokens, result.usage.output_tokens) == (12, 4)
    sent = route.calls.last.request
    assert sent.headers["authorization"] == "Bearer sk-ant-test"
    body = json.loads(sent.content)
    assert body["model"] == "claude-sonnet-4-6"
    assert body["messages"][-1]["role"] == "user"
    assert route.call_count == 1


async def test_anthropic_overload_is_retried_by_us_only(
    db: Database, org_id: str, router: respx.MockRouter, resolver_for: Callable[..., ModelResolver]
) -> None:
    overloaded = {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}
    route = router.post("https://api.anthropic.com/v1/messages").respond(529, json=overloaded)
    resolver = resolver_for(anthropic_api_key="sk-ant-test")
    resolver._sleep = _no_sleep
    async with db.session() as session:
        resolved = await resolver.resolve(session, org_id, "anthropic:claude-haiku-4-5")
    with pytest.raises(ModelOverloadedError, match="busy"):
        await Agent(resolved.model).run("hi", model_settings=ModelSettings(max_tokens=64))
    assert route.call_count == 3  # our 3 attempts; the SDK's own retries are off


async def _no_sleep(_: float) -> None:
    return None


async def test_gemini_generate_content_text_and_usage(
    db: Database, org_id: str, router: respx.MockRouter, resolver_for: Callable[..., ModelResolver]
) -> None:
    route = router.post(
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent"
    ).respond(
        json={
            "candidates": [
                {
                    "content": {"role": "model", "parts": [{"text": "Hello from Gemini"}]},
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": {
                "promptTokenCount": 9,
                "candidatesTokenCount": 3,
                "totalTokenCount": 12,
            },
            "modelVersion": "gemini-2.5-flash",
            "responseId": "resp-1",
        }
    )
    resolver = resolver_for(google_api_key="g-key")
    async with db.session() as session:
        resolved = await resolver.resolve(session, org_id, "google:gemini-2.5-flash")

    result = await Agent(resolved.model).run("hi")
    assert result.output == "Hello from Gemini"
    assert (result.usage.input_tokens, result.usage.output_tokens) == (9, 3)
    sent = route.calls.last.request
    assert sent.headers["x-goog-api-key"] == "g-key"
    assert json.loads(sent.content)["contents"][-1]["parts"][0]["text"] == "hi"
