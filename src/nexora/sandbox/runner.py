"""Chooses the sandbox for a call and runs the command in it."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from nexora.agents.config import SandboxSettings
from nexora.errors import ServiceUnavailable
from nexora.sandbox import bubblewrap
from nexora.sandbox.environment import sandbox_env
from nexora.sandbox.limits import DEFAULT_LIMITS
from nexora.sandbox.process import ProcessResult, run_process


class SandboxUnavailable(ServiceUnavailable):
    """An agent asked for bubblewrap explicitly and this machine cannot provide it."""

    title = "Sandbox unavailable"


@dataclass(frozen=True, slots=True)
class SandboxStatus:
    mode: str  # what a call with mode "auto" runs in: "bubblewrap" or "process"
    detail: str


def sandbox_status() -> SandboxStatus:
    """What is in force on this machine, and why (for `nexora doctor`)."""
    bwrap = bubblewrap.probe()
    if bwrap.usable:
        return SandboxStatus("bubblewrap", bwrap.detail)
    return SandboxStatus("process", f"resource limits and a process group; {bwrap.detail}")


def sandbox_mode(requested: str = "auto") -> str:
    """The sandbox a call asking for `requested` runs in."""
    if requested == "auto":
        return sandbox_status().mode
    if requested == "bubblewrap" and not bubblewrap.probe().usable:
        raise SandboxUnavailable(
            f"the agent requires the bubblewrap sandbox: {bubblewrap.probe().detail}"
        )
    return requested


async def run_sandboxed(
    argv: list[str],
    *,
    cwd: Path,
    settings: SandboxSettings,
    timeout: float,  # noqa: ASYNC109 - the timeout is the contract: it ends with a kill
    output_limit: int,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
    read_only: Sequence[Path] = (),
) -> ProcessResult:
    """Runs `argv` in `cwd` — the workspace, the only directory it may write — under the
    sandbox `settings.mode` selects; killed with everything it started after `timeout`.

    Mode "off" still scrubs the environment and kills on timeout; it only drops the
    namespaces and resource limits (for commands that need the whole machine).
    `read_only` folders (the agent's skills) are visible inside the sandbox, not writable.
    """
    mode = sandbox_mode(settings.mode)
    workspace = cwd.resolve()  # noqa: ASYNC240 - one cheap lookup
    if mode == "bubblewrap":
        path = bubblewrap.probe().path
        assert path is not None
        command = bubblewrap.wrap(
            argv,
            bwrap=path,
            workspace=workspace,
            network=settings.network,
            read_only=read_only,
        )
        tmpdir = "/tmp"  # noqa: S108 - a private tmpfs inside the sandbox
    else:
        command, tmpdir = argv, tempfile.gettempdir()
    return await run_process(
        command,
        cwd=workspace,
        env=sandbox_env(home=workspace, tmpdir=tmpdir, extra=env),
        timeout=timeout,
        output_limit=output_limit,
        stdin=stdin,
        preexec=None if mode == "off" else DEFAULT_LIMITS.preexec(timeout),
        mode=mode,
    )
