"""Which files an agent may read and write: its workspace, never the deny list.

Every path is judged after expansion (`~`, `$HOME`), normalisation (`..`, `//`) and symlink
resolution, so a link inside the workspace that points at `~/.ssh` leads nowhere. The deny
list applies everywhere, the workspace included; Nexora's own data dir (`protected`) is out of
bounds except for the workspace it contains.
"""

from __future__ import annotations

import os
import pwd
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nexora.errors import Forbidden
from nexora.security.file_links import ProtectedInodes
from nexora.security.path_patterns import DEFAULT_DENY, compiled_deny_list
from nexora.security.verdict import Danger, GuardResult, Reason, block, note

if TYPE_CHECKING:
    from nexora.config.settings import Settings

_HOME_PREFIX = re.compile(r"^(?:~|\$HOME|\$\{HOME\})(?=/|$)")
_USER_HOME = re.compile(r"^~([A-Za-z_][\w.-]*\$?|\+)(?=/|$)")  # `~root`, `~+` (the cwd)


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


def _user_home(user: str, workspace: Path, *, usual: bool) -> str:
    if user == "+":
        return workspace.as_posix()
    fallback = "/root" if user == "root" else f"/home/{user}"
    if usual:
        return fallback
    try:
        return pwd.getpwnam(user).pw_dir
    except KeyError:  # unknown here; the usual place on the machine that runs it
        return fallback


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
        read_roots: Sequence[Path] = (),
    ) -> None:
        self.workspace = workspace.expanduser().resolve()
        self.home = Path.home().resolve()
        self.deny = compiled_deny_list(tuple(deny), self.home)
        self.extra_roots = tuple(p.expanduser().resolve() for p in extra_roots)
        self.protected = tuple(p.expanduser().resolve() for p in protected)
        # Readable, never writable, even inside `protected` (the agent's skill folders).
        self.read_roots = tuple(p.expanduser().resolve() for p in read_roots)
        self.linked = ProtectedInodes(deny, self.home, self.protected)

    def expand(self, path: str) -> Path:
        """`~`, `~user` and `$HOME` become home folders; relative paths start at the
        workspace; `..` is collapsed (see `spellings` for the form that keeps it)."""
        # POSIX keeps a leading `//`; the kernel treats it as `/`, and so must the patterns.
        return Path("/" + os.path.normpath(self._absolute(path)).lstrip("/"))

    def _absolute(self, path: str, *, usual_homes: bool = False) -> str:
        expanded = _HOME_PREFIX.sub(lambda _: self.home.as_posix(), path)
        expanded = _USER_HOME.sub(
            lambda m: _user_home(m.group(1), self.workspace, usual=usual_homes), expanded
        )
        if not expanded.startswith("/"):
            expanded = f"{self.workspace.as_posix()}/{expanded}"
        return expanded

    def _unfolded(self, path: str) -> str:
        """The path with `..` kept: `/proc/self/cwd/../../x` climbs from wherever the link
        leads, not from `/proc/self`, so the prefix it names must be judged as written."""
        # `~user` as /home/user here, where the home patterns look, whatever passwd says.
        parts = [p for p in self._absolute(path, usual_homes=True).split("/") if p not in {"", "."}]
        return "/" + "/".join(parts)

    def inspect(self, path: str, *, write: bool = False) -> PathInfo:
        lexical = self.expand(path)
        try:
            resolved = lexical.resolve(strict=False)
        except OSError:  # `/proc/1/root` and other links we may not follow
            resolved = lexical
        readable = not write and any(_within(resolved, root) for root in self.read_roots)
        spellings = (lexical.as_posix(), resolved.as_posix(), self._unfolded(path))
        sensitive: Reason | None = None
        pattern = self.deny.match(spellings)
        if pattern is not None:
            sensitive = block(
                "file.denied", f"{path} is a protected file (matches {pattern!r})", Danger.CRITICAL
            )
        elif not readable and (self._in_protected(lexical) or self._in_protected(resolved)):
            sensitive = block(
                "file.protected", f"{path} is inside Nexora's own data directory", Danger.CRITICAL
            )
        elif self._hard_link_to_protected(resolved):
            sensitive = block(
                "file.hardlink", f"{path} is another name for a protected file", Danger.CRITICAL
            )
        roots = (self.workspace, *self.extra_roots)
        inside = readable or any(_within(resolved, root) for root in roots)
        return PathInfo(lexical, resolved, sensitive, inside)

    def _hard_link_to_protected(self, path: Path) -> bool:
        try:
            status = path.stat()
        except OSError:
            return False
        return stat.S_ISREG(status.st_mode) and status.st_nlink > 1 and self.linked.holds(status)

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
        info = self.inspect(path, write=write)
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
        return self.inspect(path, write=write).resolved


def file_guard_for(
    settings: Settings, workspace: Path, read_roots: Sequence[Path] = ()
) -> FileGuard:
    """The guard of one agent: defaults plus the admin's extra patterns and roots, and
    read-only access to `read_roots` (the folders of the skills it may use)."""
    return FileGuard(
        workspace,
        deny=(*DEFAULT_DENY, *settings.guard_deny_paths),
        extra_roots=tuple(settings.guard_allow_roots),
        protected=(settings.home,),
        read_roots=read_roots,
    )
