"""From command-line text to `Script`: every simple command bash would run, nested ones too.

bashlex gives the real grammar (lists, pipelines, subshells, substitutions, functions,
here-documents). Word expansion is done here, on the source text, because bashlex's own
quote removal is wrong inside double quotes (`"\\x72"` loses its backslash). What bashlex cannot
parse (`[[ ]]`, `case`, arrays, ...) goes to `shell_fallback`, which splits conservatively.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bashlex
import bashlex.errors

from nexora.security.shell_ast import Command, Pipeline, Redirect, Script
from nexora.security.shell_fallback import parse_fallback
from nexora.security.shell_words import expand_braces, rewrite_ansi_c

# Evaluates a substitution's pipeline when its output is decidable (`$(printf '\x72m')`).
StaticEval = Callable[[Pipeline], "str | None"]

_QUOTED_HEREDOC = re.compile(r"<<(-?)\s*(['\"])([A-Za-z_][\w-]*)\2")
_DOUBLE_BRACKET = re.compile(r"(?<![^\s;&|(])\[\[(?=\s)|(?<=\s)\]\](?=$|[\s;&|)])")
_ARITHMETIC = re.compile(r"\$\(\((?:[^()]|\([^()]*\))*\)\)")
_TIME_KEYWORD = re.compile(r"(^|[;&|({]\s*|\n\s*)time(?:\s+-p)?\s+")
_PARAMETER = re.compile(r"^\$\{?([A-Za-z_]\w*|[0-9@*#?$!-])(?:(:?[-=?+])([^}]*))?\}?$")
_EXPANSIONS = {"parameter", "commandsubstitution", "processsubstitution", "tilde"}


def _prepare(command: str) -> tuple[str, bool]:
    """Rewrites the constructs bashlex rejects into ones it reads the same way for our purpose."""
    text, ansi_c = rewrite_ansi_c(command)
    text = _QUOTED_HEREDOC.sub(lambda m: f"<<{m.group(1)}{m.group(3)}", text)
    text = _DOUBLE_BRACKET.sub(lambda m: m.group(0)[0], text)
    text = _ARITHMETIC.sub("1", text)
    text = _TIME_KEYWORD.sub(lambda m: m.group(1), text)
    return text, ansi_c


def parse_script(command: str, env: dict[str, str], static_eval: StaticEval) -> Script:
    text, ansi_c = _prepare(command)
    try:
        trees = bashlex.parse(text)
    except (bashlex.errors.ParsingError, NotImplementedError, IndexError, AttributeError):
        script = parse_fallback(text, env)
        script.ansi_c = ansi_c
        return script
    walker = _Walker(text, env, static_eval)
    for tree in trees:
        walker.visit(tree)
    walker.script.ansi_c = ansi_c
    return walker.script


_DEFAULT_IFS = " \t\n"


class _Fields:
    """The fields one word becomes while it is scanned: text is appended to the current
    field, an unquoted expansion's value is cut on IFS characters as bash does."""

    def __init__(self, ifs: str) -> None:
        self.ifs = ifs
        self.fields: list[tuple[list[str], bool, bool]] = []  # (pieces, quoted, unknown)
        self.braces = False  # an unquoted `{`: brace expansion may apply
        self._open(False)

    def _open(self, quoted: bool) -> None:
        self.fields.append(([], quoted, False))

    def add(self, text: str, *, quoted: bool = False, unknown: bool = False) -> None:
        pieces, was_quoted, was_unknown = self.fields[-1]
        pieces.append(text)
        self.fields[-1] = (pieces, was_quoted or quoted, was_unknown or unknown)

    def split(self, value: str) -> None:
        if not self.ifs:
            self.add(value)
            return
        white = "".join(re.escape(c) for c in self.ifs if c in _DEFAULT_IFS)
        other = "".join(re.escape(c) for c in self.ifs if c not in _DEFAULT_IFS)
        around = f"[{white}]*" if white else ""
        pattern = "|".join(
            ([f"{around}[{other}]{around}"] if other else []) + ([f"[{white}]+"] if white else [])
        )
        pieces = re.split(pattern, value)
        self.add(pieces[0])
        for piece in pieces[1:]:
            self._open(False)
            self.add(piece)

    def done(self) -> list[tuple[str, bool]]:
        """Empty fields vanish unless quoted (`""` stays an empty argument)."""
        found = [
            ("".join(pieces), unknown)
            for pieces, quoted, unknown in self.fields
            if quoted or "".join(pieces)
        ]
        if self.braces:
            found = [(word, unknown) for text, unknown in found for word in expand_braces(text)]
        return found


