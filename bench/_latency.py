"""Turning timed turns and the fake model's records into figures: raw latency, latency added by
the system (the model's own handling time subtracted), throughput under load."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from _turns import LoadResult, Turn


@dataclass(frozen=True)
class ModelCall:
    """One request the fake model served (`time.monotonic()` seconds)."""

    received: float
    first_chunk: float
    done: float
    wall_received: float
    request_bytes: int
    tools: int
    tags: tuple[str, ...]


def model_calls(fake_base: str, after: int) -> tuple[list[ModelCall], int]:
    """The fake's records from index `after` on, and the index to ask from next time."""
    response = httpx.get(f"{fake_base}/_bench/requests", params={"after": after}, timeout=30)
    response.raise_for_status()
    data = response.json()
    calls = [
        ModelCall(
            received=rec["received"],
            first_chunk=rec["first_chunk"],
            done=rec["done"],
            wall_received=rec["wall_received"],
            request_bytes=rec["request_bytes"],
            tools=rec["tools"],
            tags=tuple(rec["tags"]),
        )
        for rec in data["records"]
    ]
    return calls, int(data["next"])


def fake_cursor(fake_base: str) -> int:
    return model_calls(fake_base, 1 << 30)[1]


@dataclass(frozen=True)
class Stats:
    """Milliseconds."""

    n: int
    p50: float
    p99: float
    max: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Stats | None:
        if not seconds:
            return None
        ordered = sorted(seconds)

        def at(q: float) -> float:
            return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000

        return cls(len(ordered), at(0.5), at(0.99), ordered[-1] * 1000)


@dataclass(frozen=True)
class Costed:
    """A completed turn with the model requests it caused."""

    turn: Turn
    calls: list[ModelCall]  # every model request carrying the turn's marker
    main: ModelCall  # the one whose answer the client streamed
    model_busy: float  # union of those requests' handling times, within the turn

    @property
    def added_total(self) -> float:
        return self.turn.total - self.model_busy

    @property
    def added_ttft(self) -> float:
        return self.turn.ttft - (self.main.first_chunk - self.main.received)


def _busy(calls: Sequence[ModelCall], start: float, end: float) -> float:
    spans = sorted((max(c.received, start), min(c.done, end)) for c in calls)
    total, cursor = 0.0, start
    for lo, hi in spans:
        lo = max(lo, cursor)
        if hi > lo:
            total += hi - lo
            cursor = hi
    return total


def cost(turns: Sequence[Turn], calls: Sequence[ModelCall]) -> tuple[list[Costed], int]:
    """Matches completed turns with their model requests; also returns how many completed turns
    had no model request with their marker (they are left out of the added-latency figures)."""
    by_tag: dict[str, list[ModelCall]] = defaultdict(list)
    for call in calls:
        for tag in call.tags:
            by_tag[tag].append(call)
    out: list[Costed] = []
    unmatched = 0
    for turn in turns:
        if not turn.ok:
            continue
        mine = sorted(by_tag.get(turn.tag, []), key=lambda c: c.received)
        if not mine:
            unmatched += 1
            continue
        assert turn.finished is not None
        assert turn.first_token is not None
        # The answer the client saw is the last request that arrived before its first token
        # (QwenPaw asks for a title first; Nexora asks for one after the run).
        before = [c for c in mine if c.received <= turn.first_token]
        main = before[-1] if before else mine[0]
        out.append(Costed(turn, mine, main, _busy(mine, turn.started, turn.finished)))
    return out, unmatched


@dataclass
class Latency:
    """Turns one after another, each in a new chat."""

    endpoint: str
    turns: int
    errors: int
    first_error: str | None
    cold_first_turn_ms: float | None  # the very first turn after start-up (not in the figures)
    ttft: Stats | None
    ttft_added: Stats | None
    total: Stats | None
    total_added: Stats | None
    to_model: Stats | None  # client sends -> model receives the answer's request
    after_model: Stats | None  # model wrote its last byte -> client sees the answer complete
    model_busy: Stats | None
    model_calls_per_turn: float | None
    kb_to_model: float | None  # size of the answer's request body
    tools_sent: int | None
    unmatched: int


