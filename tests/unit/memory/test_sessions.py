"""Sessions ranked by their whole text (SQLite and PostgreSQL): what a session document holds,
how BM25 ranks them, and how that rank moves sessions in a search."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from nexora.memory.index.filters import Filters
from nexora.memory.index.hybrid import HybridIndex
from nexora.memory.index.sessions import bm25, session_documents
from nexora.memory.items import MemoryItems, NewItem
from nexora.memory.ranking import Ranking
from nexora.memory.scope import Owner, Scope
from nexora.memory.text import analyze, query_terms
from tests.unit.memory.conftest import World
from tests.unit.memory.search_support import search

JANUARY = datetime(2023, 1, 20, 16, 4, tzinfo=UTC)
JUNE = datetime(2023, 6, 13, 20, 29, tzinfo=UTC)
SMALL_TALK = ["Nice!", "How was your week?", "Busy, but good.", "Glad to hear it."]
MORE_SMALL_TALK = ["Same here.", "Anyway, how is work?", "Hectic.", "Hang in there."]


def message(text: str, session_id: str, position: int, when: datetime) -> NewItem:
    return NewItem(
        "episodic",
        "message",
        text,
        position=position,
        session_id=session_id,
        occurred_at=when,
        meta={"speaker": "Jon"},
    )


def festival() -> list[NewItem]:
    """A session that speaks of the photo, the dancers and the festival, far apart."""
    texts = ["Look at this photo!", *SMALL_TALK, "Those dancers were amazing.", *MORE_SMALL_TALK]
    texts.append("The festival was last weekend.")
    return [message(text, "festival", n, JANUARY) for n, text in enumerate(texts)]


def studio() -> list[NewItem]:
    """A session about the dancers' photos, saying so in every message, but not the festival."""
    texts = [
        "A photo of the dancers practising in the studio.",
        "Another photo: my dancers rehearse daily.",
        "New dancers joined; here is a photo of them.",
        "The dancers asked for a group photo.",
    ]
    return [message(text, "studio", n, JUNE) for n, text in enumerate(texts)]


async def store(world: World, index: HybridIndex, owner: Owner, items: list[NewItem]) -> None:
    async with world.db.session() as session:
        await MemoryItems(index).add(session, owner, items, origin="agent")
        await session.commit()


def test_bm25_prefers_the_document_with_more_and_rarer_query_terms() -> None:
    documents = {
        "both": Counter(analyze("dancers at the festival")),
        "common": Counter(analyze("dancers dancers dancers studio")),
        "rare": Counter(analyze("the festival")),
        "none": Counter(analyze("kitchen paint")),
        "other": Counter(analyze("dancers rest")),
    }
    scores = bm25(query_terms("dancers festival"), documents)
    assert max(scores, key=lambda key: scores[key]) == "both"
    assert scores["rare"] > scores["common"] > 0  # "dancer" is in three of five, "festiv" in two
    assert scores["none"] == 0
    assert bm25(["anything"], {}) == {}


def test_the_strongest_sessions_are_the_ones_read_and_none_without_weight() -> None:
    strength = {"a": 0.2, "b": 1.0, "c": 0.7}
    assert Ranking(session_text_sessions=2).text_sessions(strength) == ["b", "c"]
    assert Ranking(session_text_weight=0).text_sessions(strength) == []


def test_session_text_can_turn_the_order_of_sessions() -> None:
    ranking = Ranking(rrf_k=20, session_text_weight=0.5)
    fused = ranking.fuse(["a1", "a2", "b1", "b2"], [], limit=10)
    sessions: dict[str, str | None] = {"a1": "a", "a2": "a", "b1": "b", "b2": "b"}
    strength = ranking.session_strength(fused, sessions)
    assert strength["a"] == 1.0 and 0.9 < strength["b"] < 1.0
    assert ranking.boost_sessions(fused, sessions)[0].item_id == "a1"
    with_text = ranking.with_text(strength, {"a": 1.0, "b": 4.0})
    assert with_text == {"a": 1.0 + 0.5 * 0.25, "b": strength["b"] + 0.5}
    boosted = ranking.boost_sessions(fused, sessions, with_text)
    assert [f.item_id for f in boosted[:2]] == ["b1", "b2"]
    assert ranking.with_text(strength, {"a": 0.0}) == strength


async def test_a_session_document_holds_its_visible_messages_with_speakers_and_days(
    world: World,
) -> None:
    index = HybridIndex(None)
    await store(world, index, Owner(world.org_id, world.agent_id), festival())
    other = [message("The festival had fireworks.", "festival", 0, JUNE)]
    await store(world, index, Owner(world.org_id, world.other_agent_id), other)
    scope = Scope(world.org_id, world.agent_id)
    filters = Filters.of(scope, layers=None, kinds=None, since=None, until=None)
    async with world.db.session() as session:
        documents = await session_documents(session, filters, ["festival", "nowhere"])
    assert list(documents) == ["festival"]
    document = documents["festival"]
    assert document["jon"] == 11  # every message with its speaker
    assert document["festiv"] == 1  # the other agent's session of the same name is not read
    assert "firework" not in document
    assert document["januari"] == 1 and document["2023"] == 1  # its day, once


async def test_the_session_that_names_everything_asked_comes_first(world: World) -> None:
    owner, scope = Owner(world.org_id, world.agent_id), Scope(world.org_id, world.agent_id)
    query = "What did Jon say about the dancers in the photo at the festival?"
    first = {}
    for weight in (0.0, 2.0):
        index = HybridIndex(None, Ranking(session_text_weight=weight))
        if weight == 0.0:
            await store(world, index, owner, [*festival(), *studio()])
        hits = await search(world.db, index, scope, query, limit=5)
        first[weight] = hits[0].item.session_id
    assert first == {0.0: "studio", 2.0: "festival"}
