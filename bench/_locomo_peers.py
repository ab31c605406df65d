"""The peers' own memory search beside Nexora's in one `bench/locomo.py` run: each peer indexes
the first few conversations (its indexing takes minutes per conversation) and answers their
questions; its rankings are scored by the same code as Nexora's (`_locomo_score.score`, same
evidence repairs), and Nexora's results on the same conversations are taken from the same run.

A peer returns ranked turns without scores that compare across sessions, so its session hit@1
weighs each of its turns by reciprocal rank before `top_session` sums a session's best ones:
the session it ranks first, as its agent reads it."""

from __future__ import annotations

import os
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from _locomo_data import Conversation, Question
from _locomo_score import Ranked, Scores, score, top_session

PEER_K = 10  # hits a peer's memory_search returns: what its agent reads, and all recall@10 needs


@dataclass
class PeerRow:
    """One peer's scored results on the peers' conversations, or why it has none."""

    name: str
    scores: Scores | None = None
    setup_seconds: float = 0.0
    index_seconds: float = 0.0
    query_seconds: list[float] = field(default_factory=list)
    failure: str = ""

    def timings(self) -> str:
        if self.scores is None:
            return f"{self.name}: did not run ({self.failure})"
        p50 = statistics.median(self.query_seconds) * 1000 if self.query_seconds else 0.0
        top = max(self.query_seconds, default=0.0) * 1000
        return (
            f"{self.name}: setup {self.setup_seconds:.1f} s, indexing {self.index_seconds:.1f} s,"
            f" query p50 {p50:.0f} ms, max {top:.0f} ms"
        )


def ranked_by_rank(question: Question, dia_ids: Sequence[str], best: int) -> Ranked:
    """A peer's ranking as `Ranked`: the turn at rank r weighs 1/r for the session choice."""
    weighted = [(dia_id, 1.0 / rank) for rank, dia_id in enumerate(dia_ids, 1)]
    return Ranked(question, list(dia_ids), top_session(weighted, best))


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"


def run_peers(
    peers: Sequence[str],
    conversations: Sequence[Conversation],
    questions: Sequence[Question],
    best: int,
) -> list[PeerRow]:
    """Runs each peer in turn (never two at once: they share the cores with the embedder)."""
    from _memory_peers import run_peer
    from _peers import PeerUnavailable

    rows = []
    for peer in peers:
        try:
            run = run_peer(peer, conversations, questions, PEER_K)
        except PeerUnavailable as exc:
            rows.append(PeerRow(peer, failure=str(exc)))
            continue
        results = [
            ranked_by_rank(q, run.rankings.get(q.id, []), best)
            for q in questions
            if q.conversation_id in {c.id for c in conversations}
        ]
        version = run.notes.get("version", "")
        rows.append(
            PeerRow(
                f"{run.peer} {version}".strip(),
                score(results),
                run.setup_seconds,
                run.index_seconds,
                run.query_seconds,
            )
        )
    return rows
