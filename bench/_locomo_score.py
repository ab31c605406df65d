"""The LoCoMo retrieval figures, from each question's ranked turns: recall@5 and recall@10 of
the evidence turns (mean over questions of |evidence ∩ top k| / |evidence|) and session hit@1
(the session a system ranks first holds an evidence turn), per category and for 1-4."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from _locomo_data import Question

CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}
SCORED = (1, 2, 3, 4)  # adversarial questions have no answer in the conversation
METRICS = ("recall@5", "recall@10", "session hit@1")


@dataclass(frozen=True, slots=True)
class Ranked:
    """One question's result: dia_ids in rank order, and the best session as the system saw it."""

    question: Question
    dia_ids: Sequence[str]
    top_session: int | None


@dataclass(frozen=True, slots=True)
class Scores:
    rows: dict[str, dict[str, float]]  # "1".."5" and "1-4" -> metric -> value
    counts: dict[str, int]


def session_of(dia_id: str) -> int:
    """'D12:4' -> 12."""
    return int(dia_id[1:].split(":")[0])


def top_session(ranked: Sequence[tuple[str, float]], best: int) -> int | None:
    """The session whose `best` highest-scored turns in `ranked` (dia_id, score) add up most."""
    per: dict[int, list[float]] = defaultdict(list)
    for dia_id, value in ranked:
        per[session_of(dia_id)].append(value)
    if not per:
        return None
    return max(per, key=lambda s: sum(sorted(per[s], reverse=True)[:best]))


def score(results: Sequence[Ranked]) -> Scores:
    """Questions without evidence are left out (the caller says how many)."""
    values: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for result in results:
        evidence = set(result.question.evidence)
        if not evidence:
            continue
        sessions = {session_of(i) for i in evidence}
        category = result.question.category
        for key in (str(category), "1-4") if category in SCORED else (str(category),):
            for k in (5, 10):
                found = len(evidence & set(result.dia_ids[:k]))
                values[key][f"recall@{k}"].append(found / len(evidence))
            values[key]["session hit@1"].append(float(result.top_session in sessions))
    rows = {k: {m: sum(v) / len(v) for m, v in metrics.items()} for k, metrics in values.items()}
    counts = {k: len(metrics["recall@5"]) for k, metrics in values.items()}
    return Scores(rows, counts)
