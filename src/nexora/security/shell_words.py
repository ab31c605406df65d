"""What bash does to words before it runs them, for the parts the guard must see through:
ANSI-C quoting (`$'\\x72m'`), `printf`/`echo -e` escapes and brace expansion (`{rm,-rf,/}`).

Only the obvious, decidable forms: anything cleverer stays unresolved and the rules treat an
unresolved command name as suspect.
"""

from __future__ import annotations

import re

_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "e": "\x1b",
    "E": "\x1b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "?": "?",
}
_ESCAPE = re.compile(
    r"\\(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|0?[0-7]{1,3}|c.|.)", re.S
)
MAX_BRACE_WORDS = 64


def decode_escapes(text: str) -> str:
    """Backslash escapes as `$'...'`, `echo -e` and `printf` read them."""

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        head = code[0]
        if head in "xuU":
            return chr(int(code[1:], 16))
        if head.isdigit():
            return chr(int(code, 8) & 0xFF)
        if head == "c" and len(code) == 2:
            return chr(ord(code[1].upper()) ^ 0x40)
        return _SIMPLE_ESCAPES.get(code, "\\" + code)

    return _ESCAPE.sub(one, text)


def _single_quoted(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def rewrite_ansi_c(command: str) -> tuple[str, bool]:
    """Replaces each `$'...'` outside other quotes by the single-quoted string it stands for.

    bashlex does not know ANSI-C quoting (it reads `$'\\x72m'` as a variable), so the guard
    decodes it first. Returns the new text and whether anything was decoded."""
    out: list[str] = []
    i, quote, changed = 0, "", False
    while i < len(command):
        char = command[i]
        if quote == "'":
            out.append(char)
            quote = "" if char == "'" else quote
            i += 1
            continue
        if char == "\\" and i + 1 < len(command):
            out.append(command[i : i + 2])
            i += 2
            continue
        if quote == '"':
            out.append(char)
            quote = "" if char == '"' else quote
            i += 1
            continue
        if command.startswith("$'", i):
            end = i + 2
            while end < len(command) and command[end] != "'":
                end += 2 if command[end] == "\\" else 1
            out.append(_single_quoted(decode_escapes(command[i + 2 : end])))
            i, changed = end + 1, True
            continue
        if command.startswith('$"', i):  # locale translation: the plain string in practice
            i += 1
            continue
        if char in "'\"":
            quote = char
        out.append(char)
        i += 1
    return "".join(out), changed


def printf_output(args: list[str]) -> str:
    """What `printf FORMAT ARGS...` prints, for `%s`/`%b`/`%c`/`%d` and escapes."""
    if not args:
        return ""
    fmt, values = args[0], list(args[1:])
    pieces: list[str] = []
    while True:  # bash reuses the format until the arguments run out
        consumed = _Arguments(values)
        pieces.append(decode_escapes(_CONVERSION.sub(consumed.convert, fmt)))
        values = values[consumed.used :]
        if not values or consumed.used == 0:
            return "".join(pieces)


_CONVERSION = re.compile(r"%[-#0 +']*\d*(?:\.\d+)?([sbcdiuxXo])|%%")


class _Arguments:
    """printf's arguments as its conversions consume them."""

    def __init__(self, values: list[str]) -> None:
        self.values = values
        self.used = 0

    def convert(self, match: re.Match[str]) -> str:
        if match.group(0) == "%%":
            return "%"
        value = self.values[self.used] if self.used < len(self.values) else ""
        self.used += 1
        kind = match.group(1)
        if kind == "b":
            return decode_escapes(value)
        return value[:1] if kind == "c" else value


def echo_output(args: list[str]) -> str:
    """What `echo [-neE] WORDS` prints."""
    escapes, newline = False, True
    while args and re.fullmatch(r"-[neE]+", args[0]):
        flags, args = args[0], args[1:]
        escapes = "e" in flags or (escapes and "E" not in flags)
        newline = newline and "n" not in flags
    text = " ".join(args)
    if escapes:
        text = decode_escapes(text)
    return text + ("\n" if newline else "")


_BRACE = re.compile(r"\{([^{}]*,[^{}]*)\}")


def expand_braces(word: str) -> list[str]:
    """`{a,b}` lists, nested by repetition, capped so a hostile word cannot explode."""
    words = [word]
    for _ in range(8):
        expanded: list[str] = []
        changed = False
        for item in words:
            match = _BRACE.search(item)
            if match is None:
                expanded.append(item)
                continue
            changed = True
            head, tail = item[: match.start()], item[match.end() :]
            expanded.extend(head + option + tail for option in match.group(1).split(","))
        words = expanded[:MAX_BRACE_WORDS]
        if not changed:
            break
    return words
