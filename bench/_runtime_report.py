"""The runtime benchmark's results and their tables."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field

from _latency import Latency, Stats, Steps, Throughput
from _proc import Memory

ADDED_TARGET_MS = 20.0
THROUGHPUT_TARGET = 20.0  # x QwenPaw


@dataclass
class SystemRun:
    name: str
    version: str
    latency: list[Latency] = field(default_factory=list)
    load: list[Throughput] = field(default_factory=list)
    memory_after_load: Memory | None = None
    steps: Steps | None = None
    problem: str | None = None


def _ms(stats: Stats | None, key: str = "p50") -> str:
    return "-" if stats is None else f"{getattr(stats, key):.1f}"


def _pair(stats: Stats | None) -> str:
    return "-" if stats is None else f"{stats.p50:.1f} / {stats.p99:.1f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        return "  ".join(cells).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def _latency_table(systems: Sequence[SystemRun]) -> str:
    header = ["system / endpoint", "TTFT p50/p99", "added", "turn p50/p99", "added",
              "model p50", "err", "calls/turn", "KB to model", "tools", "1st turn"]  # fmt: skip
    rows = []
    for system in systems:
        for lat in system.latency:
            rows.append([
                f"{system.name}: {lat.endpoint.split(' ', 1)[-1]}",
                _pair(lat.ttft), _pair(lat.ttft_added), _pair(lat.total), _pair(lat.total_added),
                _ms(lat.model_busy), f"{lat.errors}/{lat.turns}",
                "-" if lat.model_calls_per_turn is None else f"{lat.model_calls_per_turn:.2f}",
                "-" if lat.kb_to_model is None else f"{lat.kb_to_model:.1f}",
                "-" if lat.tools_sent is None else str(lat.tools_sent),
                "-" if lat.cold_first_turn_ms is None else f"{lat.cold_first_turn_ms:.0f}",
            ])  # fmt: skip
    return _table(header, rows)


def _load_table(systems: Sequence[SystemRun]) -> str:
    header = ["system / endpoint", "clients", "turns/s", "ok", "errors", "unfinished",
              "turn p50/p99", "added p50/p99", "TTFT p50", "client CPU"]  # fmt: skip
    rows = []
    for system in systems:
        for t in system.load:
            rows.append([
                f"{system.name}: {t.endpoint.split(' ', 1)[-1]}", str(t.concurrency),
                f"{t.turns_per_second:.1f}", str(t.turns_ok), str(t.errors), str(t.unfinished),
                _pair(t.total), _pair(t.total_added), _ms(t.ttft),
                f"{t.client_cpu_seconds / t.elapsed:.0%}" if t.elapsed else "-",
            ])  # fmt: skip
    return _table(header, rows)


def _memory_table(systems: Sequence[SystemRun]) -> str:
    rows = []
    for s in systems:
        m = s.memory_after_load
        if m is not None:
            pss = "-" if m.pss_mb is None else f"{m.pss_mb:.0f}"
            rows.append([s.name, s.version, f"{m.rss_mb:.0f}", pss, str(m.processes)])
    return _table(["system", "version", "RSS MB", "PSS MB", "processes"], rows)


def _steps_table(systems: Sequence[SystemRun]) -> str:
    rows = []
    for s in systems:
        st = s.steps
        if st is None or not st.runs:
            continue
        rows.append([
            s.name, str(st.runs), f"{st.steps_per_run:.2f}",
            _pair(st.added_per_step_client), _pair(st.added_per_step_executor),
            _ms(st.send_to_run_created), _ms(st.run_created_to_started),
            _ms(st.run_started_to_model), _ms(st.model_done_to_run_finished),
            _ms(st.run_finished_to_client_done),
        ])  # fmt: skip
    header = ["system", "runs", "steps/run", "added/step client", "added/step executor",
              "send>created", "created>started", "started>model", "model>finished",
              "finished>client"]  # fmt: skip
    return _table(header, rows)


def _verdicts(systems: Sequence[SystemRun]) -> list[str]:
    out = []
    nexora = next((s for s in systems if s.name.startswith("Nexora") and s.latency), None)
    qwenpaw = next((s for s in systems if s.name == "QwenPaw" and s.load), None)
    if nexora is not None and nexora.latency[0].total_added is not None:
        added = nexora.latency[0].total_added.p50
        verdict = "meets" if added < ADDED_TARGET_MS else "MISSES"
        out.append(f"- {nexora.name} /api/chat added p50 {added:.1f} ms: {verdict} the "
                   f"< {ADDED_TARGET_MS:.0f} ms target")  # fmt: skip
    if nexora is not None and nexora.load and qwenpaw is not None:
        mine, theirs = nexora.load[0].turns_per_second, qwenpaw.load[0].turns_per_second
        if theirs > 0:
            ratio = mine / theirs
            verdict = "meets" if ratio >= THROUGHPUT_TARGET else "MISSES"
            out.append(f"- throughput {mine:.1f} vs QwenPaw {theirs:.1f} turns/s = {ratio:.1f}x: "
                       f"{verdict} the >= {THROUGHPUT_TARGET:.0f}x target")  # fmt: skip
    return out


def _problems(systems: Sequence[SystemRun]) -> list[str]:
    out = []
    for s in systems:
        if s.problem:
            out.append(f"- {s.name}: {s.problem}")
        for phase in [*s.latency, *s.load]:
            if phase.first_error:
                out.append(f"- {s.name} {phase.endpoint}: {phase.errors} failed turns, "
                           f"first: {phase.first_error}")  # fmt: skip
        for t in s.load:
            if t.unfinished:
                out.append(f"- {s.name} {t.endpoint}: {t.unfinished} clients still waiting "
                           "for a turn at the end of the grace period (cancelled)")  # fmt: skip
    return out


def render(systems: Sequence[SystemRun], args: argparse.Namespace) -> str:
    parts = [
        f"Chat turns one after another, each in a new chat (ms; {args.turns} turns per endpoint;"
        " 'added' = the model's own handling time subtracted)",
        _latency_table(systems),
        "",
        f"Throughput: {args.concurrency} concurrent chats, each looping turns for "
        f"{args.seconds:.0f} s (turns/s = completed turns / time until the last one ended)",
        _load_table(systems),
        "",
        "Memory after the load (whole process tree)",
        _memory_table(systems),
    ]
    steps = _steps_table(systems)
    if steps.count("\n") > 1:
        parts += ["", "Where a Nexora /api/chat turn goes (medians, ms; step = one model call)",
                  steps]  # fmt: skip
    verdicts = _verdicts(systems)
    if verdicts:
        parts += ["", "Targets", *verdicts]
    problems = _problems(systems)
    parts += ["", "Did not work", *(problems or ["- nothing"])]
    return "\n".join(parts)
