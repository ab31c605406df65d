"""Telegram channels under the failures chat-gateway users report: Nexora against QwenPaw and
OpenClaw, each started the way a user does, all polling one fake Telegram Bot API on loopback
(`_fake_telegram.py`) with the instant fake model (`_fake_llm.py`) behind the agent.

Per system, on a fresh data dir:
1. latency: messages one after another, each from a new chat, then a burst of concurrent chats;
   the clock runs from the update being queued at the fake Bot API to the `sendMessage` that
   carries the answer arriving there;
2. duplicates: the same update (same update_id and message_id) served again, once while the
   first copy is being answered and once after its answer was sent (a missed offset ack);
   how many answers the chat gets (1 is right);
3. restart: sendMessage answered `502 Bad Gateway`; once the gateway has tried to send the
   answer it is killed with SIGKILL, the Bot API recovers, the gateway is started again on the
   same data dir; how many answers the chat gets (0 lost, 1 right, 2 duplicated);
4. RSS of the gateway's process tree after steps 1-2.

    python bench/channels.py [--messages 50] [--concurrent 20] [--skip-peers]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from _channel_gateways import (
    USER_ID,
    Gateway,
    NexoraGateway,
    OpenClawGateway,
    QwenPawGateway,
    kill_now,
)
from _fake_llm import REPLY
from _fake_telegram import FakeTelegram
from _peers import PeerUnavailable
from _proc import Memory, Reaper, clean_env, free_port, reaper, tree_memory, wait_for_200

WORK = Path(__file__).resolve().parent / ".work"
TOKEN = "123456:bench-channel-token"
MARKER = "fake model"  # in every answer of the fake model, whatever markup a gateway adds
WARMUP = 2
ANSWER_TIMEOUT = 60.0
BURST_TIMEOUT = 180.0
DUPLICATE_WATCH = 5.0  # seconds to keep counting answers after the last copy
OUTAGE_AFTER_KILL = 2.0  # seconds the Bot API keeps refusing after the kill
RESTART_WATCH = 60.0  # at most this long after the restart for the answer …
AFTER_ANSWER_WATCH = 15.0  # … and this long after it for a second one

assert MARKER in REPLY


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Result:
    name: str
    version: str = ""
    sequential: list[float] = field(default_factory=list)
    sequential_lost: int = 0
    burst: list[float] = field(default_factory=list)
    burst_lost: int = 0
    burst_seconds: float = 0.0
    duplicate_early: int | None = None
    duplicate_late: int | None = None
    restart: int | None = None
    restart_delay: float | None = None
    memory: Memory | None = None
    problems: list[str] = field(default_factory=list)


class Chats:
    """New chat ids, so no two measurements share a conversation."""

    def __init__(self) -> None:
        self._next = 5000

    def new(self) -> int:
        self._next += 1
        return self._next


def wait_answers(fake: FakeTelegram, chat: int, count: int, timeout: float) -> float | None:
    """The time the `count`-th answer to `chat` arrived, or None after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answers = fake.answers(chat, MARKER)
        if len(answers) >= count:
            return answers[count - 1].at
        time.sleep(0.002)
    return None


def ask(fake: FakeTelegram, chats: Chats, text: str) -> tuple[int, float]:
    chat = chats.new()
    pushed = time.monotonic()
    fake.push_text(chat, USER_ID, text, message_id=1)
    return chat, pushed


def measure_latency(fake: FakeTelegram, chats: Chats, result: Result, args: Args) -> None:
    for i in range(WARMUP + args.messages):
        chat, pushed = ask(fake, chats, f"hello, this is message {i}")
        answered = wait_answers(fake, chat, 1, ANSWER_TIMEOUT)
        if i < WARMUP:
            continue
        if answered is None:
            result.sequential_lost += 1
        else:
            result.sequential.append(answered - pushed)
    note(f"  {result.name}: {len(result.sequential)}/{args.messages} answered one at a time")
    asked = [ask(fake, chats, f"burst message {i}") for i in range(args.concurrent)]
    first = min(p for _, p in asked)
    with ThreadPoolExecutor(len(asked)) as pool:
        answered = list(pool.map(lambda a: wait_answers(fake, a[0], 1, BURST_TIMEOUT), asked))
    times = [(at, pushed) for at, (_, pushed) in zip(answered, asked, strict=True) if at]
    result.burst = [at - pushed for at, pushed in times]
    result.burst_lost = len(asked) - len(times)
    result.burst_seconds = max((at for at, _ in times), default=first) - first
    note(f"  {result.name}: {len(times)}/{len(asked)} answered in a burst")


