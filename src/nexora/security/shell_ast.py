"""The shell guard's view of a command line: simple commands, the pipelines joining them and
what each one reads, writes and runs, with quotes removed and obvious variables expanded."""

from __future__ import annotations

from dataclasses import dataclass, field

# Stages of a pipeline; one stage is every simple command inside it (`(a; b) | c`).
Stage = list["Command"]
Pipeline = list[Stage]


@dataclass(slots=True)
class Redirect:
    op: str  # ">", ">>", "<", "<>", "&>", ">&", "<<<", "<<"
    target: str  # expanded; "" when it duplicates a descriptor (`2>&1`)
    fd: int | None = None

    @property
    def writes(self) -> bool:
        return self.op in {">", ">>", "&>", ">&", "<>", ">|", "&>>"}


@dataclass(slots=True)
class Command:
    argv: list[str]
    dynamic: list[bool] = field(default_factory=list)  # word still holds an unknown expansion
    redirects: list[Redirect] = field(default_factory=list)
    assignments: dict[str, str] = field(default_factory=dict)
    stdin_text: str | None = None  # a here-document or here-string
    substitutions: list[Pipeline] = field(default_factory=list)  # `$(...)`, `<(...)` in words
    computed: list[str] = field(default_factory=list)  # words a static substitution produced

    @property
    def name(self) -> str:
        """The program, as `rm` whether written `/bin/rm`, `\\rm` or `"r"m`."""
        return command_name(self.argv[0]) if self.argv else ""


def command_name(word: str) -> str:
    return word.rsplit("/", 1)[-1].lstrip("\\")


@dataclass(slots=True)
class Script:
    commands: list[Command] = field(default_factory=list)  # every one, nested included
    pipelines: list[Pipeline] = field(default_factory=list)  # those of two stages or more
    functions: dict[str, list[Command]] = field(default_factory=dict)
    fallback: bool = False  # bashlex could not parse it; split conservatively instead
    ansi_c: bool = False  # `$'...'` strings were decoded
