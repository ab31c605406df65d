"""What the file tools share: walking the workspace as the file guard allows, telling
text from binary, and clipping what goes back to the model."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Entry:
    path: Path  # absolute
    shown: str  # relative to the workspace when inside it, else absolute
    is_dir: bool


def walk(
    files: FileGuard,
    start: Path,
    *,
    max_depth: int,
    name_glob: str | None = None,
    include_hidden: bool = False,
) -> Iterator[Entry]:
    """Entries under `start` (resolved), level by level and sorted; skipping what the guard
    would refuse to read and not following symlinked folders (they could lead anywhere)."""
    base = files.workspace if start.is_relative_to(files.workspace) else None
    for root, dirs, names in os.walk(start):
        here = Path(root)
        depth = len(here.relative_to(start).parts)
        kept = []
        for name in sorted(dirs):
            entry = _entry(here / name, base, True)
            if not _visible(files, entry, name, include_hidden) or entry.path.is_symlink():
                continue
            kept.append(name)
            if name_glob is None or fnmatch(name, name_glob):
                yield entry
        dirs[:] = kept if depth + 1 < max_depth else []
        for name in sorted(names):
            entry = _entry(here / name, base, False)
            if _visible(files, entry, name, include_hidden) and (
                name_glob is None or fnmatch(name, name_glob)
            ):
                yield entry


def _entry(path: Path, base: Path | None, is_dir: bool) -> Entry:
    shown = path.relative_to(base).as_posix() if base is not None else path.as_posix()
    return Entry(path, shown, is_dir)


def _visible(files: FileGuard, entry: Entry, name: str, include_hidden: bool) -> bool:
    if name.startswith(".") and not include_hidden:
        return False
    return files.check(entry.path.as_posix()).allowed
