"""The shell guard: judges a command line the way bash would run it.

Every simple command is judged, however it is reached: lists, pipelines, subshells,
substitutions, `bash -c` and `eval` strings (recursively), wrappers (`sudo`, `env`, `xargs`,
`find -exec`, ...), after quote removal, obvious variable expansion and decoding of obvious
payloads. Every word that can be a path is checked against the file guard's deny list.
"""

from __future__ import annotations

import glob
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

from nexora.security import shell_devtools, shell_lasting, shell_net  # noqa: F401  (rules register)
from nexora.security.file_guard import FileGuard
from nexora.security.shell_ast import Command
from nexora.security.shell_decode import static_output
from nexora.security.shell_fallback import Unparsable
from nexora.security.shell_flow import flow_rules
from nexora.security.shell_hooks import is_bare_interpreter, variable_scripts
from nexora.security.shell_net import code_rules
from nexora.security.shell_outputs import output_files
from nexora.security.shell_parse import parse_script
from nexora.security.shell_paths import (
    Cwd,
    Place,
    absolute,
    path_words,
    persistence_target,
    sensitive_paths,
)
from nexora.security.shell_rules import RULES, View, disk_tool
from nexora.security.shell_unwrap import is_interpreter, unwrap
from nexora.security.verdict import Danger, GuardResult, Reason, approval, block, note

MAX_DEPTH = 4
MAX_GLOB_RUNS = 8  # programs a wildcard command name is judged as
_GLOB = re.compile(r"[*?]|\[[^\]]+\]")
MAX_LENGTH = 64 * 1024
_LOG_FILES = re.compile(
    r"(^|/)\.\w*_history$|^/var/log(/|$)|/(wtmp|btmp|lastlog|utmp)$|/audit(/|\.log)"
)
_DESTROYERS = re.compile(
    r"(?:rmtree|rmdir|removedirs|remove|unlink|rmSync|rm_rf|rm_r|rimraf|unlinkSync|rmdirSync)\s*\(\s*[rbf]?(['\"])([^'\"]+)\1"
)
_STRING_LITERAL = re.compile(r"[rbf]?(['\"])((?:(?!\1).){1,300})\1")


def check_shell(command: str, files: FileGuard | None = None) -> GuardResult:
    """allow / approval / block for a shell command line, with a reason per finding."""
    return _Judge(files or FileGuard(Path.cwd())).judge(command, depth=0)