class _Walker:
    def __init__(self, source: str, env: dict[str, str], static_eval: StaticEval) -> None:
        self.source = source
        self.env = env
        self.static_eval = static_eval
        self.script = Script()

    def visit(self, node: Any) -> list[Command]:
        """The simple commands inside `node`, in order; records pipelines on the way."""
        kind = node.kind
        if kind == "command":
            return [self._command(node)]
        if kind == "pipeline":
            stages: Pipeline = [
                self.visit(p) for p in node.parts if p.kind not in {"pipe", "reservedword"}
            ]
            if len(stages) > 1:
                self.script.pipelines.append(stages)
            return [c for stage in stages for c in stage]
        if kind == "function":
            name = node.name.word
            body = self.visit(node.body)
            self.script.functions[name] = body
            return body
        if kind == "for":
            return self._for(node)
        found: list[Command] = []
        for child in [*getattr(node, "parts", []), *getattr(node, "list", [])]:
            if child.kind in {"operator", "reservedword", "pipe"}:
                continue
            if child.kind == "word":  # `while`/`if` conditions are commands; loose words are data
                found.append(self._loose_words([child]))
                continue
            found.extend(self.visit(child))
        redirects = getattr(node, "redirects", None) or []
        if redirects:  # `{ a; b; } > file`
            holder = Command(argv=[])
            for redirect in redirects:
                self._redirect(redirect, holder)
            self.script.commands.append(holder)
            found.append(holder)
        return found

    def _for(self, node: Any) -> list[Command]:
        words = [p for p in node.parts if p.kind == "word"]
        found: list[Command] = []
        if words:
            values = self._loose_words(words[1:])
            self.env[words[0].word] = " ".join(values.argv[1:])
            found.append(values)
        for child in node.parts:
            if child.kind not in {"word", "reservedword", "operator"}:
                found.extend(self.visit(child))
        return found

    def _loose_words(self, words: list[Any]) -> Command:
        """Words outside a command (a `for` list): checked as paths, never run."""
        holder = Command(argv=[":"], dynamic=[False])
        for word in words:
            for value, dynamic in self._fields(word, holder):
                holder.argv.append(value)
                holder.dynamic.append(dynamic)
        self.script.commands.append(holder)
        return holder

    def _command(self, node: Any) -> Command:
        command = Command(argv=[])
        for part in node.parts:
            if part.kind == "assignment":
                value, _ = self._expand(part, command)
                name, _, assigned = value.partition("=")
                command.assignments[name.rstrip("+")] = assigned
            elif part.kind == "word":
                for value, dynamic in self._fields(part, command):
                    command.argv.append(value)
                    command.dynamic.append(dynamic)
            elif part.kind == "redirect":
                self._redirect(part, command)
        if not command.argv or command.argv[0] in {
            "export",
            "declare",
            "typeset",
            "local",
            "readonly",
        }:
            for word in command.argv[1:]:
                name, eq, value = word.partition("=")
                if eq and name.isidentifier():
                    command.assignments[name] = value
            self.env.update(command.assignments)
        self.script.commands.append(command)
        return command

    def _redirect(self, node: Any, command: Command) -> None:
        op = node.type
        heredoc = getattr(node, "heredoc", None)
        if heredoc is not None:
            body = heredoc.value.rsplit("\n", 1)[0] if "\n" in heredoc.value else ""
            command.stdin_text = body
            return
        target = node.output
        fd = node.input if isinstance(node.input, int) else None
        if isinstance(target, int) or target is None:
            command.redirects.append(Redirect(op, "", fd))
            return
        value, _ = self._expand(target, command)
        if op == "<<<":
            command.stdin_text = value + "\n"
        command.redirects.append(Redirect(op, value, fd))

    def _expand(self, node: Any, command: Command) -> tuple[str, bool]:
        """One word without field splitting (assignments, redirection targets)."""
        fields = self._scan(node, command, split=False)
        return fields[0] if fields else ("", False)

    def _fields(self, node: Any, command: Command) -> list[tuple[str, bool]]:
        """The words bash makes of one: unquoted expansions split on IFS, empty ones gone
        (`x="-rf /"; rm $x` is `rm -rf /`; `e=; $e rm` is `rm`)."""
        return self._scan(node, command, split=True)

    def _scan(self, node: Any, command: Command, *, split: bool) -> list[tuple[str, bool]]:
        """Quote removal and expansion of one word, and whether an unknown part remains."""
        start, end = node.pos
        parts = sorted(
            (p for p in getattr(node, "parts", []) if p.kind in _EXPANSIONS),
            key=lambda p: p.pos[0],
        )
        src = self.source
        fields = _Fields(self.env.get("IFS", _DEFAULT_IFS) if split else "")
        i, quote = start, ""
        while i < end:
            if parts and parts[0].pos[0] <= i:
                part = parts.pop(0)
                value, unknown = self._part(part, command, in_quotes=bool(quote))
                if quote or unknown or part.kind == "tilde":
                    fields.add(value, quoted=bool(quote), unknown=unknown)
                else:
                    fields.split(value)
                i = max(i, part.pos[1])
                continue
            char = src[i]
            if quote == "'":
                quote = "" if char == "'" else quote
                fields.add("" if char == "'" else char, quoted=True)
                i += 1
            elif char == "\\" and i + 1 < end:
                following = src[i + 1]
                if quote == '"' and following not in '$`"\\\n':
                    fields.add(char + following, quoted=True)
                elif following != "\n":
                    fields.add(following, quoted=True)
                i += 2
            elif quote == '"':
                quote = "" if char == '"' else quote
                fields.add("" if char == '"' else char, quoted=True)
                i += 1
            elif char in "'\"":
                quote = char
                fields.add("", quoted=True)
                i += 1
            else:
                fields.add(char)
                fields.braces = fields.braces or char == "{"
                i += 1
        return fields.done()

    def _part(self, part: Any, command: Command, *, in_quotes: bool) -> tuple[str, bool]:
        raw = self.source[part.pos[0] : part.pos[1]]
        if part.kind == "tilde":
            home = self.env.get("HOME", str(Path.home()))
            return (home + raw[1:] if raw in {"~", "~/"} or raw.startswith("~/") else raw), False
        if part.kind == "parameter":
            return self._parameter(raw)
        inner = self.visit(part.command)
        pipeline: Pipeline = [[c] for c in inner] if len(inner) == 1 else self._pipeline_of(inner)
        command.substitutions.append(pipeline)
        output = self.static_eval(pipeline)
        if output is None:
            return raw, True
        output = output.rstrip("\n")
        command.computed.append(output)
        return output, False

    def _pipeline_of(self, commands: list[Command]) -> Pipeline:
        for pipeline in reversed(self.script.pipelines):
            if [c for stage in pipeline for c in stage] == commands:
                return pipeline
        return [commands]

    def _parameter(self, raw: str) -> tuple[str, bool]:
        match = _PARAMETER.match(raw)
        if match is None:
            return raw, True
        name, operator, default = match.groups()
        if name in self.env:
            return self.env[name], False
        if operator in {"-", ":-", "=", ":="}:
            return default, False
        return raw, True
