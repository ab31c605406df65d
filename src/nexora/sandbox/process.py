"""Runs one command in its own session, captures capped output and kills it on timeout.

Both sandbox modes end here: bubblewrap is only a prefix to the argv. Nothing a call
starts outlives it — when the command exits or its time runs out, whatever it left
running (background jobs, daemons, grandchildren) is killed with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

# How long a process group gets between SIGTERM and SIGKILL.
TERM_GRACE_SECONDS = 1.0
# How long pipes may stay open after the command exited (a child still writing).
DRAIN_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class ProcessResult:
    """What a sandboxed command did. `exit_code` is negative when a signal ended it."""

    exit_code: int
    stdout: str
    stderr: str
    truncated: bool  # stdout or stderr was longer than the output limit
    timed_out: bool
    duration: float  # seconds, wall clock
    mode: str  # the sandbox it ran in: "bubblewrap", "process" or "off"

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


class _CappedReader:
    """Keeps the first `limit` bytes of a stream and discards (but still drains) the rest,
    so a chatty command never blocks on a full pipe nor fills the server's memory."""

    def __init__(self, stream: asyncio.StreamReader, limit: int) -> None:
        self._stream = stream
        self._limit = limit
        self.data = bytearray()
        self.truncated = False

    async def read_all(self) -> None:
        while chunk := await self._stream.read(65536):
            room = self._limit - len(self.data)
            if len(chunk) > room:
                self.truncated = True
            if room > 0:
                self.data += chunk[:room]

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


async def run_process(
    argv: list[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,  # noqa: ASYNC109 - the timeout is the contract: it ends with a kill
    output_limit: int,
    stdin: bytes | None,
    preexec: Callable[[], None] | None,
    mode: str,
) -> ProcessResult:
    started = time.monotonic()
    spawn = asyncio.ensure_future(
        asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            env=dict(env),
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,  # its own process group, which we can kill as one
            preexec_fn=preexec,
        )
    )
    try:
        proc = await asyncio.shield(spawn)
    except asyncio.CancelledError:
        # Cancelled while the pipes were being connected: the command may be running already.
        # asyncio's own clean-up would kill only the command, then wait for pipes that its
        # children keep open, forever; so let the spawn finish and kill the whole tree.
        with contextlib.suppress(Exception):
            await asyncio.shield(_kill_tree(await spawn))
        raise
    assert proc.stdout is not None
    assert proc.stderr is not None
    out = _CappedReader(proc.stdout, output_limit)
    err = _CappedReader(proc.stderr, output_limit)
    readers = asyncio.gather(out.read_all(), err.read_all())
    feeder = asyncio.create_task(_feed(proc, stdin))
    timed_out = False
    try:
        await asyncio.wait_for(_exited(proc), timeout)
    except TimeoutError:
        timed_out = True
    except BaseException:
        # The caller was cancelled (a run stopped by its user): nothing may be left running.
        _discard(readers)
        raise
    finally:
        # Also on a normal exit, to end background jobs the command left behind.
        await asyncio.shield(_kill_tree(proc))
        feeder.cancel()
    try:
        await asyncio.wait_for(readers, DRAIN_SECONDS)
    except TimeoutError:
        _discard(readers)  # something that escaped the kill still holds a pipe
    exit_code = await _exited(proc)
    return ProcessResult(
        exit_code=exit_code,
        stdout=out.text(),
        stderr=err.text(),
        truncated=out.truncated or err.truncated,
        timed_out=timed_out,
        duration=time.monotonic() - started,
        mode=mode,
    )


def _discard(readers: asyncio.Future[Any]) -> None:
    """Stops reading, and marks the outcome as seen so asyncio does not log it as lost."""
    readers.cancel()
    readers.add_done_callback(lambda done: done.cancelled() or done.exception())


async def _exited(proc: asyncio.subprocess.Process) -> int:
    """The exit code, once the process itself has exited. `proc.wait()` also waits for its
    pipes to close, which a background child holding them would postpone indefinitely."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            await _pidfd_readable(proc.pid)
    # The child watcher records the code moments after the exit; it offers no event to await.
    while proc.returncode is None:  # noqa: ASYNC110
        await asyncio.sleep(0.005)
    return proc.returncode


async def _pidfd_readable(pid: int) -> None:
    """Returns when `pid` exits, without polling (Linux 5.3+; elsewhere the caller polls)."""
    if not hasattr(os, "pidfd_open"):
        return
    fd = os.pidfd_open(pid)
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def finish() -> None:
        if not done.done():
            done.set_result(None)

    loop.add_reader(fd, finish)
    try:
        await done
    finally:
        loop.remove_reader(fd)
        os.close(fd)


async def _feed(proc: asyncio.subprocess.Process, data: bytes | None) -> None:
    if data is None or proc.stdin is None:
        return
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        proc.stdin.write(data)
        await proc.stdin.drain()
    proc.stdin.close()


async def _kill_tree(proc: asyncio.subprocess.Process) -> None:
    """SIGTERM, a grace period, then SIGKILL to the command's process group and to every
    descendant found (a child that called setsid has left the group but is a descendant)."""
    descendants = _descendants(proc.pid)
    if proc.returncode is not None and not descendants and not _group_alive(proc.pid):
        return  # the usual case: it exited and left nothing behind
    _signal_all(proc.pid, descendants, signal.SIGTERM)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(_all_exited(proc, descendants), TERM_GRACE_SECONDS)
    # Unconditional: it also reaches group members that were no longer our descendants.
    _signal_all(proc.pid, descendants, signal.SIGKILL)


async def _all_exited(proc: asyncio.subprocess.Process, descendants: list[psutil.Process]) -> None:
    await _exited(proc)
    # Descendants are not our children: there is nothing to wait on but their state.
    while any(_alive(p) for p in descendants):  # noqa: ASYNC110
        await asyncio.sleep(0.02)


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        children: list[psutil.Process] = psutil.Process(pid).children(recursive=True)
        return children
    except psutil.Error:
        return []


def _signal_all(pgid: int, descendants: list[psutil.Process], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
    for child in descendants:
        with contextlib.suppress(psutil.Error):
            child.send_signal(sig)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _alive(process: psutil.Process) -> bool:
    try:
        return bool(process.is_running() and process.status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False
