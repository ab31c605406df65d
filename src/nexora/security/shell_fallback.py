"""A conservative reading of what bashlex cannot parse: split on every operator, judge each
piece as a command, and look inside every `$(...)` and backtick found in the raw text.

It over-approximates (a `case` pattern or a here-document line may be judged as a command),
which can only make the guard stricter, never blind.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from nexora.security.shell_ast import Command, Pipeline, Redirect, Script

_SEPARATORS = {";", ";;", "&", "&&", "||", "(", ")", "{", "}", ";&", ";;&", "|&"}
_REDIRECTS = {">", ">>", "<", "<>", "&>", ">&", "<<<", "<<", "<<-", ">|", "&>>", "<&"}
_KEYWORDS = {
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "for", "case",
    "esac", "in", "select", "function", "time", "coproc", "!", "[[", "]]",
}  # fmt: skip
_SUBSTITUTION = re.compile(r"\$\(([^()]*(?:\([^()]*\)[^()]*)*)\)|`([^`]*)`|<\(([^()]*)\)")
_VARIABLE = re.compile(r"\$\{([A-Za-z_]\w*)\}|\$([A-Za-z_]\w*)")


class Unparsable(ValueError):
    """Not even the fallback could tokenise it (unbalanced quotes, say)."""


def _tokens(text: str) -> list[str]:
    lexer = shlex.shlex(
        text.replace("\\\n", "").replace("\n", " ; "), posix=True, punctuation_chars=";&|()<>"
    )
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError as exc:
        raise Unparsable(str(exc)) from exc


def _expand(word: str, env: dict[str, str]) -> tuple[str, bool]:
    home = env.get("HOME", str(Path.home()))
    if word == "~" or word.startswith("~/"):
        word = home + word[1:]
    expanded = _VARIABLE.sub(lambda m: env.get(m.group(1) or m.group(2), m.group(0)), word)
    return expanded, "$" in expanded or "`" in expanded


def parse_fallback(text: str, env: dict[str, str], depth: int = 0) -> Script:
    script = Script(fallback=True)
    pipeline: Pipeline = []
    current = Command(argv=[])
    pending_redirect: str | None = None

    def finish(piped: bool) -> None:
        nonlocal current, pipeline
        if current.argv or current.redirects:
            script.commands.append(current)
            pipeline.append([current])
        if not piped:
            if len(pipeline) > 1:
                script.pipelines.append(pipeline)
            pipeline = []
        current = Command(argv=[])

    for word in _tokens(text):
        if pending_redirect is not None:
            value, _ = _expand(word, env)
            current.redirects.append(Redirect(pending_redirect, value))
            if pending_redirect == "<<<":
                current.stdin_text = value + "\n"
            pending_redirect = None
        elif word in _REDIRECTS:
            if current.argv and current.argv[-1].isdigit():  # `2>` reads as `2` then `>`
                current.argv.pop()
                current.dynamic.pop()
            pending_redirect = word
        elif word == "|":
            finish(piped=True)
        elif word in _SEPARATORS:
            finish(piped=False)
        elif not current.argv and word in _KEYWORDS:
            continue
        elif not current.argv and re.fullmatch(r"[A-Za-z_]\w*\+?=.*", word, re.S):
            name, _, value = word.partition("=")
            current.assignments[name.rstrip("+")], _ = _expand(value, env)
            env[name.rstrip("+")] = current.assignments[name.rstrip("+")]
        else:
            value, dynamic = _expand(word, env)
            current.argv.append(value)
            current.dynamic.append(dynamic)
    finish(piped=False)
    if depth < 3:
        for match in _SUBSTITUTION.finditer(text):
            inner = next(g for g in match.groups() if g is not None)
            nested = parse_fallback(inner, env, depth + 1)
            script.commands.extend(nested.commands)
            script.pipelines.extend(nested.pipelines)
    return script
