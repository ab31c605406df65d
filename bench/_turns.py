"""One streamed chat turn, timed from the client's side, for each system's chat API; and the two
ways the runtime benchmark drives turns: one after another, and many clients at once.

Every turn's message carries a unique marker (`hi benchturn-<phase>-<n>`, the phase in
[0-9a-z_]) that the fake model records, so each turn can be matched with the model requests it
caused.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

TURN_TIMEOUT = 120.0  # seconds; a turn that takes longer counts as an error
LOAD_GRACE = 120.0  # seconds to let in-flight turns finish after a load phase's deadline

TOKEN, DONE = "token", "done"


@dataclass
class LineState:
    """What a parser has seen so far in one response stream."""

    token_seen: bool = False
    run_id: str | None = None


# A parser looks at one non-empty line: TOKEN (first answer text), DONE (the answer is
# complete), an error message (the turn failed) or None (nothing of interest).
Parser = Callable[[str, LineState], str | None]


def nexora_chat_line(line: str, state: LineState) -> str | None:
    """`POST /api/chat`: `event: chat.session` (with the run id), run events, `run.completed`."""
    if line.startswith("event: "):
        kind = line[7:]
        if kind == "llm.token":
            return TOKEN
        if kind == "run.completed":
            return DONE
        if kind in ("run.failed", "run.cancelled"):
            return kind
    elif state.run_id is None and line.startswith("data: "):
        state.run_id = json.loads(line[6:]).get("run_id")
    return None


def openai_line(line: str, state: LineState) -> str | None:
    """Chat Completions streaming: `data: {chunk}` lines, then `data: [DONE]`."""
    if not line.startswith("data: "):
        return None
    data = line[6:]
    if data == "[DONE]":
        return DONE
    if state.token_seen and '"error"' not in data:
        return None
    chunk = json.loads(data)
    if "error" in chunk:
        return f"error chunk: {str(chunk['error'])[:200]}"
    for choice in chunk.get("choices") or []:
        if choice.get("finish_reason") == "error":
            return "finish_reason=error"
        if (choice.get("delta") or {}).get("content"):
            return TOKEN
    return None


def qwenpaw_line(line: str, state: LineState) -> str | None:
    """QwenPaw's console stream (AgentScope runtime): content deltas, then the response object
    with `status: completed` (a `turn_usage` event follows)."""
    if not line.startswith("data: "):
        return None
    event = json.loads(line[6:])
    if "error" in event and event.get("object") is None:
        return f"error: {str(event['error'])[:200]}"
    if event.get("object") == "content" and event.get("delta") and event.get("text"):
        return TOKEN
    if event.get("object") == "response":
        status = event.get("status")
        if status == "completed":
            return DONE
        if status in ("failed", "canceled", "cancelled", "incomplete"):
            return f"response {status}: {str(event.get('error'))[:200]}"
    return None


@dataclass(frozen=True)
class Target:
    """How to send one turn to a system and read its stream."""

    name: str
    path: str
    body: Callable[[str], dict[str, Any]]  # message -> JSON body
    parse: Parser
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Turn:
    """One turn as the client saw it; times are `time.monotonic()` seconds."""

    tag: str
    started: float
    first_token: float | None = None
    finished: float | None = None
    error: str | None = None
    run_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.finished is not None and self.first_token is not None

    @property
    def total(self) -> float:
        assert self.finished is not None
        return self.finished - self.started

    @property
    def ttft(self) -> float:
        assert self.first_token is not None
        return self.first_token - self.started


async def one_turn(client: httpx.AsyncClient, target: Target, tag: str) -> Turn:
    """Sends `hi <tag>` and reads the stream until the answer is complete."""
    turn = Turn(tag=tag, started=time.monotonic())
    state = LineState()
    try:
        async with asyncio.timeout(TURN_TIMEOUT):
            body = target.body(f"hi {tag}")
            async with client.stream(
                "POST", target.path, json=body, headers=dict(target.headers)
            ) as response:
                if response.status_code != 200:
                    text = (await response.aread()).decode(errors="replace")
                    turn.error = f"HTTP {response.status_code}: {text[:200]}"
                    return turn
                async for line in response.aiter_lines():
                    if not line:
                        continue
                    signal = target.parse(line, state)
                    if signal is None:
                        continue
                    if signal == TOKEN:
                        if turn.first_token is None:
                            turn.first_token = time.monotonic()
                            state.token_seen = True
                    elif signal == DONE:
                        turn.finished = time.monotonic()
                        break
                    else:
                        turn.error = signal
                        break
        if turn.finished is None and turn.error is None:
            turn.error = "the stream ended before the answer was complete"
        elif turn.finished is not None and turn.first_token is None:
            turn.error = "the answer completed without any streamed text"
    except TimeoutError:
        turn.error = f"no complete answer within {TURN_TIMEOUT:.0f} s"
    except (httpx.HTTPError, ValueError) as exc:
        turn.error = f"{type(exc).__name__}: {exc}"[:300]
    turn.run_id = state.run_id
    return turn


def _client(base: str, connections: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(base_url=base, timeout=TURN_TIMEOUT, limits=limits)


async def sequential(base: str, target: Target, phase: str, count: int) -> list[Turn]:
    """`count` turns one after another on one keep-alive connection."""
    async with _client(base, 1) as client:
        return [await one_turn(client, target, f"benchturn-{phase}-{i}") for i in range(count)]


@dataclass
class LoadResult:
    turns: list[Turn]
    elapsed: float  # from the first turn's start until the last turn ended
    unfinished: int  # turns still running LOAD_GRACE seconds after the deadline (cancelled)
    client_cpu: float  # CPU seconds the benchmark process itself used meanwhile


async def load(
    base: str, target: Target, phase: str, concurrency: int, seconds: float, max_turns: int
) -> LoadResult:
    """`concurrency` clients each loop turns until `seconds` have passed (or `max_turns` in
    all were started); turns still running then may finish within LOAD_GRACE seconds."""
    turns: list[Turn] = []
    started_count = 0
    cpu0 = time.process_time()
    start = time.monotonic()
    deadline = start + seconds

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal started_count
        while time.monotonic() < deadline and started_count < max_turns:
            started_count += 1
            turns.append(await one_turn(client, target, f"benchturn-{phase}-{started_count}"))

    async with _client(base, concurrency) as client:
        tasks = [asyncio.create_task(worker(client)) for _ in range(concurrency)]
        _done, pending = await asyncio.wait(tasks, timeout=seconds + LOAD_GRACE)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    ends = [t.finished for t in turns if t.finished is not None]
    elapsed = (max(ends) if ends else time.monotonic()) - start
    return LoadResult(turns, elapsed, len(pending), time.process_time() - cpu0)
