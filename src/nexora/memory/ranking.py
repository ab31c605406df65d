"""How full-text and vector candidates become one ranking: the knobs retrieval is tuned by.

Both backends fetch `Ranking.candidates(limit)` candidates from each retriever (already filtered
by scope, layers, kinds and time) and hand their ordered ids to `Ranking.fuse`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class Fused:
    item_id: str
    score: float
    lexical_rank: int | None  # 1-based position in the full-text list, None if absent
    vector_rank: int | None


def _order(f: Fused) -> tuple[float, int, str]:
    """Best score first; ties (the same rank in one list only) go to the better single rank,
    then to the id, so results never depend on set iteration order."""
    return (-f.score, min(f.lexical_rank or 1 << 30, f.vector_rank or 1 << 30), f.item_id)


@dataclass(frozen=True, slots=True)
class Ranking:
    """Weighted reciprocal rank fusion (Cormack et al., 2009).

    `rrf_k` damps the advantage of the very first ranks (the paper's 60 flattened scores so far
    that the first hit's session was right less often: 0.71 against 0.74 with 20 on LoCoMo);
    the weights scale each retriever's votes (full text gets more: on LoCoMo's conversations it
    found the evidence turn in the top 10 for 0.74 of questions against 0.52 for
    multilingual-e5-small's vectors, and equal votes pulled the fusion below full text alone);
    each retriever contributes `candidate_factor * limit` candidates, at least
    `min_candidates`, so an item ranked moderately by both can overtake one ranked first by
    only one.

    Messages are then lifted by their session: a question about an evening is answered by
    several of its turns, so each candidate gains `session_weight` times the best candidate's
    score, scaled by its session's strength against the strongest session's. A session's
    strength is how its best `session_best` candidates add up against the best session's
    (`session_strength`), plus `session_text_weight` times its whole text's BM25 score against
    the best one's, for the `session_text_sessions` strongest sessions
    (`nexora.memory.index.sessions`; `boost_sessions`)."""

    rrf_k: float = 20.0
    lexical_weight: float = 1.0
    vector_weight: float = 0.3
    session_weight: float = 1.0
    session_best: int = 3
    session_text_weight: float = 0.5
    session_text_sessions: int = 8
    speaker_weight: float = 0.2
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
        fused.sort(key=_order)
        return fused[:limit]

    def favour_speakers(
        self, fused: Sequence[Fused], speaker_of: Mapping[str, str], named: Set[str]
    ) -> list[Fused]:
        """`fused` with the scores of messages said by a speaker the query names raised by
        `speaker_weight` of themselves ("What does John want to do?" is asked of John's words;
        his name is in the context of everyone's messages, so full text alone hardly tells)."""
        if not named or self.speaker_weight == 0:
            return list(fused)
        raised = [
            replace(f, score=f.score * (1 + self.speaker_weight))
            if speaker_of.get(f.item_id) in named
            else f
            for f in fused
        ]
        raised.sort(key=_order)
        return raised

    def session_strength(
        self, fused: Sequence[Fused], session_of: Mapping[str, str | None]
    ) -> dict[str, float]:
        """Each session's best `session_best` candidate scores summed, the strongest as 1."""
        per_session: dict[str, list[float]] = defaultdict(list)
        for f in fused:
            if (session := session_of.get(f.item_id)) is not None:
                per_session[session].append(f.score)
        strength = {
            session: sum(sorted(scores, reverse=True)[: self.session_best])
            for session, scores in per_session.items()
        }
        strongest = max(strength.values(), default=0.0)
        if strongest <= 0:
            return dict.fromkeys(strength, 0.0)
        return {session: value / strongest for session, value in strength.items()}

    def text_sessions(self, strength: Mapping[str, float]) -> list[str]:
        """The sessions whose whole text is read: the strongest `session_text_sessions`."""
        if self.session_text_weight == 0:
            return []
        ranked = sorted(strength, key=lambda session: (-strength[session], session))
        return ranked[: self.session_text_sessions]

    def with_text(
        self, strength: Mapping[str, float], text_scores: Mapping[str, float]
    ) -> dict[str, float]:
        """`strength` plus `session_text_weight` times each session's whole-text score
        (`nexora.memory.index.sessions.bm25`) against the best one."""
        best = max(text_scores.values(), default=0.0)
        if best <= 0:
            return dict(strength)
        weight = self.session_text_weight / best
        return {s: v + weight * text_scores.get(s, 0.0) for s, v in strength.items()}

    def boost_sessions(
        self,
        fused: Sequence[Fused],
        session_of: Mapping[str, str | None],
        strength: Mapping[str, float] | None = None,
    ) -> list[Fused]:
        """`fused` re-ranked with each session's strength (by default `session_strength` of
        `fused`) added to its candidates' scores; candidates outside any session keep theirs."""
        if strength is None:
            strength = self.session_strength(fused, session_of)
        if not strength or self.session_weight == 0:
            return list(fused)
        strongest = max(strength.values())
        if strongest <= 0:
            return list(fused)
        top = max(f.score for f in fused)
        boosted = [
            replace(f, score=f.score + self.session_weight * top * strength[session] / strongest)
            if (session := session_of.get(f.item_id)) is not None
            else f
            for f in fused
        ]
        boosted.sort(key=_order)
        return boosted


DEFAULT_RANKING = Ranking()