def measure_duplicates(fake: FakeTelegram, chats: Chats, result: Result) -> None:
    # Served again while the first copy is being answered.
    chat = chats.new()
    update = fake.push_text(chat, USER_ID, "are you there?", message_id=1)
    deadline = time.monotonic() + ANSWER_TIMEOUT
    while update not in fake.served and time.monotonic() < deadline:
        time.sleep(0.002)
    fake.replay(update)
    result.duplicate_early = count_after(fake, chat)
    # Served again after its answer was sent.
    chat = chats.new()
    update = fake.push_text(chat, USER_ID, "still there?", message_id=1)
    wait_answers(fake, chat, 1, ANSWER_TIMEOUT)
    fake.replay(update)
    result.duplicate_late = count_after(fake, chat)
    note(f"  {result.name}: answers to a redelivered update {result.duplicate_early}, "
         f"{result.duplicate_late}")  # fmt: skip


def count_after(fake: FakeTelegram, chat: int) -> int:
    wait_answers(fake, chat, 1, ANSWER_TIMEOUT)
    time.sleep(DUPLICATE_WATCH)
    return len(fake.answers(chat, MARKER))


def measure_restart(fake: FakeTelegram, chats: Chats, gateway: Gateway, result: Result) -> None:
    fake.refusing = True
    try:
        chat, _ = ask(fake, chats, "please answer even if you crash")
        deadline = time.monotonic() + ANSWER_TIMEOUT
        while not fake.attempts(chat, MARKER):
            if time.monotonic() > deadline:
                result.problems.append("restart: the answer was never sent, not even refused")
                return
            time.sleep(0.002)
        # Killed just after the first refusal reached it: the answer exists, is not delivered.
        time.sleep(0.3)
        kill_now(gateway)
        time.sleep(OUTAGE_AFTER_KILL)
    finally:
        fake.refusing = False
    restarted = time.monotonic()
    gateway.restart()
    first = wait_answers(fake, chat, 1, max(0.0, restarted + RESTART_WATCH - time.monotonic()))
    if first is not None:
        result.restart_delay = first - restarted
        wait_answers(fake, chat, 2, AFTER_ANSWER_WATCH)
    result.restart = len(fake.answers(chat, MARKER))
    note(f"  {result.name}: answers after a kill and restart: {result.restart}")


def measure(name: str, make: Callable[[FakeTelegram], Gateway], args: Args) -> Result:
    result = Result(name)
    with FakeTelegram(TOKEN) as fake:
        gateway = make(fake)
        try:
            note(f"{name}: starting")
            gateway.start()
            result.version = gateway.version
            chats = Chats()
            measure_latency(fake, chats, result, args)
            measure_duplicates(fake, chats, result)
            result.memory = tree_memory(gateway.proc.pid)
            measure_restart(fake, chats, gateway, result)
        except PeerUnavailable as exc:
            result.problems.append(f"unavailable: {exc}")
        except Exception as exc:  # a system that fails is reported, not fatal
            note(traceback.format_exc())
            result.problems.append(f"{type(exc).__name__}: {exc}"[:500])
        finally:
            if hasattr(gateway, "proc"):
                gateway.reaper.kill(gateway.proc)
    return result


@dataclass(frozen=True)
class Args:
    messages: int
    concurrent: int
    systems: list[str]
    work: Path


def parse_args() -> Args:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50, help="sequential messages")
    parser.add_argument("--concurrent", type=int, default=20, help="chats in the burst")
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--peers", default="qwenpaw,openclaw")
    parser.add_argument("--work", type=Path, default=WORK)
    a = parser.parse_args()
    peers = [] if a.skip_peers else [p.strip() for p in a.peers.split(",") if p.strip()]
    return Args(a.messages, a.concurrent, ["nexora", *peers], a.work)