def latency(
    endpoint: str, turns: Sequence[Turn], calls: Sequence[ModelCall], cold: Turn | None
) -> tuple[Latency, list[Costed]]:
    costed, unmatched = cost(turns, calls)
    failed = [t for t in turns if not t.ok]
    n = len(costed)
    result = Latency(
        endpoint=endpoint,
        turns=len(turns),
        errors=len(failed),
        first_error=failed[0].error if failed else None,
        cold_first_turn_ms=cold.total * 1000 if cold is not None and cold.ok else None,
        ttft=Stats.of([t.turn.ttft for t in costed]),
        ttft_added=Stats.of([t.added_ttft for t in costed]),
        total=Stats.of([t.turn.total for t in costed]),
        total_added=Stats.of([t.added_total for t in costed]),
        to_model=Stats.of([t.main.received - t.turn.started for t in costed]),
        after_model=Stats.of([t.turn.total + t.turn.started - t.main.done for t in costed]),
        model_busy=Stats.of([t.model_busy for t in costed]),
        model_calls_per_turn=sum(len(t.calls) for t in costed) / n if n else None,
        kb_to_model=sum(t.main.request_bytes for t in costed) / n / 1024 if n else None,
        tools_sent=costed[0].main.tools if costed else None,
        unmatched=unmatched,
    )
    return result, costed


@dataclass
class Throughput:
    endpoint: str
    concurrency: int
    seconds: float
    turns_ok: int
    errors: int
    first_error: str | None
    unfinished: int
    elapsed: float
    turns_per_second: float
    total: Stats | None
    total_added: Stats | None
    ttft: Stats | None
    model_calls: int
    client_cpu_seconds: float


def throughput(
    endpoint: str, result: LoadResult, calls: Sequence[ModelCall], concurrency: int, seconds: float
) -> Throughput:
    costed, _ = cost(result.turns, calls)
    ok = [t for t in result.turns if t.ok]
    failed = [t for t in result.turns if not t.ok]
    return Throughput(
        endpoint=endpoint,
        concurrency=concurrency,
        seconds=seconds,
        turns_ok=len(ok),
        errors=len(failed),
        first_error=failed[0].error if failed else None,
        unfinished=result.unfinished,
        elapsed=result.elapsed,
        turns_per_second=len(ok) / result.elapsed if result.elapsed > 0 else 0.0,
        total=Stats.of([t.total for t in ok]),
        total_added=Stats.of([c.added_total for c in costed]),
        ttft=Stats.of([t.ttft for t in ok]),
        model_calls=len(calls),
        client_cpu_seconds=result.client_cpu,
    )


def as_json(value: Any) -> Any:
    """Dataclasses (nested) as plain JSON values."""
    if hasattr(value, "__dataclass_fields__"):
        return {k: as_json(getattr(value, k)) for k in value.__dataclass_fields__}
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    if isinstance(value, float):
        return round(value, 3)
    return value


@dataclass(frozen=True)
class RunClock:
    """A run's own record (server wall clock, epoch seconds)."""

    step_count: int
    created: float
    started: float
    finished: float


@dataclass
class Steps:
    """Where a plain turn's time goes, from the run records and the fake's timestamps.

    The fake's `wall_received`/`received` pair maps the client's monotonic clock onto the
    server's wall clock (same machine), so each segment is a difference on one clock."""

    runs: int
    steps_per_run: float
    added_per_step_client: Stats | None  # (client turn time - model busy) / step_count
    added_per_step_executor: Stats | None  # (finished - started - model busy) / step_count
    send_to_run_created: Stats | None
    run_created_to_started: Stats | None
    run_started_to_model: Stats | None
    model_done_to_run_finished: Stats | None
    run_finished_to_client_done: Stats | None


def steps(costed: Sequence[Costed], runs: dict[str, RunClock]) -> Steps:
    pairs = [(c, runs[c.turn.run_id]) for c in costed if c.turn.run_id in runs]
    pairs = [(c, r) for c, r in pairs if r.step_count > 0]

    def wall(c: Costed, monotonic: float) -> float:
        return monotonic + (c.main.wall_received - c.main.received)

    def fin(c: Costed) -> float:
        assert c.turn.finished is not None
        return c.turn.finished

    return Steps(
        runs=len(pairs),
        steps_per_run=sum(r.step_count for _, r in pairs) / len(pairs) if pairs else 0.0,
        added_per_step_client=Stats.of([c.added_total / r.step_count for c, r in pairs]),
        added_per_step_executor=Stats.of(
            [(r.finished - r.started - c.model_busy) / r.step_count for c, r in pairs]
        ),
        send_to_run_created=Stats.of([r.created - wall(c, c.turn.started) for c, r in pairs]),
        run_created_to_started=Stats.of([r.started - r.created for _, r in pairs]),
        run_started_to_model=Stats.of([c.main.wall_received - r.started for c, r in pairs]),
        model_done_to_run_finished=Stats.of([r.finished - wall(c, c.main.done) for c, r in pairs]),
        run_finished_to_client_done=Stats.of([wall(c, fin(c)) - r.finished for c, r in pairs]),
    )
