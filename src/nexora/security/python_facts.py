"""What the Python analysis found: findings with lines, commands, paths and signals."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from nexora.security.verdict import Reason


class Signal(StrEnum):
    NETWORK = "network"
    ENV_DUMP = "env_dump"
    RAW_SOCKET = "raw_socket"
    FD_REDIRECT = "fd_redirect"
    STREAMS = "streams"  # a process whose standard streams are a descriptor, or a pty
    PROCESS = "process"
    DYNAMIC_EXEC = "dynamic_exec"


@dataclass(frozen=True, slots=True)
class Located:
    line: int
    reason: Reason


@dataclass(frozen=True, slots=True)
class CommandUse:
    """A program the code starts; `command` is None when even the program is computed.

    `partial` when only some arguments are: they stand as `ARGUMENT` in `command`.
    """

    line: int
    command: str | None
    via: str
    partial: bool = False


@dataclass(frozen=True, slots=True)
class PathUse:
    line: int
    path: str
    write: bool
    via: str


@dataclass(slots=True)
class PythonFacts:
    findings: list[Located] = field(default_factory=list)
    commands: list[CommandUse] = field(default_factory=list)
    paths: list[PathUse] = field(default_factory=list)
    signals: dict[Signal, int] = field(default_factory=dict)  # first line each was seen

    def add(self, line: int, reason: Reason) -> None:
        if all((f.line, f.reason.rule) != (line, reason.rule) for f in self.findings):
            self.findings.append(Located(line, reason))

    def signal(self, kind: Signal, line: int) -> None:
        self.signals.setdefault(kind, line)

    def absorb(self, other: PythonFacts) -> None:
        for found in other.findings:
            self.add(found.line, found.reason)
        self.commands.extend(other.commands)
        self.paths.extend(other.paths)
        for kind, line in other.signals.items():
            self.signal(kind, line)