def pct(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def render(results: list[Result], args: Args, load: tuple[float, float]) -> str:
    def cells(fn: Callable[[Result], str]) -> str:
        return "".join(f"{fn(r):>22}" for r in results)

    def ms(samples: list[float], share: float | None) -> str:
        if not samples:
            return "n/a"
        value = statistics.median(samples) if share is None else pct(samples, share)
        return f"{value * 1000:.0f}"

    def answers(value: int | None) -> str:
        if value is None:
            return "n/a"
        verdict = {0: "lost", 1: "right"}.get(value, "DUPLICATED")
        return f"{value} ({verdict})"

    def restart(r: Result) -> str:
        if r.restart is None:
            return "n/a"
        delay = f", {r.restart_delay:.1f} s" if r.restart_delay is not None else ""
        return answers(r.restart) + delay

    mem = psutil.virtual_memory().total / 1024**3
    lines = [
        f"Telegram channel benchmark: {os.cpu_count()} CPUs, {mem:.0f} GB, Python "
        f"{platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"Load average (1 min) at start {load[0]:.2f}, at end {load[1]:.2f}",
        "",
        f"{'':<44}" + cells(lambda r: f"{r.name} {r.version}".strip()),
        f"{f'{args.messages} messages one at a time, ms p50':<44}"
        + cells(lambda r: ms(r.sequential, None)),
        f"{'  p95':<44}" + cells(lambda r: ms(r.sequential, 0.95)),
        f"{'  unanswered within 60 s':<44}"
        + cells(lambda r: str(r.sequential_lost) if r.sequential else "n/a"),
        f"{f'{args.concurrent} chats at once, ms p50':<44}" + cells(lambda r: ms(r.burst, None)),
        f"{'  p95':<44}" + cells(lambda r: ms(r.burst, 0.95)),
        f"{'  answers/s (first update to last answer)':<44}"
        + cells(lambda r: f"{len(r.burst) / r.burst_seconds:.1f}" if r.burst_seconds else "n/a"),
        f"{'  unanswered within 180 s':<44}"
        + cells(lambda r: str(r.burst_lost) if r.burst else "n/a"),
        f"{'update served twice, while answering':<44}"
        + cells(lambda r: answers(r.duplicate_early)),
        f"{'update served twice, after the answer':<44}"
        + cells(lambda r: answers(r.duplicate_late)),
        f"{'killed (SIGKILL) while sending, restarted':<44}" + cells(restart),
        f"{'RSS after 1-2, MB (PSS)':<44}"
        + cells(
            lambda r: (
                "n/a" if r.memory is None else f"{r.memory.rss_mb:.0f} ({r.memory.pss_mb or 0:.0f})"
            )
        ),
        f"{'  processes':<44}" + cells(lambda r: str(r.memory.processes) if r.memory else "n/a"),
    ]
    problems = [f"- {r.name}: {p}" for r in results for p in r.problems]
    lines += ["", "Did not work", *(problems or ["- nothing"])]
    return "\n".join(lines)


def main() -> int:
    args = parse_args()
    load_start = os.getloadavg()[0]
    home = args.work / "channels"
    results: list[Result] = []
    with reaper() as owner:
        port = free_port()
        script = str(Path(__file__).with_name("_fake_llm.py"))
        fake_llm = owner.spawn("fake-llm", [sys.executable, script, "--port", str(port)],
                               env=clean_env(), log=home / "fake-llm.log")  # fmt: skip
        wait_for_200(fake_llm, port, "/v1/models", 30)
        model_url = f"http://127.0.0.1:{port}/v1"
        makers = systems(owner, args.work, home, model_url)
        for name in args.systems:
            results.append(measure(name_of(name), makers[name], args))
    print(render(results, args, (load_start, os.getloadavg()[0])))
    return 0


def name_of(key: str) -> str:
    return {"nexora": "Nexora", "qwenpaw": "QwenPaw", "openclaw": "OpenClaw"}[key]


def systems(
    owner: Reaper, work: Path, home: Path, model_url: str
) -> dict[str, Callable[[FakeTelegram], Gateway]]:
    return {
        "nexora": lambda fake: NexoraGateway(owner, home / "nexora", fake, model_url),
        "qwenpaw": lambda fake: QwenPawGateway(owner, work, home / "qwenpaw", fake, model_url),
        "openclaw": lambda fake: OpenClawGateway(owner, work, home / "openclaw", fake, model_url),
    }


if __name__ == "__main__":
    sys.exit(main())
