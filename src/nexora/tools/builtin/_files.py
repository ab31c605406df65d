"""What the file tools share: walking the workspace as the file guard allows, telling
text from binary, and clipping what goes back to the model."""

from __future__ import annotations

import os
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path

from nexora.security.file_guard import FileGuard
from nexora.tools.base import ToolError

# A NUL byte in the first block is how `grep` and `git` tell binary files apart too.
_SNIFF_BYTES = 8192


def looks_binary(head: bytes) -> bool:
    return b"\0" in head[:_SNIFF_BYTES]


def read_text(path: Path, *, max_bytes: int, shown: str) -> str:
    """A UTF-8 text file's content; binary, oversized or undecodable files are refused
    with a message the model can act on."""
    if not path.is_file():
        raise ToolError(f"{shown}: no such file" if not path.exists() else f"{shown}: not a file")
    size = path.stat().st_size
    if size > max_bytes:
        raise ToolError(
            f"{shown}: {size} bytes, more than the {max_bytes} this tool reads; "
            "use search_files or the shell (head, sed -n) to look at part of it"
        )
    data = path.read_bytes()
    if looks_binary(data):
        raise ToolError(f"{shown}: a binary file ({size} bytes), not shown")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ToolError(f"{shown}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n[… {len(text) - limit} more characters not shown]"


def walk(
    files: FileGuard,
    workspace: Path,
    start: Path,
    *,
    max_depth: int,
    name_glob: str | None = None,
    include_hidden: bool = False,
) -> Iterator[tuple[Path, bool]]:
    """(path relative to the workspace, is a directory) under `start`, breadth by level,
    sorted; skipping what the guard would refuse to read and not following symlinked
    directories (they could lead out of the workspace)."""
    base_depth = len(start.relative_to(workspace).parts)
    for root, dirs, names in os.walk(start):
        here = Path(root)
        depth = len(here.relative_to(workspace).parts) - base_depth
        kept_dirs = []
        for name in sorted(dirs):
            child = here / name
            rel = child.relative_to(workspace)
            if not _visible(files, rel, name, include_hidden) or child.is_symlink():
                continue
            kept_dirs.append(name)
            if name_glob is None or fnmatch(name, name_glob):
                yield rel, True
        dirs[:] = kept_dirs if depth + 1 < max_depth else []
        for name in sorted(names):
            rel = (here / name).relative_to(workspace)
            if not _visible(files, rel, name, include_hidden):
                continue
            if name_glob is None or fnmatch(name, name_glob):
                yield rel, False


def _visible(files: FileGuard, rel: Path, name: str, include_hidden: bool) -> bool:
    if name.startswith(".") and not include_hidden:
        return False
    return files.check(rel.as_posix()).allowed
