"""Spawning, timing and measuring server processes for the benchmarks.

Every process a benchmark starts goes through a `Reaper`, which puts it in its own process
group and kills that group on exit, error, Ctrl-C or SIGTERM, so a failed run never leaves a
server behind. Every wait is bounded in time.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import statistics
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import psutil

POLL_INTERVAL = 0.005


class ProcError(RuntimeError):
    """A process could not be started, died early, or did not answer in time."""


@dataclass
class Spawned:
    """A started process, the moment it was spawned, and where its output goes."""

    name: str
    popen: subprocess.Popen[bytes]
    started: float
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Reaper:
    """Owns every process group a benchmark starts and kills them all when closed."""

    spawned: list[Spawned] = field(default_factory=list)

    def spawn(
        self,
        name: str,
        cmd: Sequence[str],
        *,
        env: Mapping[str, str],
        log: Path,
        cwd: Path | None = None,
    ) -> Spawned:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as out:
            started = time.perf_counter()
            try:
                popen = subprocess.Popen(
                    list(cmd),
                    env=dict(env),
                    cwd=cwd,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # own process group: killable as a whole
                )
            except OSError as exc:
                raise ProcError(f"{name}: cannot start {cmd[0]}: {exc}") from exc
        proc = Spawned(name, popen, started, log)
        self.spawned.append(proc)
        return proc

    def run(
        self,
        name: str,
        cmd: Sequence[str],
        *,
        env: Mapping[str, str],
        log: Path,
        timeout: float,
        cwd: Path | None = None,
    ) -> float:
        """Runs a command to completion within `timeout`; returns its wall time in seconds."""
        proc = self.spawn(name, cmd, env=env, log=log, cwd=cwd)
        try:
            code = proc.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            self.kill(proc)
            raise ProcError(f"{name}: still running after {timeout:.0f} s") from exc
        elapsed = time.perf_counter() - proc.started
        self.spawned.remove(proc)
        if code != 0:
            raise ProcError(f"{name}: exit code {code}: {proc.log_tail(8)}")
        return elapsed

    def kill(self, proc: Spawned, grace: float = 5.0) -> None:
        """SIGTERM the process group, then SIGKILL whatever is left after `grace` seconds."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.popen.wait(timeout=grace)
        # Children may outlive the leader; the group id still names them.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.popen.wait(timeout=grace)
        if proc in self.spawned:
            self.spawned.remove(proc)

    def close(self) -> None:
        for proc in reversed(list(self.spawned)):
            self.kill(proc)


@contextlib.contextmanager
def reaper() -> Iterator[Reaper]:
    """A `Reaper` that also turns SIGTERM and SIGHUP into a clean shutdown."""

    def _interrupt(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = {s: signal.signal(s, _interrupt) for s in (signal.SIGTERM, signal.SIGHUP)}
    owner = Reaper()
    try:
        yield owner
    finally:
        owner.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_status(port: int, path: str, timeout: float = 1.0) -> int | None:
    """The status of one GET to 127.0.0.1, or None when nothing answers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def touch(port: int, paths: Sequence[str], headers: Mapping[str, str] | None = None) -> None:
    """A few GETs to warm the code paths a client uses; their statuses do not matter."""
    for path in paths:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", path, headers=dict(headers or {}))
            conn.getresponse().read()
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()


def wait_for_200(proc: Spawned, port: int, path: str, timeout: float) -> float:
    """Polls `path` every few milliseconds; returns seconds from spawn to the first 200."""
    deadline = time.perf_counter() + timeout
    last: int | None = None
    while time.perf_counter() < deadline:
        status = http_status(port, path)
        if status == 200:
            return time.perf_counter() - proc.started
        last = status
        if not proc.alive():
            raise ProcError(
                f"{proc.name} exited with code {proc.popen.returncode} before {path} answered 200:"
                f"\n{proc.log_tail()}"
            )
        time.sleep(POLL_INTERVAL)
    raise ProcError(f"{proc.name}: no 200 from {path} within {timeout:.0f} s (last status {last})")


@dataclass(frozen=True)
class Memory:
    """Memory of a process tree: RSS counts shared pages once per process, PSS shares them."""

    rss_mb: float
    pss_mb: float | None
    processes: int


def tree_memory(pid: int) -> Memory:
    root = psutil.Process(pid)
    procs = [root, *root.children(recursive=True)]
    rss = pss = 0
    pss_known = True
    for proc in procs:
        try:
            info = proc.memory_full_info()
        except psutil.AccessDenied:
            pss_known = False
            rss += proc.memory_info().rss
            continue
        except psutil.NoSuchProcess:
            continue
        rss += info.rss
        pss += getattr(info, "pss", 0)
    mb = 1024 * 1024
    return Memory(rss / mb, pss / mb if pss_known else None, len(procs))


def dir_size_mb(path: Path) -> float:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total / (1024 * 1024)


@dataclass(frozen=True)
class Summary:
    """Median, max (and p99 when there are enough samples) of a list of seconds."""

    n: int
    median: float
    max: float
    p99: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> Summary:
        if not samples:
            raise ValueError("no samples")
        ordered = sorted(samples)
        p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
        return cls(len(ordered), statistics.median(ordered), ordered[-1], p99)


def clean_env(**extra: str) -> dict[str, str]:
    """The parent's environment without any NEXORA_/QWENPAW_/OPENCLAW_ settings, plus `extra`."""
    prefixes = ("NEXORA_", "QWENPAW_", "COPAW_", "OPENCLAW_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(extra)
    return env
