"""One entry point for "what would the guards say about this?": the CLI's `nexora guard` and
`POST /api/admin/guard/check` both ask here, so they cannot disagree."""

from __future__ import annotations

from enum import StrEnum

from nexora.security.file_guard import FileGuard
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
    # The code guards (and the bash grammar) load with the first check, not with the server.
    if kind is GuardKind.SHELL:
        from nexora.security.shell_guard import check_shell

        return check_shell(text, files)
    if kind is GuardKind.PATH:
        return files.check(text, write=write)
    from nexora.security.python_guard import check_python

    return check_python(text, files)
