"""Chat-turn latency and throughput: Nexora against QwenPaw and OpenClaw, in one run, all talking
to the same instant fake model (`_fake_llm.py`, its own process).

For each system: turns one after another, each in a new chat (time to first token and whole
turn, raw and with the model's own handling time subtracted), then `--concurrency` clients
looping turns for `--seconds` (turns per second, latency under load), then the RSS of the
server's process tree. See bench/README.md for what each figure means.

    python bench/runtime.py [--turns 200] [--concurrency 50] [--seconds 20] [--skip-peers]
                            [--postgres] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import traceback
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import _chat_nexora
import _chat_peers
from _latency import (
    Costed,
    Latency,
    RunClock,
    Throughput,
    as_json,
    fake_cursor,
    latency,
    model_calls,
    steps,
    throughput,
)
from _peers import PeerUnavailable
from _proc import ProcError, Reaper, clean_env, free_port, reaper, tree_memory, wait_for_200
from _runtime_report import SystemRun, render
from _turns import Target, Turn, load, nexora_chat_line, openai_line, sequential

WORK = Path(__file__).resolve().parent / ".work"
WARMUP_TURNS = 3
MAX_LOAD_TURNS = 100_000
T = TypeVar("T")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(coro: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


@dataclass(frozen=True)
class Bench:
    args: argparse.Namespace
    fake_base: str

    @property
    def model_url(self) -> str:
        return f"{self.fake_base}/v1"

    def turns(
        self, base: str, target: Target, phase: str, count: int
    ) -> tuple[Latency, list[Costed]]:
        log(f"  {target.name}: {WARMUP_TURNS} warm-up + {count} turns one after another")
        warm = run(sequential(base, target, f"{phase}w", WARMUP_TURNS))
        cursor = fake_cursor(self.fake_base)
        done = run(sequential(base, target, phase, count))
        calls, _ = model_calls(self.fake_base, cursor)
        cold: Turn | None = warm[0] if warm else None
        return latency(target.name, done, calls, cold)

    def load(self, base: str, target: Target, phase: str) -> Throughput:
        a = self.args
        log(f"  {target.name}: {a.concurrency} concurrent chats for {a.seconds:.0f} s")
        cursor = fake_cursor(self.fake_base)
        result = run(load(base, target, phase, a.concurrency, a.seconds, MAX_LOAD_TURNS))
        calls, _ = model_calls(self.fake_base, cursor)
        return throughput(target.name, result, calls, a.concurrency, a.seconds)


def nexora_targets(chat: _chat_nexora.NexoraChat) -> tuple[Target, Target]:
    agent_id = chat.agent_id
    api = Target(
        "Nexora /api/chat",
        "/api/chat",
        lambda message: {"agent_id": agent_id, "message": message},
        nexora_chat_line,
        chat.headers,
    )
    openai = Target(
        "Nexora /v1/chat/completions",
        "/v1/chat/completions",
        lambda message: {
            "model": _chat_nexora.AGENT_NAME,
            "stream": True,
            "messages": [{"role": "user", "content": message}],
        },
        openai_line,
        chat.headers,
    )
    return api, openai


def measure_nexora(bench: Bench, owner: Reaper, label: str, db_url: str | None) -> SystemRun:
    from importlib.metadata import version

    result = SystemRun(label, version("nexora"))
    log(f"{label}: starting")
    chat = _chat_nexora.start(owner, WORK / "runtime" / label.replace(" ", "-"), bench.model_url,
                              db_url)  # fmt: skip
    try:
        api, openai = nexora_targets(chat)
        base = chat.server.base
        api_latency, costed = bench.turns(base, api, "nx_api", bench.args.turns)
        result.latency.append(api_latency)
        result.latency.append(bench.turns(base, openai, "nx_v1", bench.args.turns)[0])
        clocks = _chat_nexora.run_times(chat, [c.turn.run_id for c in costed if c.turn.run_id])
        result.steps = steps(
            costed,
            {
                r.run_id: RunClock(r.step_count, r.created_at, r.started_at, r.finished_at)
                for r in clocks
                if r.started_at is not None and r.finished_at is not None
            },
        )
        result.load.append(bench.load(base, api, "nx_api_load"))
        result.load.append(bench.load(base, openai, "nx_v1_load"))
        result.memory_after_load = tree_memory(chat.server.proc.pid)
    finally:
        owner.kill(chat.server.proc)
    return result


def measure_peer(bench: Bench, owner: Reaper, name: str) -> SystemRun:
    setup = _chat_peers.qwenpaw if name == "QwenPaw" else _chat_peers.openclaw
    log(f"{name}: installing (cached after the first run) and starting")
    try:
        peer = setup(owner, WORK, bench.model_url)
    except (PeerUnavailable, ProcError) as exc:
        return SystemRun(name, "-", problem=str(exc))
    result = SystemRun(name, peer.installed.version)
    try:
        count = bench.args.peer_turns or bench.args.turns
        result.latency.append(bench.turns(peer.base, peer.target, f"{name.lower()}", count)[0])
        result.load.append(bench.load(peer.base, peer.target, f"{name.lower()}_load"))
        result.memory_after_load = tree_memory(peer.proc.pid)
    except Exception as exc:  # report what failed and keep the figures already measured
        result.problem = f"{type(exc).__name__}: {exc}"
        log(traceback.format_exc())
    finally:
        owner.kill(peer.proc)
    return result


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200, help="sequential turns per endpoint")
    parser.add_argument("--peer-turns", type=int, default=0, help="for the peers (default --turns)")
    parser.add_argument("--concurrency", type=int, default=50, help="concurrent chats under load")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each load phase")
    parser.add_argument("--skip-peers", action="store_true", help="measure Nexora only")
    parser.add_argument("--postgres", action="store_true", help="also Nexora on PostgreSQL")
    parser.add_argument("--json", action="store_true", help="JSON on stdout instead of tables")
    args = parser.parse_args()
    if not (1 <= args.turns <= 100_000 and 1 <= args.concurrency <= 1000):
        parser.error("--turns must be 1..100000 and --concurrency 1..1000")
    if not 1 <= args.seconds <= 3600:
        parser.error("--seconds must be 1..3600")
    return args


def main() -> int:
    args = parse_args()
    systems: list[SystemRun] = []
    # Other work on the machine skews every figure; say how busy it was.
    load_before = os.getloadavg()
    with reaper() as owner:
        port = free_port()
        fake_log = WORK / "runtime" / "fake-llm.log"
        script = str(Path(__file__).with_name("_fake_llm.py"))
        fake = owner.spawn("fake-llm", [sys.executable, script, "--port", str(port)],
                           env=clean_env(), log=fake_log)  # fmt: skip
        wait_for_200(fake, port, "/v1/models", 30)
        bench = Bench(args, f"http://127.0.0.1:{port}")
        systems.append(measure_nexora(bench, owner, "Nexora (SQLite)", None))
        if args.postgres:
            with _chat_nexora.postgres(WORK / "runtime" / "pg") as url:
                systems.append(measure_nexora(bench, owner, "Nexora (PostgreSQL)", url))
        if not args.skip_peers:
            for name in ("QwenPaw", "OpenClaw"):
                systems.append(measure_peer(bench, owner, name))
    loads = {"before": load_before, "after": os.getloadavg(), "cpus": os.cpu_count()}
    if args.json:
        print(json.dumps({"load_average": loads, "systems": as_json(systems)}, indent=2))
    else:
        print(render(systems, args))
        before, after = (", ".join(f"{x:.1f}" for x in loads[k]) for k in ("before", "after"))
        print(
            f"\nLoad average (1, 5, 15 min) on {loads['cpus']} CPUs: before {before}; after {after}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
