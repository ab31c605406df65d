"""Model prices, for cost estimates: built-in defaults, overridable per org.

Every figure here is an estimate. Providers change prices, bill cached or batched tokens
differently and round per request; Nexora counts tokens, not invoices. An org sets its own prices
under the runtime configuration key `model_prices`:

    {"openai:gpt-4o": {"prompt_per_million": 2.5, "completion_per_million": 10.0},
     "my-local-model": {"prompt_per_million": 0, "completion_per_million": 0}}

Keys are `provider:model` (one provider's model) or `model` (that model on any provider).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.storage.models import RuntimeConfig

log = logging.getLogger(__name__)

PRICES_CONFIG_KEY = "model_prices"
CURRENCY = "USD"


class ModelPrice(BaseModel, frozen=True):
    """USD per one million tokens."""

    prompt_per_million: float = Field(ge=0)
    completion_per_million: float = Field(ge=0)

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (
            prompt_tokens * self.prompt_per_million
            + completion_tokens * self.completion_per_million
        ) / 1_000_000


def _p(prompt: float, completion: float) -> ModelPrice:
    return ModelPrice(prompt_per_million=prompt, completion_per_million=completion)


# Estimates from the providers' public list prices (standard tier, no caching), USD per 1M tokens.
DEFAULT_PRICES: Mapping[str, ModelPrice] = MappingProxyType(
    {
        "gpt-4o": _p(2.50, 10.00),
        "gpt-4o-mini": _p(0.15, 0.60),
        "gpt-4.1": _p(2.00, 8.00),
        "gpt-4.1-mini": _p(0.40, 1.60),
        "gpt-4.1-nano": _p(0.10, 0.40),
        "gpt-4-turbo": _p(10.00, 30.00),
        "gpt-3.5-turbo": _p(0.50, 1.50),
        "o1": _p(15.00, 60.00),
        "o1-mini": _p(1.10, 4.40),
        "o3": _p(2.00, 8.00),
        "o3-mini": _p(1.10, 4.40),
        "o4-mini": _p(1.10, 4.40),
        "gpt-5": _p(1.25, 10.00),
        "gpt-5-mini": _p(0.25, 2.00),
        "gpt-5-nano": _p(0.05, 0.40),
        "claude-3-5-haiku": _p(0.80, 4.00),
        "claude-3-5-sonnet": _p(3.00, 15.00),
        "claude-3-7-sonnet": _p(3.00, 15.00),
        "claude-sonnet-4": _p(3.00, 15.00),
        "claude-sonnet-4-5": _p(3.00, 15.00),
        "claude-opus-4": _p(15.00, 75.00),
        "claude-opus-4-1": _p(15.00, 75.00),
        "claude-haiku-4-5": _p(1.00, 5.00),
        "gemini-1.5-flash": _p(0.075, 0.30),
        "gemini-1.5-pro": _p(1.25, 5.00),
        "gemini-2.0-flash": _p(0.10, 0.40),
        "gemini-2.5-flash": _p(0.30, 2.50),
        "gemini-2.5-pro": _p(1.25, 10.00),
        "deepseek-chat": _p(0.27, 1.10),
        "deepseek-reasoner": _p(0.55, 2.19),
        "qwen-turbo": _p(0.05, 0.20),
        "qwen-plus": _p(0.40, 1.20),
        "qwen-max": _p(1.60, 6.40),
    }
)


@dataclass(frozen=True, slots=True)
class PriceTable:
    """Looks prices up: the org's overrides first, then the defaults."""

    overrides: Mapping[str, ModelPrice]

    def price(self, provider: str, model: str) -> ModelPrice | None:
        for table in (self.overrides, DEFAULT_PRICES):
            found = table.get(f"{provider}:{model}") or table.get(model)
            if found is not None:
                return found
        return _dated_variant(DEFAULT_PRICES, model)

    def cost(self, provider: str, model: str, prompt: int, completion: int) -> float | None:
        """Estimated USD, or None when the model has no price."""
        found = self.price(provider, model)
        return None if found is None else found.cost(prompt, completion)


def _dated_variant(table: Mapping[str, ModelPrice], model: str) -> ModelPrice | None:
    """`gpt-4o-2024-08-06` and `claude-3-5-sonnet-latest` cost what their family costs.

    The longest known name followed by `-` wins, so `gpt-4o-mini-…` is not priced as `gpt-4o`.
    """
    best = ""
    for name in table:
        if model.startswith(name + "-") and len(name) > len(best):
            best = name
    return table[best] if best else None


async def load_prices(db: AsyncSession, org_id: str) -> PriceTable:
    """The org's price table: read straight from `runtime_config`, defaults when unset.

    Invalid entries are logged and skipped rather than failing a report or a run.
    """
    value = await db.scalar(
        select(RuntimeConfig.value).where(
            RuntimeConfig.org_id == org_id, RuntimeConfig.key == PRICES_CONFIG_KEY
        )
    )
    return PriceTable(parse_overrides(value, org_id))


def parse_overrides(value: object, org_id: str = "?") -> dict[str, ModelPrice]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        log.warning("org %s: %r is not a mapping; ignored", org_id, PRICES_CONFIG_KEY)
        return {}
    prices: dict[str, ModelPrice] = {}
    for key, entry in value.items():
        try:
            prices[str(key)] = ModelPrice.model_validate(entry)
        except ValidationError as exc:
            log.warning("org %s: %r entry %r ignored: %s", org_id, PRICES_CONFIG_KEY, key, exc)
    return prices
