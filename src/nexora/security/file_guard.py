"""Which files an agent may read and write: its workspace, never the deny list.

Every path is judged after expansion (`~`, `$HOME`), normalisation (`..`, `//`) and symlink
resolution, so a link inside the workspace that points at `~/.ssh` leads nowhere. The deny
list applies everywhere, the workspace included; Nexora's own data dir (`protected`) is out of
bounds except for the workspace it contains.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nexora.errors import Forbidden
from nexora.security.path_patterns import DEFAULT_DENY, DenyList
from nexora.security.verdict import Danger, GuardResult, Reason, block, note

if TYPE_CHECKING:
    from nexora.config.settings import Settings

_HOME_PREFIX = re.compile(r"^(?:~|\$HOME|\$\{HOME\})(?=/|$)")


class PathDenied(Forbidden):
    """A path the guard refuses; `.result` carries the verdict and the reasons."""

    def __init__(self, result: GuardResult) -> None:
        super().__init__("; ".join(r.message for r in result.reasons) or "path denied")
        self.result = result


@dataclass(frozen=True, slots=True)
class PathInfo:
    """One path as the guard sees it: both spellings and where it falls."""

    lexical: Path  # expanded and normalised, symlinks not followed
    resolved: Path  # symlinks followed
    sensitive: Reason | None  # the deny list or a protected dir: never allowed
    inside: bool  # within the workspace or an extra root


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


class FileGuard:
    def __init__(
        self,
        workspace: Path,
        *,
        deny: Sequence[str] = DEFAULT_DENY,
        extra_roots: Sequence[Path] = (),
        protected: Sequence[Path] = (),
    ) -> None:
        self.workspace = workspace.expanduser().resolve()
        self.home = Path.home().resolve()
        self.deny = DenyList(deny, self.home)
        self.extra_roots = tuple(p.expanduser().resolve() for p in extra_roots)
        self.protected = tuple(p.expanduser().resolve() for p in protected)

    def expand(self, path: str) -> Path:
        """`~` and `$HOME` become the home folder; relative paths start at the workspace."""
        expanded = _HOME_PREFIX.sub(lambda _: self.home.as_posix(), path)
        if not expanded.startswith("/"):
            expanded = f"{self.workspace.as_posix()}/{expanded}"
        # POSIX keeps a leading `//`; the kernel treats it as `/`, and so must the patterns.
        return Path("/" + os.path.normpath(expanded).lstrip("/"))

    def inspect(self, path: str) -> PathInfo:
        lexical = self.expand(path)
        try:
            resolved = lexical.resolve(strict=False)
        except OSError:  # `/proc/1/root` and other links we may not follow
            resolved = lexical
        spellings = (lexical.as_posix(), resolved.as_posix())
        sensitive: Reason | None = None
        pattern = self.deny.match(spellings)
        if pattern is not None:
            sensitive = block(
                "file.denied", f"{path} is a protected file (matches {pattern!r})", Danger.CRITICAL
            )
        elif self._in_protected(lexical) or self._in_protected(resolved):
            sensitive = block(
                "file.protected", f"{path} is inside Nexora's own data directory", Danger.CRITICAL
            )
        roots = (self.workspace, *self.extra_roots)
        inside = any(_within(resolved, root) for root in roots)
        return PathInfo(lexical, resolved, sensitive, inside)

    def _in_protected(self, path: Path) -> bool:
        for root in self.protected:
            if not _within(path, root):
                continue
            # The agent's own workspace lives inside the data dir; that part is its to use.
            if _within(self.workspace, root) and _within(path, self.workspace):
                continue
            return True
        return False

    def check(self, path: str, *, write: bool = False) -> GuardResult:
        if not path or "\x00" in path:
            return GuardResult.of([block("file.invalid", "empty path or NUL byte in path")])
        info = self.inspect(path)
        if info.sensitive is not None:
            return GuardResult.of([info.sensitive])
        if not info.inside:
            action = "writes" if write else "reads"
            return GuardResult.of(
                [
                    block(
                        "file.write_outside_workspace" if write else "file.outside_workspace",
                        f"{path} resolves to {info.resolved}, outside the agent's workspace; "
                        f"{action} outside the workspace are not allowed",
                        Danger.CRITICAL if write else Danger.HIGH,
                    )
                ]
            )
        if write:
            return GuardResult.of([note("file.write", f"writes {path}", Danger.LOW)])
        return GuardResult()

    def resolve(self, path: str, *, write: bool = False) -> Path:
        """The real path to open, or `PathDenied` with the guard's reasons."""
        result = self.check(path, write=write)
        if not result.allowed:
            raise PathDenied(result)
        return self.inspect(path).resolved


def file_guard_for(settings: Settings, workspace: Path) -> FileGuard:
    """The guard of one agent: defaults plus the admin's extra patterns and readable roots."""
    return FileGuard(
        workspace,
        deny=(*DEFAULT_DENY, *settings.guard_deny_paths),
        extra_roots=tuple(settings.guard_allow_roots),
        protected=(settings.home,),
    )
