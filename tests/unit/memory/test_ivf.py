"""Inverted lists in the vector matrix: recall against exact search, scope filters, rows added,
rewritten and removed after grouping."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
import pytest

from nexora.memory.index import ivf
from nexora.memory.index.filters import Filters
from nexora.memory.index.matrix import OrgMatrix, Row
from nexora.memory.scope import Scope

DIMS = 48
ROWS = ivf.MIN_ROWS + 4_000
T0 = datetime(2026, 1, 1, tzinfo=UTC)
EVERYONE = Filters(Scope("o", "a1", user_id="ann"))

Floats = npt.NDArray[np.float32]


def _clustered(rng: np.random.Generator, count: int, centers: Floats) -> Floats:
    """Points around random centres, as embedders' vectors cluster by topic."""
    picks = centers[rng.integers(len(centers), size=count)]
    points = picks + 0.35 * rng.normal(size=(count, DIMS)).astype(np.float32)
    normalised: Floats = points / np.linalg.norm(points, axis=1, keepdims=True)
    return normalised


def _rows(vectors: Floats, prefix: str = "i") -> list[Row]:
    # Every fourth row private to ann, every fourth to bob: the shared scope sees half.
    users = (None, None, "ann", "bob")
    return [
        Row(f"{prefix}{n}", vector.tobytes(), "a1", None, users[n % 4], "episodic", "fact", T0)
        for n, vector in enumerate(vectors)
    ]


@pytest.fixture(scope="module")
def data() -> tuple[Floats, Floats, Floats]:
    rng = np.random.default_rng(3)
    centers = rng.normal(size=(300, DIMS)).astype(np.float32)
    return _clustered(rng, ROWS, centers), _clustered(rng, 60, centers), centers


def _matrix(vectors: Floats) -> OrgMatrix:
    matrix = OrgMatrix(DIMS)
    matrix.apply(_rows(vectors))
    return matrix


def _exact(vectors: Floats, query: Floats, allowed: npt.NDArray[np.bool_], k: int) -> list[str]:
    scores = np.where(allowed, vectors @ query, -np.inf)
    return [f"i{n}" for n in np.argsort(-scores, kind="stable")[:k]]


def _recall(matrix: OrgMatrix, vectors: Floats, queries: Floats, filters: Filters, k: int) -> float:
    users = np.arange(len(vectors)) % 4
    readers = {None: (0, 1), "ann": (0, 1, 2)}[filters.scope.user_id]
    allowed = np.isin(users, readers)
    found = 0
    for query in queries:
        got = matrix.nearest(query, filters, k)
        assert len(got) == len(set(got)) == k
        found += len(set(got) & set(_exact(vectors, query, allowed, k)))
    return found / (k * len(queries))


def test_large_collections_are_grouped_and_small_ones_are_not(
    data: tuple[Floats, Floats, Floats],
) -> None:
    vectors, _, _ = data
    assert _matrix(vectors[: ivf.MIN_ROWS - 1]).centroids() is None
    grouped = _matrix(vectors).centroids()
    assert grouped is not None and grouped[0].shape == (ivf.list_count(ROWS), DIMS)


@pytest.mark.parametrize("k", [10, 40])
def test_recall_against_exact_search(data: tuple[Floats, Floats, Floats], k: int) -> None:
    vectors, queries, _ = data
    assert _recall(_matrix(vectors), vectors, queries, EVERYONE, k) >= 0.95


def test_a_narrower_scope_probes_more_and_returns_only_what_it_may_see(
    data: tuple[Floats, Floats, Floats],
) -> None:
    vectors, queries, _ = data
    matrix = _matrix(vectors)
    shared = Filters(Scope("o", "a1"))  # half the rows: past MIN_ROWS, so probed
    assert _recall(matrix, vectors, queries, shared, 10) >= 0.95
    for query in queries[:10]:
        assert all(int(item_id[1:]) % 4 in (0, 1) for item_id in matrix.nearest(query, shared, 40))
    stranger = Filters(Scope("o", "a1", user_id="zed"))
    assert all(int(i[1:]) % 4 < 2 for i in matrix.nearest(queries[0], stranger, 40))


def test_rows_added_after_grouping_are_found_and_later_regrouped(
    data: tuple[Floats, Floats, Floats],
) -> None:
    vectors, queries, centers = data
    matrix = _matrix(vectors)
    lists = matrix.centroids()
    matrix.apply([Row("new", queries[0].tobytes(), "a1", None, None, "episodic", "fact", T0)])
    assert matrix.nearest(queries[0], EVERYONE, 3)[0] == "new"
    # Past the tail's allowance the rows are regrouped, with the same centroids.
    extra = _clustered(np.random.default_rng(4), int(ROWS * ivf.MAX_TAIL_SHARE) + 10, centers)
    matrix.apply(_rows(extra, prefix="x"))
    assert matrix.centroids() is not None and matrix.centroids()[0] is lists[0]  # type: ignore[index]
    assert len(matrix) == ROWS + 1 + len(extra)
    assert matrix.nearest(queries[0], EVERYONE, 3)[0] == "new"
    assert matrix.nearest(extra[5], EVERYONE, 1) == ["x5"]


def test_a_rewritten_row_is_found_at_its_new_place_once(
    data: tuple[Floats, Floats, Floats],
) -> None:
    vectors, queries, _ = data
    matrix = _matrix(vectors)
    far = int(np.argmin(vectors @ queries[1]))
    rewritten = Row(f"i{far}", queries[1].tobytes(), "a1", None, None, "episodic", "fact", T0)
    matrix.apply([rewritten])
    found = matrix.nearest(queries[1], EVERYONE, 40)
    assert found[0] == f"i{far}" and found.count(f"i{far}") == 1


def test_a_reload_after_removals_keeps_the_centroids_and_drops_the_rows(
    data: tuple[Floats, Floats, Floats],
) -> None:
    vectors, queries, _ = data
    old = _matrix(vectors)
    best = old.nearest(queries[2], EVERYONE, 1)[0]
    kept = [row for row in _rows(vectors) if row.item_id != best]
    reloaded = OrgMatrix(DIMS, reuse=old.centroids())
    reloaded.apply(kept)
    assert reloaded.centroids()[0] is old.centroids()[0]  # type: ignore[index]
    assert best not in reloaded.nearest(queries[2], EVERYONE, 40)
