"""Start-up benchmark: Nexora's cold start, idle memory, 1,000 agents and agent loading,
side by side with the peers (QwenPaw, OpenClaw) measured in the same run.

    python bench/startup.py [--runs N] [--skip-peers] [--json]

Progress goes to stderr; the table (or JSON with --json) to stdout. Everything runs on
127.0.0.1 under bench/.work/, and every process started here is killed on exit or Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import httpx

import _nexora as nexora
from _peers import Installed, Peer, PeerUnavailable, all_peers
from _proc import (
    Memory,
    ProcError,
    Reaper,
    Summary,
    clean_env,
    free_port,
    reaper,
    tree_memory,
    wait_for_200,
)

BENCH = Path(__file__).resolve().parent
IDLE_WAIT_SECONDS = 3.0
PEER_START_TIMEOUT = 240.0
# Start-up with 1,000 agents passes when its median is within this factor of the 0-agent median
# (a restart is ~1 s; a few percent is scheduler noise on a 2-core machine).
SAME_SPEED_TOLERANCE = 1.10


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Starts:
    """Seconds from spawn to the first 200 of the liveness and the readiness endpoint."""

    live: list[float] = field(default_factory=list)
    ready: list[float] = field(default_factory=list)


@dataclass
class SystemResult:
    name: str
    live_path: str
    ready_path: str
    version: str | None = None
    install: Installed | None = None
    fresh: Starts | None = None
    restart: Starts | None = None
    idle: Memory | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class ManyAgents:
    count: int
    create_seconds: float | None = None
    restart: Starts | None = None
    idle: Memory | None = None
    error: str | None = None


@dataclass
class Report:
    machine: dict[str, str]
    runs: int
    nexora: SystemResult
    many_agents: ManyAgents
    agent_load: dict[str, Any] | None
    agent_load_error: str | None
    peers: list[SystemResult]


def fresh_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def idle_memory(pid: int) -> Memory:
    time.sleep(IDLE_WAIT_SECONDS)
    return tree_memory(pid)


# --- Nexora -------------------------------------------------------------------------------


def nexora_starts(
    rp: Reaper, homes: list[Path], logs: Path, label: str, idle_after_last: bool
) -> tuple[Starts, Memory | None]:
    """One start per home; the last one is exercised and its idle memory read if asked."""
    starts, idle = Starts(), None
    for i, home in enumerate(homes):
        server = nexora.spawn(rp, home, logs / f"{label}-{i}.log")
        try:
            times = nexora.wait_started(server)
            starts.live.append(times.healthz)
            starts.ready.append(times.readyz)
            note(f"  nexora {label} {i + 1}/{len(homes)}: /healthz {times.healthz:.3f} s")
            if idle_after_last and i == len(homes) - 1:
                nexora.exercise(server)
                idle = idle_memory(server.proc.pid)
        finally:
            rp.kill(server.proc)
    return starts, idle


def bench_nexora(rp: Reaper, work: Path, runs: int) -> SystemResult:
    result = SystemResult("Nexora", "/healthz", "/readyz")
    try:
        result.version = version("nexora")
    except PackageNotFoundError:
        result.version = None
    logs = fresh_dir(work / "nexora" / "logs")
    homes = [fresh_dir(work / "nexora" / f"fresh-{i}") for i in range(runs)]
    try:
        note("Nexora: first start on a fresh data dir")
        result.fresh, _ = nexora_starts(rp, homes, logs, "fresh", idle_after_last=False)
        note("Nexora: restart on an existing data dir")
        result.restart, result.idle = nexora_starts(
            rp, [homes[0]] * runs, logs, "restart", idle_after_last=True
        )
    except (ProcError, OSError, RuntimeError, httpx.HTTPError) as exc:
        result.errors.append(str(exc))
    return result


def bench_many_agents(rp: Reaper, work: Path, runs: int, count: int) -> tuple[ManyAgents, Path]:
    result = ManyAgents(count)
    home = fresh_dir(work / "nexora" / f"agents-{count}")
    logs = work / "nexora" / "logs"
    try:
        note(f"Nexora: creating {count} agents over the API")
        server = nexora.spawn(rp, home, logs / "create.log")
        try:
            nexora.wait_started(server)
            result.create_seconds = nexora.create_agents(server, count)
        finally:
            rp.kill(server.proc)
        note(f"Nexora: restart with {count} agents")
        result.restart, result.idle = nexora_starts(
            rp, [home] * runs, logs, f"agents-{count}", idle_after_last=True
        )
    except (ProcError, OSError, RuntimeError, TimeoutError, httpx.HTTPError) as exc:
        result.error = str(exc)
    return result, home


def bench_agent_load(
    rp: Reaper, work: Path, home: Path, count: int, pool_max: int
) -> dict[str, Any]:
    """Runs `_agent_load.py` in its own process so its memory figures are Nexora's alone."""
    note(f"Nexora: loading {count} agents in process (pool max {pool_max})")
    out = work / "nexora" / "agent-load.json"
    out.unlink(missing_ok=True)
    cmd = [
        sys.executable, str(BENCH / "_agent_load.py"), "--home", str(home),
        "--password", nexora.ADMIN_PASSWORD, "--count", str(count),
        "--pool-max", str(pool_max), "--out", str(out),
    ]  # fmt: skip
    rp.run(
        "agent load",
        cmd,
        env=clean_env(),
        log=work / "nexora" / "logs" / "agent-load.log",
        timeout=600,
    )
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return data