class _Judge:
    def __init__(self, files: FileGuard) -> None:
        self.files = files

    def judge(self, command: str, depth: int) -> GuardResult:
        if depth > MAX_DEPTH:
            return GuardResult.of(
                [approval("shell.too_deep", "commands nested too deeply to judge")]
            )
        if len(command) > MAX_LENGTH:
            return GuardResult.of([approval("shell.too_long", "command too long to judge")])
        if not command.strip():
            return GuardResult()
        env = {
            "HOME": self.files.home.as_posix(),
            "PWD": self.files.workspace.as_posix(),
            "IFS": " ",
        }
        try:
            script = parse_script(command, env, static_output)
        except Unparsable as exc:
            return GuardResult.of(
                [approval("shell.unparsable", f"could not parse the command ({exc})")]
            )
        reasons: list[Reason] = []
        if script.fallback:
            reasons.append(
                note("shell.parse_fallback", "parsed with the conservative fallback", Danger.LOW)
            )
        cwd = Cwd(self.files.workspace)
        for item in script.commands:
            reasons.extend(self._command(item, cwd, depth))
        reasons.extend(
            flow_rules(script, command, lambda lang, text: self._payload(lang, text, depth))
        )
        return GuardResult.of(dict.fromkeys(reasons))

    def _payload(self, language: str, text: str, depth: int) -> GuardResult:
        if language == "shell":
            return self.judge(text, depth + 1)
        return GuardResult.of(self._code(language, text))

    def _command(self, command: Command, cwd: Cwd, depth: int) -> Iterator[Reason]:
        yield from self._redirects(command, cwd)
        yield from self._assignments(command)
        if not command.argv:
            return
        head = command.argv[0]
        if command.dynamic[:1] == [True]:
            yield approval(
                "shell.computed_command", f"the command name {head!r} is only known at run time"
            )
        if _GLOB.search(head):
            yield approval(
                "shell.wildcard_command", f"the command name {head!r} is a wildcard pattern"
            )
        rebuilt = self._rebuilt(command)
        if rebuilt is not None:
            yield from self.judge(rebuilt, depth + 1).reasons
        if command.name in {"cd", "pushd"}:
            self._change_dir(command, cwd)
        unwrapped = unwrap(command.argv)
        for argv in unwrapped.views:
            dynamic = command.dynamic if argv is command.argv else ["$" in w for w in argv]
            view = View(argv, dynamic, self.files, cwd)
            for rule in RULES.get(argv[0].rsplit("/", 1)[-1].lstrip("\\"), []):
                yield from rule(view)
            yield from disk_tool(view)
            yield from output_files(view)
            yield from sensitive_paths(path_words(argv), self.files, cwd)
            if argv[0].rsplit("/", 1)[-1] in {"rm", "shred", "truncate", "unlink"}:
                yield from self._log_tamper(argv[1:], cwd)
        for script in unwrapped.scripts:
            yield from self.judge(script, depth + 1).reasons
        env_words = [w for v in unwrapped.views if v[0] == "env" for w in v[1:] if "=" in w]
        assigned = dict(w.split("=", 1) for w in env_words)
        for script in [*unwrapped.hooked, *variable_scripts({**command.assignments, **assigned})]:
            yield from self.judge(script, depth + 1).reasons
            if is_bare_interpreter(script, is_interpreter):
                yield approval(
                    "shell.shell_escape",
                    f"{command.name} starts an interactive {script.split()[0]} of its own",
                )
        for language, code in unwrapped.code:
            yield from self._code(language, code)

    def _rebuilt(self, command: Command) -> str | None:
        """The command line again when the name is a wildcard (`/bin/r?`, `/???/??m`) or
        holds spaces, to judge what really runs; bash does not re-read quotes in a value."""
        head = command.argv[0]
        words = head.split() or [head]
        if _GLOB.search(head):
            matches = sorted(glob.glob(head))[:MAX_GLOB_RUNS]
            return " ; ".join(shlex.join([m, *command.argv[1:]]) for m in matches) or None
        if len(words) > 1:
            return shlex.join([*words, *command.argv[1:]])
        return None

    def _change_dir(self, command: Command, cwd: Cwd) -> None:
        target = command.argv[1] if len(command.argv) > 1 else "~"
        if command.dynamic[1:2] == [True] or target == "-":
            cwd.known = False
            return
        cwd.path = absolute(target, self.files, cwd)

    def _redirects(self, command: Command, cwd: Cwd) -> Iterator[Reason]:
        for redirect in command.redirects:
            target = redirect.target
            if not target or redirect.op in {"<<", "<<<"}:
                continue
            yield from sensitive_paths([target], self.files, cwd)
            if not redirect.writes:
                continue
            lasting = persistence_target(absolute(target, self.files, cwd).as_posix())
            if lasting is not None:
                yield lasting
            view = View([">", target], [False, "$" in target], self.files, cwd)
            where = view.where(target, "$" in target)
            if where in {Place.SYSTEM, Place.ROOT}:
                yield block("shell.system_write", f"writes {target}, a system path")
            elif where is Place.DEVICE:
                yield block("shell.device_write", f"writes the device {target}")
            elif where in {Place.OUTSIDE, Place.HOME}:
                yield approval(
                    "shell.write_outside", f"writes {target}, outside the workspace", Danger.MEDIUM
                )
            yield from self._log_tamper([target], cwd)

    def _log_tamper(self, targets: list[str], cwd: Cwd) -> Iterator[Reason]:
        for target in targets:
            if not target.startswith("-") and _LOG_FILES.search(
                absolute(target, self.files, cwd).as_posix()
            ):
                yield block("shell.log_tamper", f"erases {target}, a log or shell history")

    def _assignments(self, command: Command) -> Iterator[Reason]:
        history = {"HISTFILE", "HISTSIZE", "HISTFILESIZE", "HISTCONTROL", "HISTIGNORE"}
        if history & set(command.assignments) or (
            command.name == "unset" and history & set(command.argv[1:])
        ):
            yield approval(
                "shell.history_tamper", "turns off or redirects the shell history", Danger.HIGH
            )
        if {
            "LD_PRELOAD",
            "LD_LIBRARY_PATH",
            "BASH_ENV",
            "PROMPT_COMMAND",
            "DYLD_INSERT_LIBRARIES",
        } & set(command.assignments):
            yield approval(
                "shell.loader_hijack",
                "sets a variable that injects code into every program",
                Danger.HIGH,
            )

    def _code(self, language: str, code: str) -> Iterator[Reason]:
        """A program given to an interpreter: the Python guard for Python, backstops for all."""
        if language == "python":
            # Imported here: the Python guard asks this one about the commands code runs.
            from nexora.security.python_guard import check_python

            yield from check_python(code, self.files).reasons
        yield from code_rules(language, code)
        literals = [m.group(2) for m in _STRING_LITERAL.finditer(code)]
        yield from sensitive_paths(literals, self.files, Cwd(self.files.workspace))
        for match in _DESTROYERS.finditer(code):
            view = View(
                ["rm", match.group(2)], [False, False], self.files, Cwd(self.files.workspace)
            )
            where = view.where(match.group(2))
            if where in {Place.ROOT, Place.HOME, Place.SYSTEM, Place.DEVICE}:
                yield block(
                    "shell.destructive_delete",
                    f"{language} program deletes {match.group(2)} ({where.value})",
                )
        yield note("shell.inline_code", f"runs an inline {language} program", Danger.MEDIUM)
