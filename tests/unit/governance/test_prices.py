"""Price lookups: the org's overrides first, then the built-in estimates, else no price."""

from __future__ import annotations

import pytest

from nexora.governance.prices import DEFAULT_PRICES, ModelPrice, PriceTable, parse_overrides


def _price(prompt: float, completion: float) -> ModelPrice:
    return ModelPrice(prompt_per_million=prompt, completion_per_million=completion)


def test_defaults_price_known_models_and_their_dated_variants() -> None:
    table = PriceTable({})
    assert table.price("openai", "gpt-4o") == DEFAULT_PRICES["gpt-4o"]
    assert table.price("openai", "gpt-4o-2024-08-06") == DEFAULT_PRICES["gpt-4o"]
    # The longest known family wins: a mini is not priced as its big sibling.
    assert table.price("openai", "gpt-4o-mini-2024-07-18") == DEFAULT_PRICES["gpt-4o-mini"]
    assert (
        table.price("anthropic", "claude-sonnet-4-5-20250929")
        == DEFAULT_PRICES["claude-sonnet-4-5"]
    )
    assert table.price("openai", "gpt-4oo") is None
    assert table.cost("ollama", "llama3", 1000, 1000) is None


def test_overrides_win_provider_qualified_first() -> None:
    table = PriceTable(
        {
            "gpt-4o": _price(1, 1),
            "azure:gpt-4o": _price(2, 2),
        }
    )
    assert table.price("openai", "gpt-4o") == _price(1, 1)
    assert table.price("azure", "gpt-4o") == _price(2, 2)
    assert table.cost("azure", "gpt-4o", 500_000, 250_000) == pytest.approx(1.5)


def test_cost_is_per_million_tokens() -> None:
    assert _price(2.5, 10).cost(1_000_000, 100_000) == pytest.approx(3.5)
    assert _price(2.5, 10).cost(0, 0) == 0


def test_invalid_override_entries_are_skipped_not_fatal() -> None:
    parsed = parse_overrides(
        {
            "ok": {"prompt_per_million": 1, "completion_per_million": 2},
            "negative": {"prompt_per_million": -1, "completion_per_million": 2},
            "partial": {"prompt_per_million": 1},
            "junk": "free",
        }
    )
    assert parsed == {"ok": _price(1, 2)}
    assert parse_overrides(None) == {}
    assert parse_overrides(["not", "a", "mapping"]) == {}