# --- Peers --------------------------------------------------------------------------------


def peer_starts(
    rp: Reaper, peer: Peer, homes: list[Path], logs: Path, label: str, idle_after_last: bool
) -> tuple[Starts, Memory | None]:
    starts, idle = Starts(), None
    for i, home in enumerate(homes):
        port = free_port()
        proc = peer.spawn(rp, home, port, logs / f"{label}-{i}.log")
        try:
            starts.live.append(wait_for_200(proc, port, peer.live_path, PEER_START_TIMEOUT))
            starts.ready.append(wait_for_200(proc, port, peer.ready_path, PEER_START_TIMEOUT))
            live, ready = starts.live[-1], starts.ready[-1]
            note(f"  {peer.name} {label} {i + 1}/{len(homes)}: {live:.3f} s, ready {ready:.3f} s")
            if idle_after_last and i == len(homes) - 1:
                peer.exercise(port)
                idle = idle_memory(proc.pid)
        finally:
            rp.kill(proc)
    return starts, idle


def bench_peer(rp: Reaper, peer: Peer, work: Path, runs: int) -> SystemResult:
    result = SystemResult(peer.name, peer.live_path, peer.ready_path)
    root = work / peer.name.lower()
    try:
        note(f"{peer.name}: install (cached after the first run)")
        result.install = peer.install(rp)
        result.version = result.install.version
        logs = fresh_dir(root / "logs")
        homes = [fresh_dir(root / f"home-{i}") for i in range(runs)]
        for home in homes:
            peer.prepare(rp, home, free_port())
        note(f"{peer.name}: first start on a fresh data dir")
        result.fresh, _ = peer_starts(rp, peer, homes, logs, "fresh", idle_after_last=False)
        note(f"{peer.name}: restart on an existing data dir")
        result.restart, result.idle = peer_starts(
            rp, peer, [homes[0]] * runs, logs, "restart", idle_after_last=True
        )
    except (PeerUnavailable, ProcError, OSError) as exc:
        result.errors.append(str(exc))
        note(f"{peer.name}: {exc}")
    return result


# --- Output -------------------------------------------------------------------------------


def _span(samples: list[float] | None) -> str:
    if not samples:
        return "-"
    s = Summary.of(samples)
    return f"{s.median:6.2f} / {s.max:6.2f}"


