"""Guards for tools Nexora did not write (MCP servers): judged by what their arguments say.

Their code is out of reach, so the arguments are what can be checked: a string under a
command-like key is judged as a shell command, and any string that names a file is checked
against the deny list. Paths outside the workspace are not refused here — such servers work
on their own folders — but credentials and keys never pass through any tool.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from nexora.security.file_guard import FileGuard
from nexora.security.shell_guard import check_shell
from nexora.security.verdict import GuardResult, Reason

COMMAND_KEYS = frozenset({"command", "cmd", "shell", "script", "bash", "commandline"})
MAX_STRINGS = 200  # a tool's arguments rarely hold more; past that only the first are read
MAX_DEPTH = 6


def check_tool_args(args: Any, files: FileGuard) -> GuardResult:
    reasons: list[Reason] = []
    results: list[GuardResult] = []
    for key, value in _strings(args):
        if key in COMMAND_KEYS:
            results.append(check_shell(value, files))
        elif _looks_like_path(value):
            info = files.inspect(value)
            if info.sensitive is not None:
                reasons.append(info.sensitive)
    return GuardResult.of(reasons).merge(*results)


def _looks_like_path(value: str) -> bool:
    text = value.strip()
    if not text or len(text) > 4096 or "\n" in text or "\x00" in text:
        return False
    return text.startswith(("~", ".", "$HOME")) or "/" in text


def _strings(value: Any, key: str = "", depth: int = 0) -> Iterator[tuple[str, str]]:
    stack: list[tuple[str, Any, int]] = [(key, value, depth)]
    seen = 0
    while stack and seen < MAX_STRINGS:
        name, item, level = stack.pop()
        if isinstance(item, str):
            seen += 1
            yield name.lower(), item
        elif level < MAX_DEPTH and isinstance(item, dict):
            stack.extend((str(k), v, level + 1) for k, v in item.items())
        elif level < MAX_DEPTH and isinstance(item, list | tuple):
            stack.extend((name, v, level + 1) for v in item)
