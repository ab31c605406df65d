"""Paths whose deletion or change of permissions damages the machine, not just a workspace."""

from __future__ import annotations

import posixpath
import re

# The operating system's own trees: anything at or under them.
_SYSTEM_TREES = (
    "/etc",
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/boot",
    "/sys",
    "/proc",
    "/dev",
    "/System",
    "/Library",
)
# Roots that hold everyone's data: the directory itself, not what is under it.
_SYSTEM_ROOTS = frozenset({"/", "~", "/home", "/root", "/var", "/opt", "/Users", "/Applications"})
_WINDOWS_SYSTEM = re.compile(
    r"^[A-Za-z]:[\\/]*(windows([\\/].*)?|program files.*)?$", re.IGNORECASE
)


def is_system_path(path: str) -> bool:
    """True for `/`, `~`, `/etc/...`, `~/.ssh`, `C:\\Windows` and the like."""
    if _WINDOWS_SYSTEM.match(path):
        return True
    normal = posixpath.normpath(path) if path else path
    if normal in _SYSTEM_ROOTS or normal == "//":
        return True
    if any(normal == tree or normal.startswith(tree + "/") for tree in _SYSTEM_TREES):
        return True
    # A dotfile or dot-directory right in the home directory: ~/.ssh, ~/.bashrc, ~/.config.
    return bool(re.fullmatch(r"~/\.[^/]+", normal))


_HARMLESS_DEVICES = frozenset({"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty"})
_STARTUP = re.compile(
    r"^(~|/root|/home/[^/]+|/Users/[^/]+)/\.(bash(rc|_profile|_login)|profile|zshrc|zprofile"
    r"|zshenv|ssh/(authorized_keys2?|rc)|config/(autostart|systemd/user)(/.*)?)$|/\.git/hooks/"
)


def write_target(path: str) -> str | None:
    """ "system" for the machine's own files, "startup" for files that run code at login."""
    normal = posixpath.normpath(path) if path else path
    if normal in _HARMLESS_DEVICES or normal.startswith(("/dev/fd/", "/proc/self/fd/")):
        return None
    if _STARTUP.search(normal):
        return "startup"
    if any(normal == t or normal.startswith(t + "/") for t in _SYSTEM_TREES):
        return "system"
    return None
