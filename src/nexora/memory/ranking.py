"""How full-text and vector candidates become one ranking: the knobs retrieval is tuned by.

Both backends fetch `Ranking.candidates(limit)` candidates from each retriever (already filtered
by scope, layers, kinds and time) and hand their ordered ids to `Ranking.fuse`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Fused:
    item_id: str
    score: float
    lexical_rank: int | None  # 1-based position in the full-text list, None if absent
    vector_rank: int | None


@dataclass(frozen=True, slots=True)
class Ranking:
    """Weighted reciprocal rank fusion (Cormack et al., 2009).

    `rrf_k` damps the advantage of the very first ranks (60 is the paper's value); the weights
    scale each retriever's votes; each retriever contributes `candidate_factor * limit`
    candidates, at least `min_candidates`, so an item ranked moderately by both can overtake
    one ranked first by only one."""

    rrf_k: float = 60.0
    lexical_weight: float = 1.0
    vector_weight: float = 1.0
    candidate_factor: int = 4
    min_candidates: int = 40
    max_candidates: int = 400

    def candidates(self, limit: int) -> int:
        return max(self.min_candidates, min(self.max_candidates, self.candidate_factor * limit))

    def fuse(self, lexical: Sequence[str], vector: Sequence[str], limit: int) -> list[Fused]:
        lexical_ranks = {item_id: rank for rank, item_id in enumerate(lexical, 1)}
        vector_ranks = {item_id: rank for rank, item_id in enumerate(vector, 1)}
        fused = []
        for item_id in lexical_ranks.keys() | vector_ranks.keys():
            lexical_rank = lexical_ranks.get(item_id)
            vector_rank = vector_ranks.get(item_id)
            score = 0.0
            if lexical_rank is not None:
                score += self.lexical_weight / (self.rrf_k + lexical_rank)
            if vector_rank is not None:
                score += self.vector_weight / (self.rrf_k + vector_rank)
            fused.append(Fused(item_id, score, lexical_rank, vector_rank))
        # Ties (the same rank in one list only) go to the better single rank, then to the id,
        # so results never depend on set iteration order.
        fused.sort(
            key=lambda f: (
                -f.score,
                min(f.lexical_rank or 1 << 30, f.vector_rank or 1 << 30),
                f.item_id,
            )
        )
        return fused[:limit]


DEFAULT_RANKING = Ranking()
