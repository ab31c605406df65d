"""Scripts a skill ships, judged by the same guards that judge the agent's own tool calls.

A script in a skill runs with the agent's permissions once the model decides to run it, so
it gets the Python guard's analysis (obfuscated calls, dynamic execution, exfiltration) and
the shell guard's, line by line. What a guard would block blocks the skill.
"""

from __future__ import annotations

from nexora.security.python_guard import assess_python
from nexora.security.shell_guard import check_shell
from nexora.security.verdict import Danger, Reason
from nexora.skills.scan_report import Finding, Severity

_PYTHON_SUFFIXES = frozenset({".py", ".pyw"})
_SHELL_SUFFIXES = frozenset({".sh", ".bash", ".zsh", ".ksh"})
_SHELLS = ("sh", "bash", "zsh", "dash", "ksh")


def script_language(file: str, text: str) -> str | None:
    """ "python", "shell" or None, by suffix or by the `#!` line."""
    suffix = "." + file.rsplit(".", 1)[-1].lower() if "." in file.rsplit("/", 1)[-1] else ""
    if suffix in _PYTHON_SUFFIXES:
        return "python"
    if suffix in _SHELL_SUFFIXES:
        return "shell"
    if not text.startswith("#!"):
        return None
    interpreter = text.split("\n", 1)[0][2:].split()
    words = [w.rsplit("/", 1)[-1] for w in interpreter]
    if any(w.startswith("python") for w in words):
        return "python"
    if any(w in _SHELLS for w in words):
        return "shell"
    return None


def scan_python(text: str, file: str) -> list[Finding]:
    return [
        _finding(f.reason, file, f.line) for f in assess_python(text) if _worth_reporting(f.reason)
    ]


def scan_shell(text: str, file: str) -> list[Finding]:
    """The whole script judged at once; each reason placed on the first line that alone earns it.

    Loops and `if` blocks only parse whole, so a line-by-line verdict would miss commands
    inside them; a reason no single line reproduces is reported for the file.
    """
    whole = [r for r in check_shell(text).reasons if _worth_reporting(r)]
    if not whole:
        return []
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        for reason in check_shell(stripped).reasons:
            lines.setdefault(reason.rule, number)
    return [_finding(reason, file, lines.get(reason.rule)) for reason in whole]


def _worth_reporting(reason: Reason) -> bool:
    return reason.danger > Danger.SAFE


def _finding(reason: Reason, file: str, line: int | None) -> Finding:
    return Finding(Severity.of_reason(reason), reason.rule, file, line, reason.message)
