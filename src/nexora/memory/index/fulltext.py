"""Full-text candidates: FTS5 with bm25 on SQLite, a 'simple' tsvector with GIN on PostgreSQL.

Both index the same analysed terms (`nexora.memory.text`), so Chinese words and English stems
match alike on either backend; a query is the OR of its terms, ranked by the backend. The best
matches are taken from the index alone and then filtered by scope; when the scope keeps fewer
than asked (a small agent in a large org), the scope is searched exhaustively instead.

Ranking costs time per matching item, and a word found in a large share of the items (a
user's name in their own memory, a month in dated notes) makes most items candidates. So a term
matching more than `COMMON_MATCHES` items (FTS5 counts that far; PostgreSQL's planner statistics
say so) picks no candidates: the items to rank are those matching one of the query's other
terms, and the common terms still count in their score. A store of fewer items than that is
searched exactly as before. When all of a query's terms are
common, its rarest one picks the candidates. On SQLite no more than `MOST_RANKED` candidates
are ranked, the newest."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import (
    CTE,
    Boolean,
    ColumnElement,
    Float,
    Select,
    String,
    Subquery,
    bindparam,
    column,
    delete,
    exists,
    func,
    insert,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.memory.index.filters import Filters
from nexora.memory.index.tables import sqlite_terms
from nexora.storage.models import MemoryItem

MIN_FETCH = 100
# A term matching more items than this picks no candidates of its own (see above).
COMMON_MATCHES = 5000
COMMON_FOR_SECONDS = 600.0
# Candidates ranked at most, the newest (SQLite; PostgreSQL ranks them all).
MOST_RANKED = 10_000


@dataclass(frozen=True, slots=True)
class Plan:
    """A query's `terms` split into those that pick the candidates (`selective`) and those
    that only add to their score (`common`); `newest`: rank only that many newest candidates."""

    selective: tuple[str, ...]
    common: tuple[str, ...] = ()
    newest: int | None = None

    @classmethod
    def of(cls, terms: Sequence[str], matches: Sequence[int], common_at: int, most: int) -> Plan:
        """`matches[i]`: how many items `terms[i]` matches, counted up to `common_at + 1`;
        `most`: how many candidates to rank at most (the newest)."""
        picked = [(t, n) for t, n in zip(terms, matches, strict=True) if n <= common_at]
        if not picked:
            rarest = min(range(len(terms)), key=lambda i: (matches[i], i))
            picked = [(terms[rarest], matches[rarest])]
        selective = tuple(term for term, _ in picked)
        newest = most if sum(n for _, n in picked) > most else None
        return cls(selective, tuple(t for t in terms if t not in selective), newest)

    @property
    def terms(self) -> tuple[str, ...]:
        return self.selective + self.common


class FullText(Protocol):
    async def write(self, session: AsyncSession, rows: Sequence[tuple[str, str]]) -> None:
        """Index `(item_id, analysed terms)` pairs, replacing what those items had."""

    async def delete(self, session: AsyncSession, item_ids: Sequence[str]) -> None: ...

    def indexed(self) -> ColumnElement[bool]:
        """Whether the `memory_items` row of the enclosing query has terms in the index."""

    async def search(
        self, session: AsyncSession, terms: Sequence[str], filters: Filters, limit: int
    ) -> list[str]:
        """Ids of the best-matching visible items, best first."""


def _quoted(term: str, quote: str) -> str:
    return quote + term.replace(quote, quote * 2) + quote


def _fts_match(expression: str) -> ColumnElement[bool]:
    # An anonymous parameter: one statement counts several terms, each with its own.
    return literal_column("memory_fts").op("MATCH", return_type=Boolean)(
        bindparam(None, expression, type_=String)
    )


class _RankedFirst:
    """The search both backends share; each says how to rank its matches (lower is better)."""

    def _ranked(self, plan: Plan) -> Select[str, float]:
        raise NotImplementedError

    async def _plan(self, session: AsyncSession, terms: Sequence[str]) -> Plan:
        """Which of `terms` are common (see the module's doc)."""
        raise NotImplementedError

    def _best(self, plan: Plan, count: int) -> Select[str, float]:
        return self._ranked(plan).limit(count)

    async def search(
        self, session: AsyncSession, terms: Sequence[str], filters: Filters, limit: int
    ) -> list[str]:
        if not terms:
            return []
        plan = await self._plan(session, terms)
        candidates = (
            self._best(plan, max(MIN_FETCH, 2 * limit))
            .cte("candidates")
            .prefix_with("MATERIALIZED")
        )
        found = list((await session.scalars(filters.keep(candidates, limit))).all())
        if len(found) >= limit:
            return found
        # A scope with few of the matches (a small agent in a large org): all of its matches,
        # the newest and the oldest, are ranked.
        everything = self._ranked(Plan(plan.selective, plan.common)).cte("matches")
        return list((await session.scalars(filters.keep(everything, limit))).all())


class SqliteFullText(_RankedFirst):
    _fts = table("memory_fts", column("rowid"))

    async def write(self, session: AsyncSession, rows: Sequence[tuple[str, str]]) -> None:
        if not rows:
            return
        await self.delete(session, [item_id for item_id, _ in rows])
        await session.execute(
            insert(sqlite_terms), [{"item_id": item_id, "terms": terms} for item_id, terms in rows]
        )

    def indexed(self) -> ColumnElement[bool]:
        return exists().where(sqlite_terms.c.item_id == MemoryItem.id)

    async def delete(self, session: AsyncSession, item_ids: Sequence[str]) -> None:
        # The triggers of migration 0007 take the rows out of `memory_fts` as well.
        await session.execute(delete(sqlite_terms).where(sqlite_terms.c.item_id.in_(item_ids)))

    def __init__(self) -> None:
        # Terms found common, until when that is trusted: counting one means walking
        # `COMMON_MATCHES` entries, and a common word stays common for a long while.
        self._common: dict[str, float] = {}

    async def _plan(self, session: AsyncSession, terms: Sequence[str]) -> Plan:
        common_at, now = COMMON_MATCHES, time.monotonic()
        unknown = [term for term in terms if self._common.get(term, 0.0) < now]
        counted: dict[str, int] = {}
        if unknown:
            counts = [self._capped_count(t, common_at + 1).scalar_subquery() for t in unknown]
            row = (await session.execute(select(*counts))).one()
            counted = dict(zip(unknown, map(int, row), strict=True))
        for term, count in counted.items():
            if count > common_at:
                self._common[term] = now + COMMON_FOR_SECONDS
        matches = [counted.get(term, common_at + 1) for term in terms]
        return Plan.of(terms, matches, common_at, MOST_RANKED)

    def _capped_count(self, term: str, cap: int) -> Select[int]:
        """How many items match `term`, counting no further than `cap`."""
        some = select(self._fts.c.rowid).where(_fts_match(_quoted(term, '"'))).limit(cap).subquery()
        return select(func.count()).select_from(some)

    def _matches(self, plan: Plan) -> Select[int, float]:
        selective = " OR ".join(_quoted(term, '"') for term in plan.selective)
        match = selective
        if plan.common:
            # FTS5 ranks with every phrase of the expression, matched or not by the row: the
            # second clause adds the common terms to the score (and the selective ones once
            # more) without making their items candidates.
            every = " OR ".join(_quoted(term, '"') for term in plan.terms)
            match = f"({selective}) AND ({every})"
        bm25 = literal_column("bm25(memory_fts)", Float)  # negative: lower is better
        query = (
            select(self._fts.c.rowid, bm25.label("distance"))
            .where(_fts_match(match))
            .order_by(bm25)
        )
        if plan.newest is None:
            return query
        # Row ids grow with every write: the newest matches are those past the row id found
        # `newest` matches back, walking the index in row id order without ranking.
        oldest = (
            select(self._fts.c.rowid)
            .where(_fts_match(selective))
            .order_by(self._fts.c.rowid.desc())
            .limit(1)
            .offset(plan.newest)
            .scalar_subquery()
        )
        return query.where(self._fts.c.rowid > func.coalesce(oldest, 0))

    def _ranked(self, plan: Plan) -> Select[str, float]:
        return self._with_item_ids(self._matches(plan).subquery("matches"))

    def _best(self, plan: Plan, count: int) -> Select[str, float]:
        # Ranked and cut in FTS5 alone: the item ids are looked up for the best few only.
        best = self._matches(plan).limit(count).cte("best").prefix_with("MATERIALIZED")
        return self._with_item_ids(best)

    @staticmethod
    def _with_item_ids(matches: Subquery | CTE) -> Select[str, float]:
        return select(sqlite_terms.c.item_id, matches.c.distance).join(
            matches, matches.c.rowid == sqlite_terms.c.id
        )


class PostgresFullText(_RankedFirst):
    _terms = table("memory_terms", column("item_id", String), column("terms"))

    def __init__(self) -> None:
        super().__init__()
        self._stats: dict[str, int] = {}
        self._stats_until = 0.0

    async def write(self, session: AsyncSession, rows: Sequence[tuple[str, str]]) -> None:
        if not rows:
            return
        await session.execute(
            text(
                "INSERT INTO memory_terms (item_id, terms)"
                " VALUES (:item_id, to_tsvector('simple', :terms))"
                " ON CONFLICT (item_id) DO UPDATE SET terms = excluded.terms"
            ),
            [{"item_id": item_id, "terms": terms} for item_id, terms in rows],
        )

    def indexed(self) -> ColumnElement[bool]:
        return exists().where(self._terms.c.item_id == MemoryItem.id)

    async def delete(self, session: AsyncSession, item_ids: Sequence[str]) -> None:
        await session.execute(delete(self._terms).where(self._terms.c.item_id.in_(item_ids)))

    @staticmethod
    def _tsquery(terms: Sequence[str]) -> ColumnElement[object]:
        return func.to_tsquery(
            literal_column("'simple'::regconfig"), " | ".join(_quoted(term, "'") for term in terms)
        )

    async def _plan(self, session: AsyncSession, terms: Sequence[str]) -> Plan:
        # Counting through the GIN index rechecks every row in the heap (10 ms a common term
        # at 100k items); the planner's statistics already name the most common lexemes.
        common = await self._common_counts(session)
        matches = [common.get(term, 0) for term in terms]
        return Plan.of(terms, matches, COMMON_MATCHES, MOST_RANKED)

    async def _common_counts(self, session: AsyncSession) -> dict[str, int]:
        """Items per lexeme for the lexemes ANALYZE found most common (up to a thousand by
        default), read again every `COMMON_FOR_SECONDS`; none before the first ANALYZE."""
        now = time.monotonic()
        if self._stats_until > now:
            return self._stats
        row = (
            await session.execute(
                text(
                    "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs,"
                    " c.reltuples FROM pg_stats s JOIN pg_class c ON c.relname = s.tablename"
                    " AND c.relnamespace = to_regnamespace(s.schemaname)"
                    " WHERE s.tablename = 'memory_terms' AND s.attname = 'terms'"
                    " AND s.schemaname = current_schema()"
                )
            )
        ).first()
        stats: dict[str, int] = {}
        if row is not None and row[0] is not None:
            lexemes, freqs, rows = row
            # The frequencies list ends with three summary values past the lexemes' own.
            stats = {lexeme: int(f * rows) for lexeme, f in zip(lexemes, freqs, strict=False)}
        self._stats, self._stats_until = stats, now + COMMON_FOR_SECONDS
        return stats

    def _ranked(self, plan: Plan) -> Select[str, float]:
        # The GIN index finds the selective terms' items; all terms rank them. There is no
        # order of insertion to keep the newest by: a query of common terms only ranks all of
        # its rarest term's items.
        # Normalisation 1 divides by the log of the length: long chunks do not win by size.
        distance = -func.ts_rank(self._terms.c.terms, self._tsquery(plan.terms), 1)
        return (
            select(self._terms.c.item_id, distance.label("distance"))
            .where(self._terms.c.terms.op("@@")(self._tsquery(plan.selective)))
            .order_by(distance)
        )
