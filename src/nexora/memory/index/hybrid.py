"""The memory index: full-text and vector candidates, each filtered by scope, fused.

It follows the items in the caller's transaction (`MemoryItems` calls `upsert` and `remove`)
and picks its storage by the database it is handed: FTS5 and NumPy on SQLite; a tsvector and
pgvector on PostgreSQL, or NumPy there too where pgvector is missing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.memory.embed import Embedder, EmbedderError
from nexora.memory.index.context import (
    fulltext_source,
    named_speakers,
    preceding,
    speaker,
    vector_source,
)
from nexora.memory.index.filters import Filters
from nexora.memory.index.fulltext import FullText, PostgresFullText, SqliteFullText
from nexora.memory.index.matrix import Floats
from nexora.memory.index.numpy_vectors import NumpyVectors
from nexora.memory.index.pgvector import PgVectors
from nexora.memory.index.sessions import bm25, session_documents
from nexora.memory.items import Hit
from nexora.memory.ranking import DEFAULT_RANKING, Fused, Ranking
from nexora.memory.scope import Scope
from nexora.memory.text import index_text, query_terms
from nexora.storage.models import MemoryItem

log = logging.getLogger(__name__)

VectorKind = Literal["pgvector", "numpy"]


class VectorStore(Protocol):
    async def write(
        self, session: AsyncSession, items: Sequence[MemoryItem], embedder: str, matrix: Floats
    ) -> None: ...

    async def delete(self, session: AsyncSession, item_ids: Sequence[str]) -> None: ...

    async def nearest(
        self, session: AsyncSession, embedder: str, query: Floats, filters: Filters, limit: int
    ) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class Storage:
    fulltext: FullText
    vectors: VectorStore
    vector_kind: VectorKind


async def vector_kind(session: AsyncSession) -> VectorKind:
    """pgvector when migration 0007 could give `memory_vectors.vector` its type, else NumPy."""
    if session.get_bind().dialect.name == "sqlite":
        return "numpy"
    column_type = await session.scalar(
        text(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
            " WHERE attrelid = 'memory_vectors'::regclass AND attname = 'vector'"
        )
    )
    return "pgvector" if column_type == "vector" else "numpy"


class HybridIndex:
    """`MemoryIndex` over both backends; one per process and database."""

    def __init__(self, embedder: Embedder | None, ranking: Ranking = DEFAULT_RANKING) -> None:
        self.embedder = embedder
        self.ranking = ranking
        self._storage: Storage | None = None

    @property
    def retrieval(self) -> str:
        """What a search uses, for responses and `nexora doctor`."""
        if self.embedder is None:
            return "full text only (no embedder configured)"
        return f"hybrid: full text + vectors ({self.embedder.name})"

    async def storage(self, session: AsyncSession) -> Storage:
        if self._storage is None:
            kind = await vector_kind(session)
            sqlite = session.get_bind().dialect.name == "sqlite"
            self._storage = Storage(
                SqliteFullText() if sqlite else PostgresFullText(),
                PgVectors() if kind == "pgvector" else NumpyVectors(),
                kind,
            )
        return self._storage

    async def upsert(self, session: AsyncSession, items: Sequence[MemoryItem]) -> None:
        if not items:
            return
        await self.index_terms(session, items)
        if self.embedder is None:
            return
        try:
            await self.embed(session, items)
        except EmbedderError as exc:
            # The text is indexed; `nexora memory reembed` adds the missing vectors later.
            log.warning("memory items stored without vectors: %s", exc.detail)

    async def index_terms(self, session: AsyncSession, items: Sequence[MemoryItem]) -> None:
        """Stores the full-text terms of `items`, each read in its context."""
        storage = await self.storage(session)
        before = await preceding(session, items)
        rows = [(i.id, index_text(fulltext_source(i, before.get(i.id, ())))) for i in items]
        await storage.fulltext.write(session, rows)

    async def embed(self, session: AsyncSession, items: Sequence[MemoryItem]) -> None:
        """Stores vectors of `items` made by the embedder in force, replacing older ones."""
        assert self.embedder is not None
        storage = await self.storage(session)
        matrix = await self.embedder.embed_passages([vector_source(item) for item in items])
        await storage.vectors.write(session, items, self.embedder.name, matrix)

    async def remove(self, session: AsyncSession, item_ids: Sequence[str]) -> None:
        if not item_ids:
            return
        storage = await self.storage(session)
        await storage.fulltext.delete(session, item_ids)
        await storage.vectors.delete(session, item_ids)

    async def search(
        self,
        session: AsyncSession,
        scope: Scope,
        query: str,
        *,
        layers: Sequence[str] | None = None,
        kinds: Sequence[str] | None = None,
        limit: int = 10,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Hit]:
        storage = await self.storage(session)
        filters = Filters.of(scope, layers=layers, kinds=kinds, since=since, until=until)
        wanted = self.ranking.candidates(limit)
        terms = query_terms(query)
        # The query is embedded (in a thread, off the event loop) while full text searches.
        vector = asyncio.create_task(self._query_vector(query))
        try:
            lexical = await storage.fulltext.search(session, terms, filters, wanted)
        except BaseException:
            vector.cancel()
            raise
        semantic = await self._nearest(session, storage, await vector, filters, wanted)
        fused = self.ranking.fuse(lexical, semantic, len(lexical) + len(semantic))
        if fused and (self.ranking.session_weight or self.ranking.speaker_weight):
            fused = await self._in_context(session, fused, terms, filters)
        # Candidates were filtered where they were found; this filter is the one that counts
        # (a vector cache can lag a retire by one search). Items load in fused order, a window
        # at a time, until `limit` pass it: usually one small query.
        hits: list[Hit] = []
        window = max(2 * limit, 20)
        for start in range(0, len(fused), window):
            chosen = fused[start : start + window]
            found = await session.scalars(filters.items([f.item_id for f in chosen]))
            items = {item.id: item for item in found}
            hits += [
                Hit(items[f.item_id], f.score, f.lexical_rank, f.vector_rank)
                for f in chosen
                if f.item_id in items
            ]
            if len(hits) >= limit:
                break
        return hits[:limit]

    async def _in_context(
        self, session: AsyncSession, fused: list[Fused], terms: Sequence[str], filters: Filters
    ) -> list[Fused]:
        """`fused` re-ranked by who said each candidate and by the sessions they belong to.
        Sessions are weighed on the candidates' scores before speakers count: favouring a
        speaker orders messages within a session, and leaves which session leads alone."""
        sessions, speakers = await self._places(session, fused, filters)
        strength = self.ranking.session_strength(fused, sessions)
        documents = await session_documents(session, filters, self.ranking.text_sessions(strength))
        strength = self.ranking.with_text(strength, bm25(terms, documents))
        raised = self.ranking.favour_speakers(fused, speakers, named_speakers(speakers, terms))
        return self.ranking.boost_sessions(raised, sessions, strength)

    async def _places(
        self, session: AsyncSession, fused: Sequence[Fused], filters: Filters
    ) -> tuple[dict[str, str | None], dict[str, str]]:
        """The session and the speaker of each candidate that has them (a light query)."""
        # By primary key: with the filter alone SQLite walks the agent's whole index (50 ms
        # at 100k items).
        query = select(MemoryItem.id, MemoryItem.session_id, MemoryItem.meta)
        rows = await session.execute(filters.among([f.item_id for f in fused], query))
        sessions: dict[str, str | None] = {}
        speakers: dict[str, str] = {}
        for item_id, session_id, meta in rows.all():
            if session_id is not None:
                sessions[item_id] = session_id
            if (who := speaker(meta)) is not None:
                speakers[item_id] = who
        return sessions, speakers

    async def _query_vector(self, query: str) -> Floats | None:
        if self.embedder is None:
            return None
        try:
            return await self.embedder.embed_query(query)
        except EmbedderError as exc:
            log.warning("memory search fell back to full text: %s", exc.detail)
            return None

    async def _nearest(
        self,
        session: AsyncSession,
        storage: Storage,
        vector: Floats | None,
        filters: Filters,
        wanted: int,
    ) -> list[str]:
        if self.embedder is None or vector is None:
            return []
        return await storage.vectors.nearest(session, self.embedder.name, vector, filters, wanted)
