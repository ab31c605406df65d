"""Token counts without a tokenizer, and how many tokens a model's window holds.

The estimate only has to be good enough to decide when a conversation is too long, and fast
enough to run over a whole session before every turn: about four characters a token for
Latin scripts, one token a character for CJK and other wide scripts: the usual figures of
BPE tokenizers. It errs a little on the high side, so a budget is kept rather than overrun.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from functools import lru_cache

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)

log = logging.getLogger(__name__)

MESSAGE_OVERHEAD = 4  # role and separators every chat format adds around a message


def estimate_tokens(text: str) -> int:
    if not text:
        return 0
    chars = len(text)
    # UTF-8 length minus character count tells the multi-byte characters apart in C speed,
    # instead of a Python loop over every character: most wide characters take 3 bytes.
    wide = min(chars, (len(text.encode("utf-8", "surrogatepass")) - chars) // 2)
    return (chars - wide + 3) // 4 + wide


def _part_text(part: object) -> str:
    if isinstance(part, ToolCallPart):
        return f"{part.tool_name} {part.args_as_json_str()}"
    if isinstance(part, ToolReturnPart):
        return part.model_response_str()
    if isinstance(part, UserPromptPart):
        content = part.content
        return (
            content
            if isinstance(content, str)
            else " ".join(c for c in content if isinstance(c, str))
        )
    if isinstance(part, TextPart | ThinkingPart):
        return part.content
    content = getattr(part, "content", "")
    return content if isinstance(content, str) else str(content)


def message_tokens(messages: Iterable[ModelMessage]) -> int:
    total = 0
    for message in messages:
        if isinstance(message, ModelRequest | ModelResponse):
            for part in message.parts:
                total += estimate_tokens(_part_text(part)) + MESSAGE_OVERHEAD
    return total


@lru_cache(maxsize=512)
def _known_window(provider: str, model: str) -> int | None:
    # genai-prices (a pydantic-ai dependency) carries the context windows of the providers'
    # models; its data takes ~0.3 s to load, once per process.
    from genai_prices.data_snapshot import get_snapshot

    snapshot = get_snapshot()
    for provider_id in (provider, None):
        try:
            _, info = snapshot.find_provider_model(model, None, provider_id, None)
        except LookupError:
            continue
        if info.context_window:
            return int(info.context_window)
    return None


async def context_window(
    provider: str, model: str, *, overrides: Mapping[str, int], default: int
) -> int:
    """The model's context length in tokens: an operator's figure for `provider:model` or
    `model` first (local models are not in any catalogue), then the catalogue, then `default`."""
    for key in (f"{provider}:{model}", model):
        if key in overrides:
            return overrides[key]
    try:
        known = await asyncio.to_thread(_known_window, provider, model)
    except Exception:
        log.warning("context window of %s:%s not looked up", provider, model, exc_info=True)
        known = None
    return known or default
