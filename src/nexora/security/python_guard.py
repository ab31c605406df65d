"""Judges code handed to the agent's Python tool, on its syntax tree rather than its text.

A regex sees `os.system`; it does not see `getattr(os, 'sys' + 'tem')`. The analysis in
`python_ast` resolves names through imports, aliases and the usual indirections and folds
the strings used to build them, so what is judged is what would run. Commands the code
starts go to the shell guard, paths it opens to the file guard's deny list; what matters only in
combination (network plus credentials, a socket plus a shell) is decided here.

Code that does not parse gets `approval`, not `allow`: the interpreter in the sandbox may be
newer than ours and accept syntax we cannot read, so "it will fail anyway" is not certain.
"""

from __future__ import annotations

import re
from pathlib import Path

from nexora.security.file_guard import FileGuard
from nexora.security.python_ast import PLACEHOLDER, analyse
from nexora.security.python_facts import CommandUse, Located, PathUse, PythonFacts, Signal
from nexora.security.python_paths import write_target
from nexora.security.shell_guard import check_shell
from nexora.security.shell_hooks import is_bare_interpreter
from nexora.security.shell_unwrap import is_interpreter
from nexora.security.verdict import Danger, GuardResult, Reason, approval, block, note


def check_python(code: str, files: FileGuard | None = None) -> GuardResult:
    """The verdict on running `code`: block, approval, or allow with a danger level."""
    return GuardResult.of(found.reason for found in assess_python(code, files))


def assess_python(code: str, files: FileGuard | None = None) -> list[Located]:
    """Every finding with the line it concerns; the skill scanner reports them per line."""
    try:
        facts = analyse(code)
    except (SyntaxError, ValueError) as error:
        line = getattr(error, "lineno", None) or 1
        message = (
            f"the code does not parse ({error.__class__.__name__}: {error}); it cannot be checked"
        )
        return [Located(line, approval("python.unparsable", message, Danger.MEDIUM))]
    # Without a workspace, the current directory stands in for it, as in the shell guard.
    files = files or FileGuard(Path.cwd())
    found = list(facts.findings)
    found.extend(_judge_commands(facts.commands, files))
    denied_reads = _judge_paths(facts.paths, files, found)
    found.extend(_combinations(facts, denied_reads))
    return found


def _judge_commands(commands: list[CommandUse], files: FileGuard) -> list[Located]:
    found: list[Located] = []
    for use in commands:
        if use.command is None:
            message = f"{use.via}() starts a program computed at run time"
            found.append(Located(use.line, approval("python.subprocess", message)))
            continue
        result = check_shell(use.command, files)
        found.extend(Located(use.line, reason) for reason in result.reasons)
        if not use.partial and is_bare_interpreter(use.command, is_interpreter):
            message = f"{use.via}() starts an interactive {use.command.split()[0]}"
            found.append(Located(use.line, approval("python.shell_spawn", message)))
        message = f"{use.via}() runs `{use.command}`"
        if use.partial:
            message += f" ({PLACEHOLDER} is computed at run time)"
        found.append(
            Located(use.line, note("python.subprocess", message, max(result.danger, Danger.LOW)))
        )
    return found


def _judge_paths(paths: list[PathUse], files: FileGuard, found: list[Located]) -> int | None:
    """Adds a finding per protected path; returns the line of the first protected read.

    The deny list and Nexora's own data decide here, as in the shell guard, and so do
    writes to the system's own files and to start-up files; where else the code may read or
    write is the sandbox's to enforce (blocking every read outside the workspace would block
    ordinary scripts reading `/usr/share` or `/tmp`).
    """
    denied_read: int | None = None
    for use in paths:
        sensitive = files.inspect(use.path).sensitive or _wildcard(use.path, files)
        if sensitive is None and use.write:
            sensitive = _system_write(use)
        if sensitive is None:
            continue
        found.append(Located(use.line, sensitive))
        if not use.write and denied_read is None:
            denied_read = use.line
    return denied_read


def _wildcard(path: str, files: FileGuard) -> Reason | None:
    """`glob.glob('/home/*/.ssh/id_*')`: a pattern that reaches protected files."""
    if not re.search(r"[*?\[]", path):
        return None
    hit = files.deny.reachable(files.expand(path).as_posix())
    if hit is None:
        return None
    return block("file.denied", f"{path} is a wildcard that reaches protected files ({hit!r})")


def _system_write(use: PathUse) -> Reason | None:
    where = write_target(use.path)
    if where == "system":
        return block("python.system_path", f"{use.via}() writes {use.path}, a system file")
    if where == "startup":
        message = f"{use.via}() writes {use.path}, which runs code at the next login"
        return approval("python.persistence", message)
    return None


def _combinations(facts: PythonFacts, denied_read: int | None) -> list[Located]:
    """Capabilities harmless alone and dangerous together."""
    signals = facts.signals
    found: list[Located] = []
    network = signals.get(Signal.NETWORK) or signals.get(Signal.RAW_SOCKET)
    socket = signals.get(Signal.RAW_SOCKET)
    if socket is not None and (Signal.FD_REDIRECT in signals or Signal.STREAMS in signals):
        message = "connects a socket and hands it to a process or standard streams: a reverse shell"
        found.append(Located(socket, block("python.reverse_shell", message)))
    if network is not None and Signal.ENV_DUMP in signals:
        message = "reads the whole environment and talks to the network: exfiltration"
        found.append(Located(signals[Signal.ENV_DUMP], block("python.exfiltration", message)))
    if network is not None and denied_read is not None:
        message = "reads a protected file and talks to the network: exfiltration"
        found.append(Located(denied_read, block("python.exfiltration", message)))
    if network is not None and Signal.DYNAMIC_EXEC in signals:
        message = "fetches from the network and runs code it cannot show: download and execute"
        found.append(Located(signals[Signal.DYNAMIC_EXEC], block("python.download_exec", message)))
    if Signal.NETWORK in signals and not found:
        message = "talks to the network"
        found.append(Located(signals[Signal.NETWORK], note("python.network", message, Danger.LOW)))
    return found
