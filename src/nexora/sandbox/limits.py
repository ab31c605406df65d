"""Resource limits applied to every sandboxed process (and inherited by its children)."""

from __future__ import annotations

import math
import resource
from collections.abc import Callable
from dataclasses import dataclass

_MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ResourceLimits:
    """Ceilings a runaway command hits before it hurts the server.

    Address space is generous because runtimes reserve far more virtual memory than they
    use (a JVM or Go binary maps gigabytes up front); it still stops a runaway allocation.
    """

    address_space_bytes: int = 4096 * _MIB
    file_size_bytes: int = 1024 * _MIB
    open_files: int = 1024
    # CPU seconds beyond the wall-clock timeout: the timeout normally fires first; this
    # catches a process that somehow outlives the kill.
    cpu_grace_seconds: int = 5

    def preexec(self, timeout: float) -> Callable[[], None]:
        """A function for `subprocess`'s `preexec_fn`: it runs in the child between fork
        and exec, so the limits bind the command and everything it starts. It only calls
        setrlimit, which takes no lock another thread could be holding at fork time."""
        cpu = math.ceil(timeout) + self.cpu_grace_seconds
        limits = (
            (resource.RLIMIT_CPU, cpu),
            (resource.RLIMIT_AS, self.address_space_bytes),
            (resource.RLIMIT_FSIZE, self.file_size_bytes),
            (resource.RLIMIT_NOFILE, self.open_files),
        )

        def apply() -> None:
            for kind, value in limits:
                _soft, hard = resource.getrlimit(kind)
                ceiling = value if hard == resource.RLIM_INFINITY else min(value, hard)
                resource.setrlimit(kind, (ceiling, ceiling))

        return apply


DEFAULT_LIMITS = ResourceLimits()
