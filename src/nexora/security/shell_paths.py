"""Which files a command line names, and where they fall: the deny list, the workspace, the
system's own folders. Every word and redirection target that can be a path is checked."""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from nexora.security.file_guard import FileGuard
from nexora.security.shell_words import expand_braces
from nexora.security.verdict import Danger, Reason, approval, block

SYSTEM_DIRS = (
    "/etc", "/usr", "/bin", "/sbin", "/boot", "/sys", "/lib", "/lib32", "/lib64", "/libx32",
    "/proc", "/var/lib", "/var/log", "/var/spool", "/var/cache", "/opt", "/srv", "/snap",
    "/root", "/home", "/Users", "/System", "/Library", "/Applications", "/private/etc",
)  # fmt: skip
HARMLESS_DEVICES = frozenset(
    {"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/stdin", "/dev/tty", "/dev/zero",
     "/dev/random", "/dev/urandom", "/dev/full", "/dev/ptmx"}
)  # fmt: skip
# Scratch folders every program may write to (names to compare against, not files we create).
TEMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm")  # noqa: S108
_GLOB = re.compile(r"[*?\[]")
MAX_GLOB_MATCHES = 64


class Place(StrEnum):
    ROOT = "root"  # `/` itself or everything in it
    HOME = "home"  # a home folder itself or everything in it
    SYSTEM = "system"  # the operating system's folders
    DEVICE = "device"  # a disk, terminal or kernel interface under /dev
    NETWORK = "network"  # bash's /dev/tcp and /dev/udp
    WORKSPACE = "workspace"
    TEMP = "temp"
    OUTSIDE = "outside"  # anywhere else
    UNKNOWN = "unknown"  # holds an expansion the guard could not resolve


@dataclass(slots=True)
class Cwd:
    path: Path
    known: bool = True


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def joined(word: str, cwd: Cwd) -> str:
    """The word from the current folder, `..` left for the file guard to judge both ways."""
    if word.startswith(("/", "~", "$HOME", "${HOME}")):
        return word
    return f"{cwd.path.as_posix()}/{word}"


def absolute(word: str, files: FileGuard, cwd: Cwd) -> Path:
    return files.expand(joined(word, cwd))


def place(word: str, files: FileGuard, cwd: Cwd, *, dynamic: bool = False) -> Place:
    """Where a path argument falls, after expansion and `..`; globs count by their directory."""
    if dynamic or word.startswith("$") or "$(" in word or "`" in word:
        return Place.UNKNOWN
    stripped = re.sub(r"(/\*+)+/?$", "", word.rstrip("/")) or "/"
    path = absolute(stripped, files, cwd)
    text = path.as_posix()
    resolved = path.resolve(strict=False).as_posix() if path.exists() else text
    if text == "/" or resolved == "/":
        return Place.ROOT
    home = files.home.as_posix()
    if text in {home, "/home", "/Users", "/root"} or re.fullmatch(r"/(home|Users)/[^/]+", text):
        return Place.HOME
    if _under(text, "/dev/tcp") or _under(text, "/dev/udp"):
        return Place.NETWORK
    if (
        _under(resolved, "/dev")
        and resolved not in HARMLESS_DEVICES
        and not _under(resolved, "/dev/fd")
    ):
        return Place.DEVICE
    if _under(resolved, files.workspace.as_posix()) or any(
        _under(resolved, r.as_posix()) for r in files.extra_roots
    ):
        return Place.WORKSPACE
    if text in TEMP_DIRS:  # the scratch folder itself is shared by every program
        return Place.SYSTEM
    if text in HARMLESS_DEVICES or _under(resolved, "/dev/fd"):
        return Place.TEMP
    if any(_under(resolved, t) for t in (*TEMP_DIRS, os.environ.get("TMPDIR", "/tmp"))):  # noqa: S108
        return Place.TEMP
    if any(_under(text, d) or _under(resolved, d) for d in SYSTEM_DIRS):
        return Place.OUTSIDE if _under(text, home) else Place.SYSTEM
    return Place.OUTSIDE


def _candidates(word: str) -> list[str]:
    """The path-like pieces of a word: `--file=X`, `of=X`, `@X` (curl), `x=@X`, `<X`."""
    local = _FILE_URL.search(word)
    if local is not None:  # `curl file:///etc/shadow` reads a local file
        return [local.group(1)]
    if not word or "://" in word or "\n" in word:
        return []
    found = [] if word.startswith("-") else [word]
    if "=" in word:
        found.append(word.split("=", 1)[1])
    for piece in list(found):
        if "@" in piece:
            found.append(piece.rsplit("@", 1)[1])
        if piece.startswith("<"):
            found.append(piece[1:])
    if word.startswith("-") and len(word) > 2 and word[1] != "-" and "/" in word:  # `-o/etc/x`
        found.append(word[2:])
    expanded = [b for f in found if f for b in expand_braces(f)]
    return [c.split(";", 1)[0] for c in expanded if c and not c.startswith("-")]


