"""Where a vault's files live: a plain folder that keeps every version, or a git repository
with one commit per delivery. Both are blocking and run in a thread, under the service's
per-vault lock."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from nexora.errors import ServiceUnavailable

GIT_TIMEOUT_SECONDS = 60
# Nothing from the user's or the machine's git configuration may change what a vault does.
_GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_AUTHOR_NAME": "Nexora",
    "GIT_AUTHOR_EMAIL": "vault@nexora.local",
    "GIT_COMMITTER_NAME": "Nexora",
    "GIT_COMMITTER_EMAIL": "vault@nexora.local",
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "LANG": "C.UTF-8",
}


class VaultError(ServiceUnavailable):
    """The vault's storage failed (git missing or failing, a full disk)."""


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    message: str
    time: str  # ISO 8601, as git prints it


class VaultBackend(Protocol):
    name: str

    def write(self, root: Path, key: str, version: int, data: bytes, message: str) -> str | None:
        """Stores `data` as version `version` of `key`; returns the commit, if any."""
        ...

    def read(self, root: Path, key: str, version: int, commit: str | None) -> bytes: ...

    def history(self, root: Path, limit: int) -> list[Commit]: ...


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, prefix=".tmp-") as tmp:
        tmp.write(data)
        tmp.flush()
        os.fsync(tmp.fileno())
    os.replace(tmp.name, path)


def _versioned(root: Path, key: str, version: int) -> Path:
    return root / ".versions" / f"{key}@{version}"


class LocalVaultBackend:
    """The latest version at `<root>/<key>`, every version at `<root>/.versions/<key>@<n>`."""

    name = "local"

    def write(self, root: Path, key: str, version: int, data: bytes, message: str) -> str | None:
        _write_atomically(_versioned(root, key, version), data)
        _write_atomically(root / key, data)
        return None

    def read(self, root: Path, key: str, version: int, commit: str | None) -> bytes:
        return _versioned(root, key, version).read_bytes()

    def history(self, root: Path, limit: int) -> list[Commit]:
        return []


class GitVaultBackend:
    """A git repository per vault: the working tree holds the latest version of every key and
    each delivery is one commit, so `git log` is the vault's history."""

    name = "git"

    def write(self, root: Path, key: str, version: int, data: bytes, message: str) -> str | None:
        self._ensure_repo(root)
        _write_atomically(root / key, data)
        self._git(root, "add", "--", key)
        # --allow-empty: delivering the same bytes again is still a delivery worth recording.
        self._git(root, "commit", "--quiet", "--allow-empty", "-m", message)
        return self._git(root, "rev-parse", "HEAD").strip()

    def read(self, root: Path, key: str, version: int, commit: str | None) -> bytes:
        if commit is None:
            raise VaultError(f"{key}@{version} has no commit in this git vault")
        return self._git_bytes(root, "show", f"{commit}:{key}")

    def history(self, root: Path, limit: int) -> list[Commit]:
        if not (root / ".git").exists():
            return []
        out = self._git(root, "log", f"-n{limit}", "--format=%H%x1f%s%x1f%cI")
        commits = []
        for line in out.splitlines():
            sha, message, when = line.split("\x1f")
            commits.append(Commit(sha, message, when))
        return commits

    def _ensure_repo(self, root: Path) -> None:
        if (root / ".git").exists():
            return
        root.mkdir(parents=True, exist_ok=True)
        self._git(root, "init", "--quiet", "--initial-branch=main")

    def _git(self, root: Path, *args: str) -> str:
        return self._git_bytes(root, *args).decode("utf-8", errors="replace")

    def _git_bytes(self, root: Path, *args: str) -> bytes:
        git = shutil.which("git")
        if git is None:
            raise VaultError("git is not installed: install it or set vault_backend=local")
        try:
            done = subprocess.run(  # noqa: S603 - a fixed program; arguments are never a shell line
                [git, *args],
                cwd=root,
                env=_GIT_ENV,
                capture_output=True,
                timeout=GIT_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise VaultError(f"git {args[0]} took longer than {GIT_TIMEOUT_SECONDS} s") from exc
        if done.returncode != 0:
            detail = done.stderr.decode(errors="replace").strip()[:500]
            raise VaultError(f"git {args[0]} failed: {detail}")
        return done.stdout


def backend_named(name: str) -> VaultBackend:
    return GitVaultBackend() if name == "git" else LocalVaultBackend()