def _mem(memory: Memory | None) -> str:
    if memory is None:
        return "-"
    pss = f" ({memory.pss_mb:.0f})" if memory.pss_mb is not None else ""
    return f"{memory.rss_mb:.0f}{pss}"


def _row(label: str, cells: list[str], width: int = 20) -> str:
    return f"{label:<44}" + "".join(f"{c:>{width}}" for c in cells)


def render(report: Report) -> str:
    systems = [report.nexora, *report.peers]
    many = report.many_agents
    na = ["n/a"] * len(report.peers)
    m = report.machine

    def starts(label: str, pick: str, phase: str) -> str:
        cells = [_span(getattr(getattr(s, pick), phase) if getattr(s, pick) else None)
                 for s in systems]  # fmt: skip
        return _row(label, cells)

    many_live = many.restart.live if many.restart else None
    many_ready = many.restart.ready if many.restart else None
    out = [
        f"Start-up benchmark, {report.runs} runs each: {m['cpus']} CPUs, {m['memory_gb']} GB, "
        f"Python {m['python']}, {m['date']}",
        f"Load average (1 min) at start {m['load_avg_1m_start']}, at end {m['load_avg_1m_end']}"
        " (other work on the machine skews every figure)",
        "",
        "Time from spawn to first HTTP 200, seconds (median / max)",
        _row("", [f"{s.name} {s.version or ''}".strip() for s in systems]),
        _row("  endpoint: live", [s.live_path for s in systems]),
        _row("  endpoint: ready", [s.ready_path for s in systems]),
        starts("  first start, fresh data dir: live", "fresh", "live"),
        starts("  first start, fresh data dir: ready", "fresh", "ready"),
        starts("  restart, existing data dir: live", "restart", "live"),
        starts("  restart, existing data dir: ready", "restart", "ready"),
        _row(f"  restart with {many.count:,} agents: live", [_span(many_live), *na]),
        _row(f"  restart with {many.count:,} agents: ready", [_span(many_ready), *na]),
        "",
        f"Idle memory, MB: RSS of the process tree (PSS in brackets), "
        f"{IDLE_WAIT_SECONDS:.0f} s after a few requests",
        _row("  idle", [_mem(s.idle) for s in systems]),
        _row(f"  idle with {many.count:,} agents", [_mem(many.idle), *na]),
        _row("  processes in the tree", [_procs(s.idle) for s in systems]),
        "",
        "Install (not part of start time)",
        _row("  time, s", ["-", *(_install_time(s.install) for s in report.peers)]),
        _row("  size on disk, MB", ["-", *(_install_size(s.install) for s in report.peers)]),
    ]
    out += ["", *_many_agents_lines(report), "", *_agent_load_lines(report)]
    problems = [f"  {s.name}: {e}" for s in systems for e in s.errors]
    if many.error:
        problems.append(f"  Nexora with {many.count} agents: {many.error}")
    if report.agent_load_error:
        problems.append(f"  Nexora agent load: {report.agent_load_error}")
    if problems:
        out += ["", "Did not work:", *problems]
    return "\n".join(out)


def _procs(memory: Memory | None) -> str:
    return str(memory.processes) if memory else "-"


def _install_size(installed: Installed | None) -> str:
    return f"{installed.size_mb:.0f}" if installed else "-"


def _install_time(installed: Installed | None) -> str:
    if installed is None:
        return "-"
    return f"{installed.install_seconds:.0f}" + (" (cached)" if installed.cached else "")


def _many_agents_lines(report: Report) -> list[str]:
    many, nx = report.many_agents, report.nexora
    lines = [f"Nexora with {many.count:,} agents on disk"]
    if many.create_seconds is not None:
        rate = many.count / many.create_seconds
        lines.append(f"  created over the API in {many.create_seconds:.1f} s ({rate:.0f} agents/s)")
    if many.restart and nx.restart:
        base = Summary.of(nx.restart.live).median
        loaded = Summary.of(many.restart.live).median
        ratio = loaded / base
        verdict = "same speed" if ratio <= SAME_SPEED_TOLERANCE else "SLOWER"
        lines.append(
            f"  restart /healthz median: 0 agents {base:.3f} s | {many.count:,} agents "
            f"{loaded:.3f} s  (x{ratio:.2f}: {verdict}, tolerance x{SAME_SPEED_TOLERANCE:.2f})"
        )
    return lines


