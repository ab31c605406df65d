"""The OpenAI-compatible endpoint, driven by the official `openai` SDK."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.api import ok
from tests.support.server import RunningServer


@pytest.fixture
def sdk(server: RunningServer, admin: httpx.Client) -> openai.OpenAI:
    key = ok(admin.post("/api/api-keys", json={"name": "sdk"}), 201)["key"]
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0)


def test_models_lists_agents(admin: httpx.Client, sdk: openai.OpenAI) -> None:
    ok(admin.post("/api/agents", json={"name": "writer"}), 201)
    ok(admin.post("/api/agents", json={"name": "coder"}), 201)
    assert sorted(m.id for m in sdk.models.list()) == ["coder", "writer"]


def test_completion_non_streaming(
    admin: httpx.Client, sdk: openai.OpenAI, llm: FakeOpenAIServer
) -> None:
    agent = ok(admin.post("/api/agents", json={"name": "writer", "persona": "Write."}), 201)
    llm.reply_text("A short poem.", usage=(21, 4))
    completion = sdk.chat.completions.create(
        model="writer",
        messages=[
            {"role": "system", "content": "Be terse."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello."},
            {"role": "user", "content": "A poem, please."},
        ],
    )
    assert completion.choices[0].message.content == "A short poem."
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.total_tokens == 25
    sent = llm.chat_requests[0].json["messages"]
    assert [m["content"] for m in sent[-3:]] == ["Hi", "Hello.", "A poem, please."]
    # By id works too.
    llm.reply_text("Again.")
    again = sdk.chat.completions.create(
        model=agent["id"], messages=[{"role": "user", "content": "x"}]
    )
    assert again.choices[0].message.content == "Again."


def test_completion_streaming_with_usage(
    admin: httpx.Client, sdk: openai.OpenAI, llm: FakeOpenAIServer
) -> None:
    ok(admin.post("/api/agents", json={"name": "writer"}), 201)
    llm.reply_text("one two three", chunks=["one ", "two ", "three"], usage=(9, 3))
    chunks = list(
        sdk.chat.completions.create(
            model="writer",
            messages=[{"role": "user", "content": "count"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "one two three"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 12


def test_errors_reach_the_sdk(
    admin: httpx.Client, sdk: openai.OpenAI, llm: FakeOpenAIServer
) -> None:
    with pytest.raises(openai.NotFoundError):
        sdk.chat.completions.create(model="nobody", messages=[{"role": "user", "content": "x"}])
    ok(admin.post("/api/agents", json={"name": "writer"}), 201)
    for _ in range(5):
        llm.reply_error(400, message="context too long")
    with pytest.raises(openai.APIStatusError) as failure:
        sdk.chat.completions.create(model="writer", messages=[{"role": "user", "content": "x"}])
    assert failure.value.status_code == 502 and "context too long" in str(failure.value)
    bad = openai.OpenAI(base_url=str(sdk.base_url), api_key="nxk_wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()
