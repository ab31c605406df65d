"""Hard links to protected files: `ln ~/.ssh/id_rsa ws/notes.txt` gives the key a second
name inside the workspace, and no path check can see it. Both names share one inode, so a
file with more than one link is compared against the inodes of the protected files.

Only files the deny list names by folder or full path can be listed (`~/.ssh/**`,
`/etc/shadow`, Nexora's data dir); a link to a `*.pem` lying anywhere on the disk is not
found this way, which the sandbox's own view of the file system has to cover.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

MAX_FILES = 5000  # protected files listed per guard, a bound on the one-time cost


def _globs(patterns: Iterable[str], home: Path, protected: Iterable[Path]) -> Iterator[str]:
    for pattern in patterns:
        if "/" not in pattern:
            continue  # a bare file name can lie anywhere
        for prefix in ("~/", "$HOME/", "${HOME}/"):
            if pattern.startswith(prefix):
                pattern = f"{home.as_posix()}/{pattern[len(prefix) :]}"
        if pattern.startswith("/proc/"):
            continue  # every process's files: not where a link can point
        yield pattern
        if pattern.endswith("/**"):
            yield pattern[:-3]
    for root in protected:
        yield f"{root.as_posix()}/**"


class ProtectedInodes:
    """(device, inode) of every protected file, listed on first use."""

    def __init__(self, patterns: Iterable[str], home: Path, protected: Iterable[Path]) -> None:
        self._sources = list(_globs(patterns, home, protected))
        self._inodes: frozenset[tuple[int, int]] | None = None

    def holds(self, status: os.stat_result) -> bool:
        if self._inodes is None:
            self._inodes = frozenset(self._list())
        return (status.st_dev, status.st_ino) in self._inodes

    def _list(self) -> Iterator[tuple[int, int]]:
        seen = 0
        for source in self._sources:
            for name in glob.iglob(source, recursive=True, include_hidden=True):
                if seen >= MAX_FILES:
                    return
                try:
                    status = os.stat(name)
                except OSError:
                    continue
                seen += 1
                yield status.st_dev, status.st_ino