_FILE_URL = re.compile(r"file:(?://(?:localhost)?)?(/[^\s'\"?#]*)", re.I)
_PATTERN_FIRST = frozenset({"grep", "egrep", "fgrep", "rg", "ag", "ack", "zgrep", "git-grep"})
_PATTERN_OPTIONS = frozenset(
    {"-e", "--regexp", "-name", "-iname", "-path", "-ipath", "-regex", "-iregex", "-wholename",
     "-m", "--message", "-g", "--glob", "--include", "--exclude", "-t", "--type"}
)  # fmt: skip
_TEXT_ONLY = frozenset({"echo", "printf", ":", "true", "false", "test", "["})
# They show names, sizes and types, never contents: `ls ~/.ssh` reads no key.
_METADATA_ONLY = frozenset({"ls", "stat", "du", "tree", "file", "realpath", "readlink", "dirname",
                            "basename", "exa", "eza"})  # fmt: skip


def path_words(argv: list[str]) -> list[str]:
    """The words of a command that can name files: not `grep`'s pattern, `find -name`'s
    glob, a commit message or what `echo` prints (`grep id_rsa notes.txt` reads no key)."""
    name = argv[0].rsplit("/", 1)[-1] if argv else ""
    if name in _TEXT_ONLY or name in _METADATA_ONLY:
        return []
    words: list[str] = [argv[0]] if "/" in argv[0] else []
    pattern_pending = name in _PATTERN_FIRST and not any(
        a in {"-e", "--regexp", "-f", "--file"} for a in argv
    )
    skip_next = False
    for word in argv[1:]:
        if skip_next:
            skip_next = False
            continue
        if word in _PATTERN_OPTIONS or (name == "git" and word in {"grep", "log"}):
            skip_next = word in _PATTERN_OPTIONS
            pattern_pending = pattern_pending or word in {"grep"}
            continue
        if pattern_pending and not word.startswith("-"):
            pattern_pending = False
            continue
        words.append(word)
    return words


def sensitive_paths(words: list[str], files: FileGuard, cwd: Cwd) -> list[Reason]:
    """Deny-list and protected-dir findings for every path a list of words names, and for
    wildcards and unresolved words that could name one (`~/.ss*/id_*`, `$D/.ssh/id_rsa`)."""
    reasons: list[Reason] = []
    seen: set[str] = set()
    for word in words:
        for candidate in _candidates(word):
            for key in _spellings(candidate, files, cwd):
                if key in seen:
                    continue
                seen.add(key)
                info = files.inspect(key)
                if info.sensitive is not None:
                    reasons.append(info.sensitive)
            reasons.extend(_could_name(candidate, files, cwd))
    return reasons


_UNKNOWN = re.compile(r"\$\{[^}]*\}|\$\([^)]*\)|\$\w+|\$[@*#?$!0-9-]|`[^`]*`")


def _could_name(candidate: str, files: FileGuard, cwd: Cwd) -> list[Reason]:
    unknown = _UNKNOWN.search(candidate) is not None
    if not unknown and not _GLOB.search(candidate):
        return []
    text = _UNKNOWN.sub("\0", candidate)
    floating = text.startswith("\0")
    pattern = text if floating else absolute(text, files, cwd).as_posix()
    fixed = re.split(r"[*?\[\0]", pattern, maxsplit=1)[0].rsplit("/", 1)[0]
    literal = len(re.sub(r"[*?/\0]|\[[^\]]*\]", "", pattern[len(fixed) :]))
    hit = files.deny.reachable(pattern, names=not unknown and literal >= 2)
    if hit is None:
        return []
    if unknown:
        if literal < 4:
            return []
        return [
            approval(
                "shell.hidden_path",
                f"{candidate} is only known at run time and could name a protected file ({hit!r})",
            )
        ]
    message = f"{candidate} is a wildcard that reaches protected files ({hit!r})"
    if literal >= 3:
        return [block("file.denied", message, Danger.CRITICAL)]
    return [approval("shell.wildcard_path", message)]


def _spellings(candidate: str, files: FileGuard, cwd: Cwd) -> list[str]:
    if not _GLOB.search(candidate):
        return [joined(candidate, cwd)]
    pattern = absolute(candidate, files, cwd).as_posix()
    matches = list(glob.iglob(pattern, include_hidden=True))[:MAX_GLOB_MATCHES]
    fixed = pattern[: _GLOB.search(pattern).start()].rsplit("/", 1)[0]  # type: ignore[union-attr]
    return [*matches, fixed or "/"] if "/" in candidate else matches


# Written to, these files run code later, outside any guard.
STARTUP_FILES = re.compile(
    r"/\.(bash(rc|_profile|_login|_logout)|profile|zshrc|zprofile|zshenv|zlogin|kshrc|cshrc"
    r"|tcshrc|xinitrc|xprofile|xsessionrc|inputrc|pam_environment)$"
    r"|/\.config/(autostart|systemd/user|environment\.d|fish/conf\.d|fish/config\.fish)(/|$)"
    r"|/\.local/share/systemd/user(/|$)|/Library/Launch(Agents|Daemons)(/|$)"
    r"|/\.ssh/(authorized_keys2?|rc|config)$|/\.git/(hooks(/|$)|config$)"
    r"|^/etc/(cron|profile|bash\.bashrc|rc\.local|init\.d|systemd|xdg/autostart|ld\.so\.preload)"
    r"|^/var/spool/cron(/|$)"
)


def persistence_target(path: str) -> Reason | None:
    if STARTUP_FILES.search(path):
        return approval(
            "shell.persistence",
            f"writes {path}, which runs code at the next login, boot or commit",
            Danger.HIGH,
        )
    return None
