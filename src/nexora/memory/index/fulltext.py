"""Full-text candidates: FTS5 with bm25 on SQLite, a 'simple' tsvector with GIN on PostgreSQL.

Both index the same analysed terms (`nexora.memory.text`), so Chinese words and English stems
match alike on either backend; a query is the OR of its terms, ranked by the backend. The best
matches are taken from the index alone and then filtered by scope; when the scope keeps fewer
than asked (a small agent in a large org), the scope is searched exhaustively instead.

Ranking costs time per matching item, and one word found in most items (a user's name in their
own memory) makes nearly every item a match while adding little to BM25. So each query first
counts its terms' matches, capped at `POSTINGS_BUDGET`, and ranks only by its rarest terms as
long as they match no more than that many items together (`selective_terms`): below the budget
— any store of fewer items — the query is ranked whole, as before."""

from __future__ import annotations

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
# Items a query's terms may match together before its most common terms are left out.
POSTINGS_BUDGET = 4000


def selective_terms(terms: Sequence[str], matches: Sequence[int], budget: int) -> list[str]:
    """The rarest of `terms` (each matching `matches[i]` items, counted up to `budget + 1`)
    whose matches add up to at most `budget`, in the query's order; at least the rarest one."""
    by_rarity = sorted(range(len(terms)), key=lambda i: (matches[i], i))
    chosen: list[int] = []
    total = 0
    for i in by_rarity:
        if chosen and total + matches[i] > budget:
            break
        chosen.append(i)
        total += matches[i]
    return [terms[i] for i in sorted(chosen)]


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


@dataclass(frozen=True, slots=True)
class Plan:
    """What a query ranks: `terms`, and when even its rarest term matches more items than the
    budget, only the `newest` that many matches of all its terms (where the backend can)."""

    terms: Sequence[str]
    newest: int | None = None


class _RankedFirst:
    """The search both backends share; each says how to rank its matches (lower is better)."""

    def _ranked(self, plan: Plan) -> Select[str, float]:
        raise NotImplementedError

    def _capped_count(self, term: str, cap: int) -> Select[int]:
        """How many items match `term`, counting no further than `cap`."""
        raise NotImplementedError

    async def _plan(self, session: AsyncSession, terms: Sequence[str]) -> Plan:
        budget = POSTINGS_BUDGET
        counts = [self._capped_count(term, budget + 1).scalar_subquery() for term in terms]
        matches = [int(count) for count in (await session.execute(select(*counts))).one()]
        if min(matches) > budget:
            return Plan(terms, newest=budget)
        return Plan(selective_terms(terms, matches, budget))

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
        everything = self._ranked(Plan(plan.terms)).cte("matches")
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

    def _capped_count(self, term: str, cap: int) -> Select[int]:
        some = select(self._fts.c.rowid).where(_fts_match(_quoted(term, '"'))).limit(cap).subquery()
        return select(func.count()).select_from(some)

    def _matches(self, plan: Plan) -> Select[int, float]:
        match = " OR ".join(_quoted(term, '"') for term in plan.terms)
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
            .where(_fts_match(match))
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

    def _capped_count(self, term: str, cap: int) -> Select[int]:
        some = (
            select(self._terms.c.item_id)
            .where(self._terms.c.terms.op("@@")(self._tsquery([term])))
            .limit(cap)
            .subquery()
        )
        return select(func.count()).select_from(some)

    def _ranked(self, plan: Plan) -> Select[str, float]:
        # No order of insertion to window by here: a query of common terms only ranks them all.
        tsquery = self._tsquery(plan.terms)
        # Normalisation 1 divides by the log of the length: long chunks do not win by size.
        distance = -func.ts_rank(self._terms.c.terms, tsquery, 1)
        return (
            select(self._terms.c.item_id, distance.label("distance"))
            .where(self._terms.c.terms.op("@@")(tsquery))
            .order_by(distance)
        )
