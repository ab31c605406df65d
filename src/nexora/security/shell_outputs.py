"""Where a command writes besides its redirections: output options (`sort -o`, `gcc -o`,
`curl -o`, `wget -O`) and the folder an archive is unpacked into (`tar -C /`, `unzip -d`)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from nexora.security.shell_hooks import option_values
from nexora.security.shell_rules import View, rule, write_targets
from nexora.security.verdict import Danger, Reason, approval

# Commands whose `-o` is not an output file: options, formats, a boolean operator.
_O_IS_NOT_OUTPUT = frozenset(
    {"ssh", "scp", "sftp", "autossh", "mount", "find", "ps", "grep", "egrep", "fgrep", "rg",
     "lsof", "tar", "sshfs", "fuser", "pgrep", "pkill", "jq", "dig", "nmcli"}
)  # fmt: skip
_OUTPUT_OPTIONS = ("--output", "--output-file", "--outfile", "--out", "--output-document")


def output_files(view: View) -> Iterator[Reason]:
    """Judges every file named by an output option as a write."""
    name = view.argv[0].rsplit("/", 1)[-1]
    options: tuple[str, ...] = _OUTPUT_OPTIONS
    if name not in _O_IS_NOT_OUTPUT:
        options = (*options, "-o")
    if name == "wget":
        options = (*options, "-O", "-P", "--directory-prefix")
    values = [
        v
        for v in option_values(view.args, *options)
        if v and v != "-" and not v.startswith("-") and "=" not in v.split("/", 1)[0]
    ]
    yield from write_targets(view, [(v, "$" in v) for v in values])


def _extracting(name: str, args: list[str]) -> bool:
    if name in {"unzip", "cpio"}:
        return name == "unzip" or any(re.fullmatch(r"-[a-zA-Z]*i[a-zA-Z]*", a) for a in args)
    if name == "7z":
        return args[:1] in (["x"], ["e"])
    first = args[0] if args else ""
    return (
        any(a in {"-x", "--extract", "--get"} for a in args)
        or bool(re.fullmatch(r"-?[a-zA-Z]*x[a-zA-Z]*", first))
        or any(re.fullmatch(r"-[a-zA-Z]*x[a-zA-Z]*", a) for a in args)
    )


@rule("tar", "bsdtar", "gtar", "unzip", "7z", "cpio")
def _unpack(view: View) -> Iterator[Reason]:
    name, args = view.argv[0].rsplit("/", 1)[-1], view.args
    if not _extracting(name, args):
        return
    if name == "unzip":
        folders = list(option_values(args, "-d"))
    elif name == "7z":
        folders = [a[2:] for a in args if a.startswith("-o") and len(a) > 2]
    else:
        folders = list(option_values(args, "-C", "--directory"))
    yield from write_targets(view, [(f, "$" in f) for f in folders or ["."]])
    absolute_names = name != "unzip" and (
        "--absolute-names" in args
        or any(re.fullmatch(r"-?[a-zA-Z]*P[a-zA-Z]*", a) for a in args[:1])
        or "-P" in args
    )
    if absolute_names:
        yield approval(
            "shell.archive_absolute",
            f"{name} unpacks with absolute paths, anywhere on the machine",
            Danger.HIGH,
        )
