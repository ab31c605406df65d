"""Messages are indexed in their conversation's context: who spoke, what came just before in
the same session, and the day (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from nexora.memory.index.context import fulltext_source, named_speakers, vector_source
from nexora.memory.index.hybrid import HybridIndex
from nexora.memory.items import MemoryItems, NewItem
from nexora.memory.scope import Owner, Scope
from nexora.memory.text import query_terms
from nexora.storage.models import MemoryItem
from tests.unit.memory.conftest import World
from tests.unit.memory.search_support import search, texts

MAY_8 = datetime(2023, 5, 8, 13, 56, tzinfo=UTC)
JUNE_7 = datetime(2023, 6, 7, 10, 0, tzinfo=UTC)
ASKED = "How was the camping trip last weekend?"
ANSWER = "We roasted marshmallows and hiked to the top."
KITCHEN = "I finally repainted the kitchen."


def message(text: str, session_id: str, position: int, when: datetime, who: str) -> NewItem:
    return NewItem(
        "episodic",
        "message",
        text,
        position=position,
        session_id=session_id,
        occurred_at=when,
        meta={"speaker": who},
    )


async def conversation(world: World, index: HybridIndex) -> Scope:
    async with world.db.session() as session:
        await MemoryItems(index).add(
            session,
            Owner(world.org_id, agent_id=world.agent_id),
            [
                message(ASKED, "evening-1", 0, MAY_8, "Caroline"),
                message(ANSWER, "evening-1", 1, MAY_8, "Melanie"),
                # Position 1 of another session: the camping talk is not its context.
                message(KITCHEN, "evening-2", 1, JUNE_7, "Melanie"),
            ],
            origin="agent",
        )
        await session.commit()
    return Scope(world.org_id, world.agent_id)


async def test_an_answer_is_found_by_the_question_before_it_in_its_session(world: World) -> None:
    index = HybridIndex(None)
    scope = await conversation(world, index)
    found = texts(await search(world.db, index, scope, "camping trip"))
    assert ANSWER in found  # its own words never say "camping"
    assert KITCHEN not in found
    assert texts(await search(world.db, index, scope, "marshmallows")) == [ANSWER]


async def test_a_message_is_found_by_its_speaker_and_its_day(world: World) -> None:
    index = HybridIndex(None)
    scope = await conversation(world, index)
    assert texts(await search(world.db, index, scope, "Caroline", limit=1)) == [ASKED]
    assert texts(await search(world.db, index, scope, "June 7", limit=1)) == [KITCHEN]


def test_what_is_indexed_and_embedded_for_a_message_and_for_a_plain_note() -> None:
    before = MemoryItem(text=ASKED, meta={"speaker": "Caroline"})
    answer = MemoryItem(
        text=ANSWER, meta={"speaker": "Melanie"}, session_id="s", position=1, occurred_at=MAY_8
    )
    assert fulltext_source(answer, [before]).split("\n") == [
        f"Caroline: {ASKED}",
        f"Melanie: {ANSWER}",
        f"Melanie: {ANSWER}",
        "8 May 2023",
    ]
    assert vector_source(answer) == f"Melanie: {ANSWER}"
    note = MemoryItem(text="The wiki moved", meta={})
    assert fulltext_source(note, []) == vector_source(note) == "The wiki moved"


def test_a_query_names_a_speaker_by_all_the_words_of_the_name_but_not_everyone() -> None:
    speakers = {"1": "Caroline", "2": "Melanie", "3": "Mary Ann", "4": "Caroline"}
    assert named_speakers(speakers, query_terms("What did Caroline paint?")) == {"Caroline"}
    assert named_speakers(speakers, query_terms("Where does Ann live?")) == set()
    assert named_speakers(speakers, query_terms("Mary Ann's and Melanie's plans")) == {
        "Mary Ann",
        "Melanie",
    }
    two = {"1": "Caroline", "2": "Melanie"}
    assert named_speakers(two, query_terms("Did Caroline call Melanie?")) == set()
