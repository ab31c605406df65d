"""The bubblewrap sandbox: a fresh mount namespace with the system read-only, the
workspace the only writable place, no network unless allowed, and nothing from any home
directory (Nexora's data dir, SSH keys, cloud credentials) visible at all."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# Read-only system directories; a merged-/usr symlink (/bin -> usr/bin) is recreated as one.
_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
# Inside the read-only /etc: password hashes, sudo rules, host keys and TLS private keys.
_HIDDEN_ETC_FILES = (
    "/etc/shadow",
    "/etc/shadow-",
    "/etc/gshadow",
    "/etc/gshadow-",
    "/etc/sudoers",
    "/etc/krb5.keytab",
)
_HIDDEN_ETC_DIRS = ("/etc/sudoers.d", "/etc/ssh", "/etc/ssl/private")
_BASE_FLAGS = ("--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL")


@dataclass(frozen=True, slots=True)
class BwrapStatus:
    usable: bool
    detail: str  # the binary and version, or why it cannot be used
    path: str | None = None


@cache
def probe() -> BwrapStatus:
    """Whether bubblewrap works here, tried once per process: it may be missing, or the
    kernel or container may refuse it the user namespaces it needs."""
    path = shutil.which("bwrap")
    if path is None:
        return BwrapStatus(False, "bwrap is not installed (apt-get install bubblewrap)")
    try:
        trial = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [path, *_BASE_FLAGS, "--ro-bind", "/", "/", "true"],
            capture_output=True,
            timeout=10,
            check=False,
        )
        version = subprocess.run(  # noqa: S603
            [path, "--version"], capture_output=True, timeout=10, check=False, text=True
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired) as exc:
        return BwrapStatus(False, f"{path} could not run: {exc}")
    if trial.returncode != 0:
        reason = trial.stderr.decode(errors="replace").strip() or f"exit {trial.returncode}"
        return BwrapStatus(False, f"{path} cannot create a sandbox here: {reason}")
    return BwrapStatus(True, f"{version or 'bubblewrap'} ({path})", path)


def wrap(
    argv: list[str],
    *,
    bwrap: str,
    workspace: Path,
    network: bool,
    read_only: Sequence[Path] = (),
) -> list[str]:
    """The bwrap command line that runs `argv` inside the sandbox, in `workspace`."""
    args = [bwrap, *_BASE_FLAGS]
    if network:
        args.append("--share-net")
    for directory in _SYSTEM_DIRS:
        args += _mirror(Path(directory))
    args += _hide_secrets()
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]  # noqa: S108
    # After /tmp, so that an interpreter or a workspace under /tmp is mounted on the tmpfs.
    for prefix in _python_prefixes():
        args += ["--ro-bind", str(prefix), str(prefix)]
    args += ["--bind", str(workspace), str(workspace)]
    for folder in read_only:
        if folder.is_dir() and not folder.is_relative_to(workspace):
            args += ["--ro-bind", str(folder), str(folder)]
    return [*args, "--chdir", str(workspace), "--", *argv]


def _mirror(path: Path) -> list[str]:
    if path.is_symlink():
        return ["--symlink", str(path.readlink()), str(path)]
    if path.is_dir():
        return ["--ro-bind", str(path), str(path)]
    return []


def _hide_secrets() -> list[str]:
    args: list[str] = []
    for file in _HIDDEN_ETC_FILES:
        if Path(file).exists():
            args += ["--ro-bind", "/dev/null", file]
    for directory in _HIDDEN_ETC_DIRS:
        if Path(directory).is_dir():
            args += ["--tmpfs", directory]
    return args


def _python_prefixes() -> list[Path]:
    """The interpreter running Nexora (and its virtualenv), so the `python` tool has one,
    when they live outside the system directories (pyenv under a home, /opt, a venv)."""
    system = tuple(Path(d) for d in _SYSTEM_DIRS)
    prefixes: list[Path] = []
    for raw in {sys.prefix, sys.base_prefix}:
        prefix = Path(raw).resolve()
        if not any(prefix.is_relative_to(s) for s in system) and prefix not in prefixes:
            prefixes.append(prefix)
    return sorted(prefixes)
