"""The in-memory vector matrix: exact nearest neighbours under the reader's scope and filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from nexora.memory.index.filters import Filters
from nexora.memory.index.matrix import OrgMatrix, Row
from nexora.memory.scope import Scope

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _vector(*values: float) -> bytes:
    array = np.asarray(values, dtype=np.float32)
    return (array / np.linalg.norm(array)).tobytes()


def _row(item_id: str, vector: bytes, **attrs: object) -> Row:
    values: dict[str, object] = {
        "agent_id": "a1",
        "group_id": None,
        "user_id": None,
        "layer": "episodic",
        "kind": "fact",
        "occurred_at": T0,
    }
    values.update(attrs)
    return Row(item_id, vector, **values)  # type: ignore[arg-type]


def _matrix() -> OrgMatrix:
    matrix = OrgMatrix(dims=2)
    matrix.apply(
        [
            _row("near", _vector(1, 0.1)),
            _row("far", _vector(0, 1)),
            _row("mid", _vector(1, 1)),
            _row("anns", _vector(1, 0), user_id="ann"),
            _row("bobs", _vector(1, 0), user_id="bob"),
            _row("writer", _vector(1, 0), agent_id="a2"),
            _row("team", _vector(1, 0), agent_id=None, group_id="g1"),
            _row("doc", _vector(1, 0.2), layer="archival", kind="chunk"),
            _row("old", _vector(1, 0.3), occurred_at=T0 - timedelta(days=30)),
        ]
    )
    return matrix


QUERY = np.asarray([1, 0], dtype=np.float32)


def test_nearest_first_within_the_agents_shared_items() -> None:
    found = _matrix().nearest(QUERY, Filters(Scope("o", "a1")), limit=10)
    assert found == ["near", "doc", "old", "mid", "far"]


def test_private_items_only_for_their_user_and_blackboards_for_members() -> None:
    matrix = _matrix()
    ann = matrix.nearest(QUERY, Filters(Scope("o", "a1", user_id="ann")), limit=10)
    assert "anns" in ann and "bobs" not in ann and "writer" not in ann and "team" not in ann
    member = matrix.nearest(QUERY, Filters(Scope("o", "a1", group_ids=("g1",))), limit=10)
    assert "team" in member and "anns" not in member
    stranger = matrix.nearest(QUERY, Filters(Scope("o", "a9", user_id="zed")), limit=10)
    assert stranger == []


def test_layers_kinds_and_time() -> None:
    matrix, scope = _matrix(), Scope("o", "a1")
    assert matrix.nearest(QUERY, Filters(scope, layers=("archival",)), 10) == ["doc"]
    assert "doc" not in matrix.nearest(QUERY, Filters(scope, kinds=("fact",)), 10)
    recent = matrix.nearest(QUERY, Filters(scope, since=T0 - timedelta(days=1)), 10)
    assert "old" not in recent and "near" in recent
    # SQLite hands back naive datetimes: they are taken as UTC.
    naive = Filters(scope, until=(T0 - timedelta(days=1)).replace(tzinfo=None))
    assert matrix.nearest(QUERY, naive, 10) == ["old"]


def test_a_rewritten_item_moves_and_limit_applies() -> None:
    matrix = _matrix()
    matrix.apply([_row("far", _vector(1, 0))])
    assert matrix.nearest(QUERY, Filters(Scope("o", "a1")), limit=2) == ["far", "near"]
    assert len(matrix) == 9


def test_growing_past_the_first_allocation_keeps_every_row() -> None:
    matrix = OrgMatrix(dims=2)
    rng = np.random.default_rng(1)
    matrix.apply(_row(f"i{n}", _vector(*rng.normal(size=2))) for n in range(3000))
    matrix.apply([_row("best", _vector(1, 0))])
    assert len(matrix) == 3001
    assert matrix.nearest(QUERY, Filters(Scope("o", "a1")), limit=1) == ["best"]
