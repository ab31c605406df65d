"""Static evaluation of the pipelines obfuscation is built from: `echo`/`printf`/here-strings
through `base64 -d`, `xxd -r`, `rev` and `tr`. The guard judges what they decode to."""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import string

from nexora.security.shell_ast import Command, Pipeline
from nexora.security.shell_words import echo_output, printf_output

MAX_OUTPUT = 64 * 1024


def _b64(data: str, alphabet: str = "64") -> str | None:
    text = re.sub(r"\s+", "", data)
    try:
        if alphabet == "32":
            raw = base64.b32decode(text + "=" * (-len(text) % 8), casefold=True)
        else:
            raw = base64.b64decode(
                text + "=" * (-len(text) % 4),
                altchars=b"-_" if "-" in text or "_" in text else None,
            )
    except (binascii.Error, ValueError):
        return None
    return raw.decode("utf-8", errors="replace")


def _unhex(data: str) -> str | None:
    try:
        return bytes.fromhex(re.sub(r"\s+", "", data)).decode("utf-8", errors="replace")
    except ValueError:
        return None


def _tr_set(spec: str) -> str:
    classes = {
        "[:lower:]": string.ascii_lowercase,
        "[:upper:]": string.ascii_uppercase,
        "[:digit:]": string.digits,
    }
    for name, chars in classes.items():
        spec = spec.replace(name, chars)
    return re.sub(
        r"(.)-(.)", lambda m: "".join(chr(c) for c in range(ord(m[1]), ord(m[2]) + 1)), spec
    )


def _tr(args: list[str], data: str) -> str | None:
    if len(args) != 2 or args[0].startswith("-"):
        return None
    source, target = _tr_set(args[0]), _tr_set(args[1])
    if not source or not target:
        return None
    target = target + target[-1] * (len(source) - len(target))
    return data.translate(str.maketrans(source, target[: len(source)]))


def _decoding(argv: list[str]) -> bool:
    return any(
        a in {"-d", "--decode", "-D"} or re.fullmatch(r"-[a-zA-Z]*d[a-zA-Z]*", a) for a in argv[1:]
    )


def _transform(command: Command, data: str | None) -> str | None:
    """The output of one stage given its input; None when it cannot be known."""
    name, args = command.name, command.argv[1:]
    if command.stdin_text is not None:
        data = command.stdin_text
    if name == "echo":
        return echo_output(args)
    if name == "printf":
        return printf_output([a for a in args if a != "--"])
    if data is None:
        return None
    if name == "cat" and not args:
        return data
    if name in {"base64", "base32"} and _decoding(command.argv):
        return _b64(data, "32" if name == "base32" else "64")
    if name == "openssl" and "-d" in args and ("base64" in args or "-a" in args):
        return _b64(data)
    if name == "xxd" and "-r" in " ".join(args):
        return _unhex(data)
    if name == "rev" and not args:
        return "\n".join(line[::-1] for line in data.split("\n"))
    if name == "tr":
        return _tr(args, data)
    if name in {"rot13"}:
        return codecs.decode(data, "rot13")
    return None


def static_output(pipeline: Pipeline) -> str | None:
    """What the pipeline prints, if every stage is one this module can run on paper."""
    data: str | None = None
    for stage in pipeline:
        if (
            len(stage) != 1
            or any(stage[0].dynamic)
            or (stage[0].redirects and not stage[0].stdin_text)
        ):
            return None
        data = _transform(stage[0], data)
        if data is None or len(data) > MAX_OUTPUT:
            return None
    return data


def is_decoder(command: Command) -> bool:
    """A stage that turns opaque data into text (what obfuscated payloads pass through)."""
    name = command.name
    if name in {"base64", "base32"}:
        return _decoding(command.argv)
    if name == "xxd":
        return "-r" in " ".join(command.argv[1:])
    if name == "openssl":
        return "-d" in command.argv
    return name in {"rev", "tr", "gunzip", "zcat", "bzcat", "xzcat", "uudecode", "rot13"}
