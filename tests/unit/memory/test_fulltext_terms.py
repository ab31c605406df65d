"""Full text leaves a query's most common terms out once they would match too many items."""

from __future__ import annotations

import pytest

from nexora.memory.index import fulltext
from nexora.memory.index.fulltext import selective_terms
from nexora.memory.index.hybrid import HybridIndex
from nexora.memory.scope import Owner, Scope
from tests.unit.memory.conftest import World
from tests.unit.memory.search_support import remember, search, texts


def test_the_rarest_terms_within_the_budget_in_query_order() -> None:
    terms = ["caroline", "pottery", "went", "class"]
    assert selective_terms(terms, [900, 3, 400, 40], budget=500) == ["pottery", "went", "class"]
    assert selective_terms(terms, [900, 3, 400, 40], budget=100) == ["pottery", "class"]
    # Every term too common: the rarest one still ranks.
    assert selective_terms(terms, [901, 901, 700, 901], budget=500) == ["went"]
    assert selective_terms(terms, [1, 2, 3, 4], budget=500) == terms


@pytest.fixture
def index() -> HybridIndex:
    return HybridIndex(None)


async def test_a_common_word_stops_counting_past_the_budget(
    world: World, index: HybridIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner, scope = Owner(world.org_id, agent_id=world.agent_id), Scope(world.org_id, world.agent_id)
    common = [f"Caroline mentioned errand number {n}" for n in range(8)]
    await remember(world.db, index, owner, [*common, "Caroline started a pottery class"])
    whole = await search(world.db, index, scope, "Caroline pottery", limit=20)
    assert texts(whole)[0] == "Caroline started a pottery class" and len(whole) == 9

    monkeypatch.setattr(fulltext, "POSTINGS_BUDGET", 5)
    narrowed = await search(world.db, index, scope, "Caroline pottery", limit=20)
    assert texts(narrowed) == ["Caroline started a pottery class"]
    # Alone, a common word is still searched.
    assert len(await search(world.db, index, scope, "Caroline", limit=20)) == 9
