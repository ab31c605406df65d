"""How the shell and Python tools run a command and report it to the model."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from nexora.sandbox import ProcessResult, SandboxUnavailable, run_sandboxed, sandbox_mode
from nexora.security.verdict import Danger, GuardResult, block, note
from nexora.tools.base import ToolContext

OUTPUT_LIMIT_BYTES = 50_000  # per stream


TimeoutSeconds = Annotated[
    int | None,
    Field(ge=1, le=3600, description="Seconds before it is killed; at most the agent's timeout."),
]


async def run_in_sandbox(
    argv: list[str],
    context: ToolContext,
    *,
    timeout_seconds: int | None,
    stdin: bytes | None = None,
) -> str:
    limit = context.sandbox.timeout_seconds
    timeout = min(timeout_seconds or limit, limit)
    result = await run_sandboxed(
        argv,
        cwd=context.workspace,
        settings=context.sandbox,
        timeout=timeout,
        output_limit=OUTPUT_LIMIT_BYTES,
        stdin=stdin,
        read_only=context.files.read_roots,
    )
    return describe(result, timeout)


def describe(result: ProcessResult, timeout: float) -> str:
    """Exit status first (what the model most needs), then each stream that said anything."""
    if result.timed_out:
        head = f"Killed after the {timeout:g} s timeout (with everything it started)."
    else:
        head = f"Exit code {result.exit_code} ({result.duration:.1f} s)."
    parts = [head]
    if result.stdout:
        parts.append(f"stdout:\n{result.stdout.rstrip()}")
    if result.stderr:
        parts.append(f"stderr:\n{result.stderr.rstrip()}")
    if result.truncated:
        parts.append(f"[output cut at {OUTPUT_LIMIT_BYTES} bytes per stream]")
    return "\n".join(parts)


def isolation(context: ToolContext) -> GuardResult:
    """Code runs contained in the sandbox (low danger); without one it runs with the
    server's own rights, so every call is at least medium and the policy decides."""
    try:
        mode = sandbox_mode(context.sandbox.mode)
    except SandboxUnavailable as exc:
        return GuardResult.of([block("sandbox.unavailable", str(exc), Danger.HIGH)])
    if mode == "bubblewrap" and not context.sandbox.network:
        return GuardResult(danger=Danger.LOW)
    why = "with network access" if mode == "bubblewrap" else f"without isolation ({mode})"
    return GuardResult.of([note("sandbox.weak", f"runs {why}", Danger.MEDIUM)])
