"""One entry point for "what would the guards say about this?": the CLI's `nexora guard` and
`POST /api/admin/guard/check` both ask here, so they cannot disagree."""

from __future__ import annotations

from enum import StrEnum

from nexora.errors import ServiceUnavailable
from nexora.security.file_guard import FileGuard
from nexora.security.python_bridge import python_checker
from nexora.security.shell_guard import check_shell
from nexora.security.verdict import GuardResult, Verdict

MAX_INPUT = 64 * 1024

# `nexora guard` exits with these, so scripts can branch on the verdict.
EXIT_CODES = {Verdict.ALLOW: 0, Verdict.APPROVAL: 1, Verdict.BLOCK: 2}


class GuardKind(StrEnum):
    SHELL = "shell"
    PYTHON = "python"
    PATH = "path"


def check_input(
    kind: GuardKind, text: str, files: FileGuard, *, write: bool = False
) -> GuardResult:
    """`write` applies to paths: judge writing the file rather than reading it."""
    if kind is GuardKind.SHELL:
        return check_shell(text, files)
    if kind is GuardKind.PATH:
        return files.check(text, write=write)
    checker = python_checker()
    if checker is None:
        raise ServiceUnavailable("the Python guard is not installed in this build")
    return checker(text, files)
