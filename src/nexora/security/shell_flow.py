"""Rules on how commands connect: data piped into a shell, a download run afterwards, a shell
wired to a socket, a function that calls itself in the background."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from nexora.security.shell_ast import Command, Pipeline, Script
from nexora.security.shell_decode import is_decoder, static_output
from nexora.security.shell_net import DOWNLOADERS, NET_TOOLS
from nexora.security.shell_unwrap import SHELLS, is_interpreter, unwrap
from nexora.security.verdict import Danger, GuardResult, Reason, approval, block

# Judges a payload found along the way: (language, text) -> result.
PayloadJudge = Callable[[str, str], GuardResult]

_FORK_BOMB = re.compile(r"(\S+)\s*\(\)\s*\{[^}]*\1\s*\|\s*\1\s*&")


@dataclass(slots=True)
class _Stdin:
    language: str  # "shell", or the interpreter's name


def _stdin_runner(command: Command) -> _Stdin | None:
    """The language a command runs from its standard input, if it does."""
    unwrapped = unwrap(command.argv)
    if unwrapped.reads_stdin_code:
        last = unwrapped.views[-1]
        name = last[0].rsplit("/", 1)[-1] if last else ""
        return _Stdin(
            "shell"
            if name in SHELLS
            else ("python" if name.startswith(("python", "pypy")) else name)
        )
    if command.name in {"source", "."} and command.argv[1:2] in (["/dev/stdin"], ["-"]):
        return _Stdin("shell")
    if command.name == "xargs" and any(
        v and v[0].rsplit("/", 1)[-1] in SHELLS for v in unwrapped.views[1:]
    ):
        return _Stdin("shell")
    return None


def _names(commands: list[Command]) -> set[str]:
    return {v[0].rsplit("/", 1)[-1] for c in commands for v in unwrap(c.argv).views if v}


def _pipeline_rules(pipeline: Pipeline, judge: PayloadJudge) -> Iterator[Reason]:
    everything = [c for stage in pipeline for c in stage]
    names = _names(everything)
    if names & SHELLS and names & NET_TOOLS:
        yield block("shell.reverse_shell", "a shell is wired to a network connection")
    for index, stage in enumerate(pipeline[1:], start=1):
        runner = next((r for r in map(_stdin_runner, stage) if r is not None), None)
        if runner is None:
            continue
        before = [c for s in pipeline[:index] for c in s]
        fetched = _names(before)
        if fetched & DOWNLOADERS:
            yield block("shell.download_exec", "runs code downloaded from the network")
            continue
        if fetched & NET_TOOLS:
            yield block("shell.reverse_shell", "runs commands received over a network connection")
            continue
        payload = static_output(pipeline[:index])
        if payload is None:
            yield approval(
                "shell.stdin_exec", f"pipes data only known at run time into {runner.language}"
            )
            continue
        if any(is_decoder(c) for c in before):
            yield approval(
                "shell.decoded_exec", f"decodes a hidden payload and runs it with {runner.language}"
            )
        yield from judge(runner.language, payload).reasons


_ARGUMENT_SENSITIVE = frozenset(
    {
        "rm",
        "shred",
        "unlink",
        "rmdir",
        "chmod",
        "chown",
        "chgrp",
        "mv",
        "cp",
        "dd",
        "tee",
        "truncate",
        "kill",
        "cat",
        "scp",
        "curl",
    }
)


def _xargs_rules(pipeline: Pipeline, judge: PayloadJudge) -> Iterator[Reason]:
    """`echo / | xargs rm -rf`: the arguments come from the stages before."""
    for index, stage in enumerate(pipeline[1:], start=1):
        for command in stage:
            views = unwrap(command.argv).views
            if command.name != "xargs" or len(views) < 2:
                continue
            inner = views[1]
            payload = static_output(pipeline[:index])
            if payload is None:
                if inner[0].rsplit("/", 1)[-1] in _ARGUMENT_SENSITIVE:
                    yield approval(
                        "shell.xargs_unknown",
                        f"xargs {inner[0]} with arguments only known at run time",
                        Danger.MEDIUM,
                    )
                continue
            items = payload.split()[:16]
            placeholder = next(
                (command.argv[i + 1] for i, a in enumerate(command.argv[:-1]) if a == "-I"), None
            )
            if placeholder is not None:
                lines = [
                    shlex.join([w.replace(placeholder, item) for w in inner]) for item in items
                ]
            else:
                lines = [shlex.join([*inner, *items])]
            for line in lines:
                yield from judge("shell", line).reasons


def _heredoc_rules(command: Command, judge: PayloadJudge) -> Iterator[Reason]:
    """Code a shell or interpreter reads from a here-document, a here-string or a process
    substitution (`sh < <(echo ...)`); and `xargs rm <<< /`, whose arguments come so."""
    runner = _stdin_runner(command)
    if runner is not None and command.stdin_text is not None:
        yield from judge(runner.language, command.stdin_text).reasons
    if runner is not None and any(r.op == "<" for r in command.redirects):
        for pipeline in command.substitutions:
            text = static_output(pipeline)
            if text is None:
                yield approval(
                    "shell.stdin_exec", f"feeds {runner.language} code only known at run time"
                )
            else:
                yield from judge(runner.language, text).reasons
    if command.name == "xargs" and command.stdin_text is not None:
        feeder = Command(argv=["echo", command.stdin_text.rstrip("\n")], dynamic=[False, False])
        yield from _xargs_rules(
            [[feeder], [Command(argv=command.argv, dynamic=command.dynamic)]], judge
        )


def _substitution_rules(command: Command) -> Iterator[Reason]:
    """`bash <(curl ...)`, `eval "$(wget -O- ...)"`, `$(curl ...)` as the command itself."""
    runs_text = (
        is_interpreter(command.name) or command.name == "eval" or (command.dynamic[:1] == [True])
    )
    for pipeline in command.substitutions:
        names = _names([c for stage in pipeline for c in stage])
        if runs_text and names & DOWNLOADERS:
            yield block("shell.download_exec", "runs code downloaded from the network")
        elif runs_text and names & NET_TOOLS:
            yield block("shell.reverse_shell", "runs commands received over a network connection")


def _download_targets(command: Command) -> list[str]:
    name, args = command.name, command.argv[1:]
    if name not in DOWNLOADERS:
        return []
    found = [r.target for r in command.redirects if r.writes and r.target]
    for flag, value in zip(args, [*args[1:], ""], strict=True):
        # curl's -O takes no value (it names the file after the URL, handled below).
        named = flag in {"-o", "--output", "--output-document"} or (flag == "-O" and name != "curl")
        if named and value and not value.startswith("-"):
            found.append(value)
        if flag.startswith(("--output=", "--output-document=")):
            found.append(flag.split("=", 1)[1])
    urls = [a for a in args if "://" in a]
    if urls and (
        (name == "wget" and not any(f in args for f in ("-O", "--output-document", "-qO-", "-O-")))
        or ("-O" in args and name == "curl")
    ):
        found.extend(u.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] for u in urls)
    return [f.removeprefix("./") for f in found if f and f != "-"]


def _runs_file(command: Command, path: str) -> bool:
    for view in unwrap(command.argv).views:
        if not view:
            continue
        words = [w.removeprefix("./") for w in view]
        name = view[0].rsplit("/", 1)[-1]
        if words[0] == path or (
            path in words[1:]
            and (
                is_interpreter(name)
                or (name == "chmod" and any("x" in w or w.isdigit() for w in view[1:]))
            )
        ):
            return True
    return False


def _written_files(command: Command) -> dict[str, str]:
    """`echo 'rm -rf ~' > x.sh`, `cat > x.sh <<EOF`: files written with text known now."""
    targets = [r.target for r in command.redirects if r.writes and r.target]
    if not targets or command.name not in {"echo", "printf", "cat"}:
        return {}
    alone = Command(argv=command.argv, dynamic=command.dynamic, stdin_text=command.stdin_text)
    text = static_output([[alone]])
    return {} if text is None else {t.removeprefix("./"): text for t in targets}


def _piped_writes(script: Script) -> dict[str, str]:
    """`echo 'rm -rf ~' | tee x.sh`: what `tee` writes when its input is known."""
    found: dict[str, str] = {}
    for pipeline in script.pipelines:
        for index, stage in enumerate(pipeline[1:], start=1):
            tees = [c for c in stage if c.name == "tee"]
            text = static_output(pipeline[:index]) if tees else None
            if text is not None:
                for tee in tees:
                    found.update({a.removeprefix("./"): text for a in tee.argv[1:] if a[:1] != "-"})
    return found


def flow_rules(script: Script, raw: str, judge: PayloadJudge) -> Iterator[Reason]:
    for pipeline in script.pipelines:
        yield from _pipeline_rules(pipeline, judge)
        yield from _xargs_rules(pipeline, judge)
    downloaded: list[str] = []
    written = _piped_writes(script)
    for command in script.commands:
        yield from _heredoc_rules(command, judge)
        yield from _substitution_rules(command)
        if any(_runs_file(command, path) for path in downloaded):
            yield block("shell.download_exec", "runs a file it just downloaded")
        for path, text in written.items():
            if _runs_file(command, path):
                runner = _stdin_runner(Command(argv=command.argv[:1]))
                yield from judge(runner.language if runner else "shell", text).reasons
        downloaded.extend(_download_targets(command))
        written.update(_written_files(command))
        tcp = [r for r in command.redirects if r.target.startswith(("/dev/tcp/", "/dev/udp/"))]
        if tcp and (command.name in SHELLS or command.name == "exec" or "-i" in command.argv):
            yield block(
                "shell.reverse_shell", "connects a shell to a network socket through /dev/tcp"
            )
        elif tcp:
            yield approval(
                "shell.dev_tcp", "opens a raw network connection through /dev/tcp", Danger.HIGH
            )
    for name, body in script.functions.items():
        calls = [c for c in body if c.name == name]
        if len(calls) >= 2 or (
            calls and any(c in stage for p in script.pipelines for stage in p for c in calls)
        ):
            yield block("shell.fork_bomb", f"function {name} calls itself without end (fork bomb)")
    if _FORK_BOMB.search(raw):
        yield block("shell.fork_bomb", "fork bomb")