def _agent_load_lines(report: Report) -> list[str]:
    load = report.agent_load
    if load is None:
        return []

    def ms(key: str) -> str:
        v = load[key]
        return f"p50 {v['p50_ms']:.2f} ms, p99 {v['p99_ms']:.2f} ms, max {v['max_ms']:.2f} ms"

    pydantic_ai = (
        "already imported by Platform.start()"
        if load.get("pydantic_ai_imported_at_start")
        else f"{load['import_pydantic_ai_ms']:.0f} ms, by the first agent built"
    )
    return [
        f"Nexora agent load, in process ({load['agents']} agents, pool max {load['pool_max']})",
        f"  import pydantic_ai (once per process)   {pydantic_ai}",
        f"  first load, registry.get + pool.acquire {ms('first_load')}",
        f"    of which pool.acquire (build)         {ms('first_load_acquire_only')}",
        f"  cached hit, registry.get + pool.acquire {ms('cached_hit')}",
        f"    of which pool.acquire                 {ms('cached_hit_acquire_only')}",
        f"  memory per active agent                 {load['rss_per_agent_kb']:.1f} KB RSS, "
        f"{load['traced_per_agent_kb']:.1f} KB Python heap (tracemalloc)",
    ]


def machine(load_at_start: tuple[float, float, float]) -> dict[str, str]:
    """The machine, and its load average: other work on it skews every figure."""
    import psutil

    return {
        "load_avg_1m_start": f"{load_at_start[0]:.2f}",
        "load_avg_1m_end": f"{os.getloadavg()[0]:.2f}",
        "cpus": str(os.cpu_count()),
        "memory_gb": f"{psutil.virtual_memory().total / 1024**3:.0f}",
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


# --- Main ---------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> Report:
    work: Path = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    load_at_start = os.getloadavg()
    with reaper() as rp:
        nx = bench_nexora(rp, work, args.runs)
        many, home = bench_many_agents(rp, work, args.runs, args.agents)
        load: dict[str, Any] | None = None
        load_error: str | None = None
        if many.error is None:
            try:
                load = bench_agent_load(rp, work, home, min(args.load_agents, args.agents), 1000)
            except (ProcError, OSError, ValueError) as exc:
                load_error = str(exc)
        else:
            load_error = "skipped: the agents could not be created"
        peers = [] if args.skip_peers else [
            bench_peer(rp, peer, work, args.peer_runs or args.runs) for peer in all_peers(work)
        ]  # fmt: skip
    return Report(machine(load_at_start), args.runs, nx, many, load, load_error, peers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="starts per measurement (default 5)")
    parser.add_argument("--peer-runs", type=int, default=0, help="starts per peer (default --runs)")
    parser.add_argument("--skip-peers", action="store_true", help="measure Nexora only")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--agents", type=int, default=1000, help="agents on disk (default 1000)")
    parser.add_argument("--load-agents", type=int, default=200, help="agents loaded in process")
    parser.add_argument("--save", type=Path, default=None, help="also write the JSON to a file")
    parser.add_argument("--work", type=Path, default=BENCH / ".work", help="work dir")
    args = parser.parse_args()
    if not 1 <= args.runs <= 100 or not 1 <= args.agents <= 100_000 or args.peer_runs > 100:
        parser.error("--runs and --peer-runs must be 1-100, --agents 1-100000")
    try:
        report = run(args)
    except KeyboardInterrupt:
        note("interrupted: every process started here was stopped")
        return 130
    data = json.dumps(asdict(report), indent=2)
    if args.save is not None:
        args.save.write_text(data + "\n", encoding="utf-8")
    print(data if args.json else render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
