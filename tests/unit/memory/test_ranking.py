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
    fused = Ranking(vector_weight=1.0).fuse(["b", "x"], ["a", "y"], limit=3)
    assert [f.item_id for f in fused] == ["a", "b", "x"]


def test_one_list_alone_keeps_its_order() -> None:
    assert [f.item_id for f in Ranking().fuse([], ["q", "p", "r"], limit=5)] == ["q", "p", "r"]


def test_candidate_counts_are_bounded() -> None:
    ranking = Ranking(candidate_factor=4, min_candidates=40, max_candidates=100)
    assert ranking.candidates(1) == 40
    assert ranking.candidates(20) == 80
    assert ranking.candidates(1000) == 100


def test_a_candidate_in_a_strong_session_overtakes_a_lone_better_one() -> None:
    ranking = Ranking(rrf_k=20, session_weight=1.0, session_best=3)
    fused = ranking.fuse(["lone", "a", "b"], [], limit=10)
    boosted = ranking.boost_sessions(fused, {"lone": "s2", "a": "s1", "b": "s1"})
    assert [f.item_id for f in fused] == ["lone", "a", "b"]
    assert [f.item_id for f in boosted] == ["a", "b", "lone"]
    top = 1 / 21
    assert boosted[0].score == 1 / 22 + top  # the strongest session adds the best score
    assert boosted[2].score == top + top * top / (1 / 22 + 1 / 23)


def test_items_outside_sessions_keep_their_score_and_no_weight_changes_nothing() -> None:
    fused = Ranking(rrf_k=20).fuse(["a", "note", "b"], [], limit=10)
    boosted = Ranking(rrf_k=20).boost_sessions(fused, {"a": "s1", "b": "s1", "note": None})
    assert next(f for f in boosted if f.item_id == "note").score == 1 / 22
    assert Ranking(session_weight=0).boost_sessions(fused, {"a": "s1"}) == fused


def test_messages_of_a_named_speaker_are_raised_and_others_keep_their_score() -> None:
    ranking = Ranking(rrf_k=20, speaker_weight=0.2)
    fused = ranking.fuse(["a", "b", "c"], [], limit=10)
    raised = ranking.favour_speakers(fused, {"a": "Ann", "b": "Bob", "c": "Bob"}, {"Bob"})
    assert [f.item_id for f in raised] == ["b", "c", "a"]  # 1.2/23 overtakes 1/21
    assert raised[0].score == 1.2 / 22 and raised[2].score == 1 / 21
    assert ranking.favour_speakers(fused, {"a": "Ann"}, set()) == fused
    assert Ranking(speaker_weight=0).favour_speakers(fused, {"b": "Bob"}, {"Bob"}) == fused
