"""Inverted lists over an org's vectors (IVF-flat): a large scope is searched in the few lists
nearest the query instead of every row.

An exact scan of 100k x 384 float32 reads 150 MB per query and is bound by memory bandwidth
(about 12 ms on an idle core). Here the rows are grouped by their nearest of about sqrt(n)
centroids (spherical k-means: the vectors are normalised, similarity is the dot product) and
stored contiguously per list, so probing a list is one slice and one small product. Rows added
after grouping form a tail that is scanned exactly until it is worth grouping again; the
centroids are kept until the collection has doubled, so regrouping mostly reorders rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float32]
Positions = npt.NDArray[np.int64]

# Below this many rows an exact scan is as fast as probing and always exact.
MIN_ROWS = 20_000
# Rows a probe should look at, as a share of the grouped rows (recall against exact search
# is above 0.95 at 10 of 40 candidates for embedders' vectors; see tests/unit/memory).
PROBE_SHARE = 1 / 12
MIN_PROBES = 8
TRAIN_SAMPLE = 16_384
TRAIN_ROUNDS = 8
# The tail is scanned exactly; past this share of the grouped rows the rows are regrouped.
MAX_TAIL_SHARE = 0.1


def list_count(rows: int) -> int:
    return max(16, int(np.sqrt(rows)))


def train(vectors: Floats, lists: int, seed: int = 0) -> Floats:
    """Centroids of `lists` groups of normalised `vectors` (spherical k-means on a sample)."""
    rng = np.random.default_rng(seed)
    sample = vectors
    if len(vectors) > TRAIN_SAMPLE:
        sample = vectors[rng.choice(len(vectors), TRAIN_SAMPLE, replace=False)]
    centroids = sample[rng.choice(len(sample), lists, replace=False)].copy()
    for _ in range(TRAIN_ROUNDS):
        nearest = np.argmax(sample @ centroids.T, axis=1)
        sums = np.zeros_like(centroids)
        np.add.at(sums, nearest, sample)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        # An empty group keeps its old centroid rather than vanishing.
        filled = norms[:, 0] > 0
        centroids[filled] = sums[filled] / norms[filled]
    return centroids


def assign(vectors: Floats, centroids: Floats, batch: int = 8192) -> npt.NDArray[np.int32]:
    """The nearest centroid of each row, a batch at a time to bound the scores' memory."""
    out = np.empty(len(vectors), dtype=np.int32)
    for start in range(0, len(vectors), batch):
        out[start : start + batch] = np.argmax(vectors[start : start + batch] @ centroids.T, 1)
    return out


@dataclass
class InvertedLists:
    """Rows `[offsets[i], offsets[i + 1])` of the owner's matrix are list i's; rows from
    `grouped` on are the tail. `lists_of` is each grouped row's list (kept for regrouping)."""

    centroids: Floats
    offsets: Positions
    lists_of: npt.NDArray[np.int32]
    trained_at: int  # rows when the centroids were trained

    @property
    def grouped(self) -> int:
        return int(self.offsets[-1])

    def needs_regrouping(self, unlisted: int) -> bool:
        return unlisted > MAX_TAIL_SHARE * self.grouped

    def probe_order(self, query: Floats) -> Positions:
        """Lists from the nearest to the query's direction."""
        order: Positions = np.argsort(-(self.centroids @ query), kind="stable")
        return order

    def probes(self) -> int:
        lists = len(self.centroids)
        return min(lists, max(MIN_PROBES, int(np.ceil(lists * PROBE_SHARE))))

    def rows(self, lists: Positions) -> list[tuple[int, int]]:
        """The row ranges of `lists`, empty ones left out."""
        starts, ends = self.offsets[lists], self.offsets[lists + 1]
        return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True) if b > a]


def group(
    vectors: Floats,
    centroids: Floats | None = None,
    trained_at: int = 0,
    known: npt.NDArray[np.int32] | None = None,
) -> tuple[InvertedLists, Positions]:
    """Lists over all of `vectors` and the order that makes each list contiguous
    (`vectors[order]`). With `centroids` (trained at `trained_at` rows) they are kept unless
    the collection has doubled since; `known` are the lists of the first rows, still valid
    (only the rows after them are assigned)."""
    rows = len(vectors)
    if centroids is None or rows >= 2 * trained_at:
        centroids, trained_at, known = train(vectors, list_count(rows)), rows, None
    done = 0 if known is None else len(known)
    lists_of = assign(vectors[done:], centroids)
    if known is not None:
        lists_of = np.concatenate([known, lists_of])
    order: Positions = np.argsort(lists_of, kind="stable")
    sorted_lists = lists_of[order]
    offsets = np.searchsorted(sorted_lists, np.arange(len(centroids) + 1)).astype(np.int64)
    return InvertedLists(centroids, offsets, sorted_lists, trained_at), order
