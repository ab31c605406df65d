"""Where shell and Python tool calls run: bubblewrap when this machine supports it,
otherwise a separate process group under resource limits; always with a scrubbed
environment and killed, children included, at the timeout."""

from nexora.sandbox.process import ProcessResult
from nexora.sandbox.runner import (
    SandboxStatus,
    SandboxUnavailable,
    run_sandboxed,
    sandbox_mode,
    sandbox_status,
)

__all__ = [
    "ProcessResult",
    "SandboxStatus",
    "SandboxUnavailable",
    "run_sandboxed",
    "sandbox_mode",
    "sandbox_status",
]
