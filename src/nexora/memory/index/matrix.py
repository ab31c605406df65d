"""One org's vectors in memory, with the item attributes a search filters on, as arrays.

Strings (agent, group, user, layer, kind) are stored as integer codes so a filter over 100k
items is a few vectorised comparisons; 0 is the code of "none". Past `ivf.MIN_ROWS` rows the
matrix keeps its rows grouped in inverted lists (`ivf.py`) and a large scope is searched in
the lists nearest the query; a scope of fewer rows is searched exactly."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from nexora.memory.index import ivf
from nexora.memory.index.filters import Filters

Floats = npt.NDArray[np.float32]
Codes = npt.NDArray[np.int32]


@dataclass(frozen=True, slots=True)
class Row:
    item_id: str
    vector: bytes
    agent_id: str | None
    group_id: str | None
    user_id: str | None
    layer: str
    kind: str
    occurred_at: datetime


@dataclass
class OrgMatrix:
    dims: int
    generation: int = 0
    removals: int = 0
    ids: list[str] = field(default_factory=list)
    _row_of: dict[str, int] = field(default_factory=dict)
    _codes: dict[str | None, int] = field(default_factory=lambda: {None: 0})
    _size: int = 0
    _vectors: Floats = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    _attrs: Codes = field(default_factory=lambda: np.zeros((0, 5), dtype=np.int32))
    _times: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    _lists: ivf.InvertedLists | None = None
    # Grouped rows whose vector was replaced since: their list may be wrong, so they are
    # scanned exactly with the tail until the next regrouping.
    _displaced: set[int] = field(default_factory=set)
    # Centroids handed over from the matrix this one replaces (a reload after removals).
    reuse: tuple[ivf.Floats, int] | None = None

    def __post_init__(self) -> None:
        self._vectors = np.zeros((0, self.dims), dtype=np.float32)

    def __len__(self) -> int:
        return self._size

    def apply(self, rows: Iterable[Row]) -> None:
        """Adds new items and replaces the vectors and attributes of known ones."""
        fresh: list[Row] = []
        for row in rows:
            position = self._row_of.get(row.item_id)
            if position is None:
                fresh.append(row)
            else:
                self._vectors[position] = np.frombuffer(row.vector, dtype=np.float32)
                self._attrs[position] = self._row_codes(row)
                self._times[position] = epoch(row.occurred_at)
                if self._lists is not None and position < self._lists.grouped:
                    self._displaced.add(position)
        self._append(fresh)
        self._maintain_lists()

    def centroids(self) -> tuple[ivf.Floats, int] | None:
        """The trained centroids and the rows they were trained on, for a successor."""
        if self._lists is None:
            return None
        return self._lists.centroids, self._lists.trained_at

    def _append(self, fresh: list[Row]) -> None:
        if not fresh:
            return
        # New rows in one block: loading an org of 100k items is a few array copies, not
        # 100k small ones.
        start, count = self._size, len(fresh)
        self._reserve(start + count)
        vectors = np.frombuffer(b"".join(row.vector for row in fresh), dtype=np.float32)
        self._vectors[start : start + count] = vectors.reshape(count, self.dims)
        self._attrs[start : start + count] = [self._row_codes(row) for row in fresh]
        self._times[start : start + count] = [epoch(row.occurred_at) for row in fresh]
        for offset, row in enumerate(fresh):
            self._row_of[row.item_id] = start + offset
            self.ids.append(row.item_id)
        self._size += count

    def _row_codes(self, row: Row) -> list[int]:
        values = (row.agent_id, row.group_id, row.user_id, row.layer, row.kind)
        return [self._code(value) for value in values]

    def nearest(self, query: Floats, filters: Filters, limit: int) -> list[str]:
        """Ids of the `limit` visible items closest to `query` (cosine: all are normalised)."""
        mask = self._mask(filters)
        visible = int(np.count_nonzero(mask))
        if visible == 0:
            return []
        if self._lists is None or visible < ivf.MIN_ROWS:
            rows, scores = self._exact(query, mask, visible)
        else:
            rows, scores = self._probe(self._lists, query, mask, visible, limit)
        count = min(limit, rows.size)
        top = np.argpartition(-scores, count - 1)[:count]
        chosen = rows[top[np.argsort(-scores[top], kind="stable")]]
        return [self.ids[int(position)] for position in chosen]

    def _exact(
        self, query: Floats, mask: npt.NDArray[np.bool_], visible: int
    ) -> tuple[ivf.Positions, Floats]:
        rows = np.flatnonzero(mask)
        # Multiplying every row and dropping the hidden ones beats copying most of the matrix
        # out first (the product is memory-bound); for a small scope the copy is cheaper.
        if visible * 2 >= self._size:
            return rows, (self._vectors[: self._size] @ query)[rows]
        return rows, self._vectors[rows] @ query

    def _probe(
        self,
        lists: ivf.InvertedLists,
        query: Floats,
        mask: npt.NDArray[np.bool_],
        visible: int,
        limit: int,
    ) -> tuple[ivf.Positions, Floats]:
        """The visible rows of the nearest lists, probed until they hold the share of the
        scope a probe is meant to see (a narrow scope probes more lists), plus the tail."""
        order = lists.probe_order(query)
        wanted = max(limit, int(visible * ivf.PROBE_SHARE))
        step = lists.probes()
        positions: list[ivf.Positions] = []
        scores: list[Floats] = []
        found = 0
        for start in range(0, len(order), step):
            for first, end in lists.rows(order[start : start + step]):
                keep = np.flatnonzero(mask[first:end])
                if keep.size:
                    positions.append(keep + first)
                    scores.append((self._vectors[first:end] @ query)[keep])
                    found += keep.size
            if found >= wanted:
                break
        unlisted = np.concatenate(
            [
                np.arange(lists.grouped, self._size, dtype=np.int64),
                np.fromiter(self._displaced, dtype=np.int64, count=len(self._displaced)),
            ]
        )
        unlisted = unlisted[mask[unlisted]]
        positions.append(unlisted)
        scores.append(self._vectors[unlisted] @ query)
        rows, values = np.concatenate(positions), np.concatenate(scores)
        if self._displaced:
            # A displaced row can also sit in a probed list: count it once.
            rows, once = np.unique(rows, return_index=True)
            values = values[once]
        return rows, values

    def _maintain_lists(self) -> None:
        """Groups the rows once there are enough of them, and again when too many are
        outside the lists (new rows, replaced vectors)."""
        if self._size < ivf.MIN_ROWS:
            return
        vectors = self._vectors[: self._size]
        lists = self._lists
        if lists is None:
            centroids, trained_at = self.reuse or (None, 0)
            fresh, order = ivf.group(vectors, centroids, trained_at)
        else:
            if not lists.needs_regrouping(self._size - lists.grouped + len(self._displaced)):
                return
            known = lists.lists_of.copy()
            moved = np.fromiter(self._displaced, dtype=np.int64, count=len(self._displaced))
            if moved.size:
                known[moved] = ivf.assign(vectors[moved], lists.centroids)
            fresh, order = ivf.group(vectors, lists.centroids, lists.trained_at, known)
        self._permute(order)
        self._lists, self.reuse = fresh, None
        self._displaced.clear()

    def _permute(self, order: ivf.Positions) -> None:
        size = self._size
        self._vectors[:size] = self._vectors[order]
        self._attrs[:size] = self._attrs[order]
        self._times[:size] = self._times[order]
        self.ids = [self.ids[int(position)] for position in order]
        self._row_of = {item_id: position for position, item_id in enumerate(self.ids)}

    def _mask(self, filters: Filters) -> npt.NDArray[np.bool_]:
        scope = filters.scope
        attrs = self._attrs[: self._size]
        agent, group, user, layer, kind = (attrs[:, column] for column in range(5))
        readers = [0] if scope.user_id is None else [0, self._known(scope.user_id)]
        mask = (agent == self._known(scope.agent_id)) & np.isin(user, readers)
        if scope.group_ids:
            mask |= np.isin(group, self._known_all(scope.group_ids))
        if filters.layers:
            mask &= np.isin(layer, self._known_all(filters.layers))
        if filters.kinds:
            mask &= np.isin(kind, self._known_all(filters.kinds))
        times = self._times[: self._size]
        if filters.since is not None:
            mask &= times >= epoch(filters.since)
        if filters.until is not None:
            mask &= times < epoch(filters.until)
        visible: npt.NDArray[np.bool_] = mask
        return visible

    def _code(self, value: str | None) -> int:
        return self._codes.setdefault(value, len(self._codes))

    def _known(self, value: str | None) -> int:
        # -1 matches no row: a value no item carries must not be given a code of its own (nor
        # a reader without an agent, who sees team boards only).
        return -1 if value is None else self._codes.get(value, -1)

    def _known_all(self, values: Sequence[str]) -> list[int]:
        return [self._known(value) for value in values]

    def _reserve(self, rows: int) -> None:
        if rows <= len(self._vectors):
            return
        capacity = max(1024, rows, 2 * len(self._vectors))
        vectors = np.zeros((capacity, self.dims), dtype=np.float32)
        vectors[: self._size] = self._vectors[: self._size]
        attrs = np.zeros((capacity, 5), dtype=np.int32)
        attrs[: self._size] = self._attrs[: self._size]
        times = np.zeros(capacity)
        times[: self._size] = self._times[: self._size]
        self._vectors, self._attrs, self._times = vectors, attrs, times


def epoch(moment: datetime) -> float:
    """SQLite hands back naive datetimes; they are UTC, as everything Nexora stores."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
