"""Full text: a query's terms that match very many items rank candidates but pick none."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from nexora.memory.index import fulltext
from nexora.memory.index.fulltext import Plan
from nexora.memory.index.hybrid import HybridIndex
from nexora.memory.scope import Owner, Scope
from tests.unit.memory.conftest import World
from tests.unit.memory.search_support import remember, search, texts


def test_common_terms_only_add_to_the_score_of_the_others_candidates() -> None:
    terms = ["caroline", "pottery", "went", "class"]
    plan = Plan.of(terms, [901, 3, 400, 40], common_at=500, most=1000)
    assert plan == Plan(("pottery", "went", "class"), ("caroline",))
    assert plan.terms == ("pottery", "went", "class", "caroline")
    # Every term common: the rarest picks the candidates.
    assert Plan.of(terms, [901, 901, 700, 901], common_at=500, most=1000) == Plan(
        ("went",), ("caroline", "pottery", "class")
    )
    assert Plan.of(terms, [1, 2, 3, 4], common_at=500, most=1000) == Plan(tuple(terms))
    # Too many candidates: the newest are ranked.
    assert Plan.of(terms, [901, 300, 400, 40], common_at=500, most=600).newest == 600


@pytest.fixture
def index() -> HybridIndex:
    return HybridIndex(None)


async def test_a_common_word_picks_no_candidates_of_its_own(
    world: World, index: HybridIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner, scope = Owner(world.org_id, agent_id=world.agent_id), Scope(world.org_id, world.agent_id)
    common = [f"Caroline mentioned errand number {n}" for n in range(8)]
    await remember(world.db, index, owner, [*common, "Caroline started a pottery class"])
    whole = await search(world.db, index, scope, "Caroline pottery", limit=20)
    assert texts(whole)[0] == "Caroline started a pottery class" and len(whole) == 9

    monkeypatch.setattr(fulltext, "COMMON_MATCHES", 5)
    if not world.db.is_sqlite:
        # PostgreSQL learns which terms are common from the planner's statistics.
        async with world.db.engine.begin() as conn:
            await conn.execute(text("ANALYZE memory_terms"))
        index = HybridIndex(None)
    narrowed = await search(world.db, index, scope, "Caroline pottery", limit=20)
    assert texts(narrowed) == ["Caroline started a pottery class"]
    # Alone, a common word is still searched.
    assert len(await search(world.db, index, scope, "Caroline", limit=20)) == 9
