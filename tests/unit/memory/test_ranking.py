"""Reciprocal rank fusion: what both backends rank hits by."""

from __future__ import annotations

from nexora.memory.ranking import Ranking


def test_an_item_found_by_both_retrievers_outranks_one_found_by_one() -> None:
    fused = Ranking().fuse(["a", "b", "c"], ["c", "d"], limit=10)
    assert fused[0].item_id == "c"
    assert (fused[0].lexical_rank, fused[0].vector_rank) == (3, 1)


def test_scores_are_weighted_reciprocal_ranks() -> None:
    ranking = Ranking(rrf_k=10, lexical_weight=2.0, vector_weight=1.0)
    fused = {f.item_id: f for f in ranking.fuse(["a", "b"], ["b"], limit=10)}
    assert fused["a"].score == 2.0 / 11
    assert fused["b"].score == 2.0 / 12 + 1.0 / 11
    assert fused["a"].vector_rank is None


def test_weights_decide_between_the_retrievers_first_hits() -> None:
    assert Ranking(vector_weight=2.0).fuse(["a"], ["b"], limit=1)[0].item_id == "b"
    assert Ranking(lexical_weight=2.0).fuse(["a"], ["b"], limit=1)[0].item_id == "a"


def test_ties_are_broken_deterministically_and_limit_applies() -> None:
    fused = Ranking().fuse(["b", "x"], ["a", "y"], limit=3)
    assert [f.item_id for f in fused] == ["a", "b", "x"]


def test_one_list_alone_keeps_its_order() -> None:
    assert [f.item_id for f in Ranking().fuse([], ["q", "p", "r"], limit=5)] == ["q", "p", "r"]


def test_candidate_counts_are_bounded() -> None:
    ranking = Ranking(candidate_factor=4, min_candidates=40, max_candidates=100)
    assert ranking.candidates(1) == 40
    assert ranking.candidates(20) == 80
    assert ranking.candidates(1000) == 100
