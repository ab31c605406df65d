"""Token estimates and the context window a model's budget is taken from."""

from __future__ import annotations

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    UserPromptPart,
)

from nexora.memory.tokens import context_window, estimate_tokens, message_tokens


def test_estimate_counts_latin_by_four_characters_and_cjk_by_character() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("a" * 400) == 100
    assert estimate_tokens("柏林" * 50) == 100
    mixed = estimate_tokens("I moved to 里斯本 last year")
    assert 8 <= mixed <= 10


def test_messages_count_their_parts_and_overhead() -> None:
    messages: list[ModelMessage] = [
        ModelRequest(parts=[UserPromptPart("a" * 40)]),
        ModelResponse(parts=[TextPart("b" * 80)]),
    ]
    assert message_tokens(messages) == 10 + 20 + 2 * 4


async def test_window_from_override_then_catalogue_then_default() -> None:
    overrides = {"ollama:llama3.1:8b": 8192, "qwen-plus": 131_072}
    assert await context_window("ollama", "llama3.1:8b", overrides=overrides, default=1) == 8192
    assert await context_window("dashscope", "qwen-plus", overrides=overrides, default=1) == 131_072
    assert await context_window("openai", "gpt-4o-mini", overrides={}, default=1) == 128_000
    # A provider named by the operator still finds a catalogue model by its name.
    assert await context_window("work-proxy", "gpt-4o-mini", overrides={}, default=1) == 128_000
    assert await context_window("vllm", "my-finetune", overrides={}, default=4096) == 4096
