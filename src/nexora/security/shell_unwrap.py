"""Commands that run other commands: `sudo rm`, `env X=1 rm`, `xargs rm`, `find -exec rm`,
`bash -c '...'`, `eval`, `python -c`. The guard judges the outer and every inner command."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from nexora.security.shell_ast import command_name
from nexora.security.shell_hooks import hooked

SHELLS = frozenset(
    {"sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "fish", "tcsh", "csh", "rbash"}
)
ESCALATORS = frozenset({"sudo", "doas", "pkexec", "su", "runuser", "sg", "chroot"})
_PYTHON = re.compile(r"^(?:python|pypy)(?:\d+(?:\.\d+)?)?$")
# Interpreters and the flag that takes a program as its argument.
_CODE_FLAGS = {
    "node": {"-e", "--eval", "-p", "--print"},
    "nodejs": {"-e", "--eval", "-p", "--print"},
    "deno": {"eval"},
    "bun": {"-e", "--eval"},
    "perl": {"-e", "-E"},
    "ruby": {"-e"},
    "php": {"-r"},
    "lua": {"-e"},
    "Rscript": {"-e"},
    "osascript": {"-e"},
    "julia": {"-e", "--eval", "-E", "--print"},
    "expect": {"-c"},
    "tclsh": {"-c"},
}
_AWKS = frozenset({"awk", "gawk", "mawk", "nawk"})
# Options of wrappers that take a value, so the value is not mistaken for the command.
_VALUE_OPTIONS = {
    "sudo": {"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T", "--user", "--group"},
    "doas": {"-u", "-C"},
    "pkexec": {"--user"},
    "runuser": {"-u", "-g", "-G", "--user", "--group"},
    "env": {"-u", "--unset", "-C", "--chdir"},
    "nice": {"-n", "--adjustment"},
    "ionice": {"-c", "-n", "-p", "--class", "--classdata"},
    "timeout": {"-s", "-k", "--signal", "--kill-after"},
    "stdbuf": {"-i", "-o", "-e"},
    "xargs": {"-I", "-n", "-P", "-d", "-L", "-s", "-E", "-a", "--max-args", "--delimiter"},
    "flock": {"-w", "-E", "--timeout", "--conflict-exit-code"},
    "watch": {"-n", "--interval", "-d"},
    "exec": {"-a"},
    "chrt": {"-p"},
    "taskset": {"-p"},
    "strace": {"-o", "-p", "-e", "-s"},
    "nsenter": {"-t", "--target", "-S", "--setuid", "-G", "--setgid", "-r", "-w"},
    "sshpass": {"-p", "-f", "-d", "-e"},
    "setpriv": {"--reuid", "--regid", "--groups", "--inh-caps", "--bounding-set"},
}
# Wrappers followed by one positional argument before the command.
_SKIP_POSITIONAL = {
    "timeout": 1, "chroot": 1, "flock": 1, "sg": 1, "chrt": 1, "taskset": 1, "setarch": 1,
    "faketime": 1,
}  # fmt: skip
_PLAIN_WRAPPERS = frozenset(
    {"nohup", "setsid", "exec", "builtin", "time", "nice", "ionice", "timeout", "stdbuf",
     "busybox", "unbuffer", "proxychains", "proxychains4", "torsocks", "strace", "ltrace",
     "chrt", "taskset", "flock", "doas", "pkexec", "runuser", "sg", "chroot", "sudo", "env",
     "xargs", "watch", "command", "caffeinate", "firejail", "nsenter", "unshare", "setarch",
     "sshpass", "faketime", "valgrind", "xvfb-run", "dbus-run-session", "setpriv", "catchsegv",
     "ssh-agent", "daemonize", "disown"}
)  # fmt: skip


@dataclass(slots=True)
class Unwrapped:
    views: list[list[str]] = field(default_factory=list)  # the outer argv and every inner one
    scripts: list[str] = field(default_factory=list)  # shell text run by `bash -c`, `eval`, ...
    hooked: list[str] = field(default_factory=list)  # run by a tool's option or a program
    code: list[tuple[str, str]] = field(default_factory=list)  # (language, program)
    escalation: list[str] = field(default_factory=list)  # sudo, su, ... on the way in
    reads_stdin_code: bool = False  # a shell or interpreter that runs what it reads


def _after_options(name: str, args: list[str]) -> list[str]:
    takes_value = _VALUE_OPTIONS.get(name, set())
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            i += 1
            break
        if name == "env" and re.fullmatch(r"[A-Za-z_]\w*=.*", arg, re.S):
            i += 1
            continue
        if not arg.startswith("-") or arg == "-":
            break
        i += 2 if arg in takes_value else 1
    rest = args[i:]
    skip = _SKIP_POSITIONAL.get(name, 0)
    if name == "timeout" or name == "flock":
        skip = 1 if rest else 0
    return rest[skip:]


def _flag_value(args: list[str], letter: str) -> str | None:
    """The value of `-c STR` also when clustered (`-lc STR`, `-xec STR`)."""
    for i, arg in enumerate(args):
        if re.fullmatch(rf"-[a-zA-Z]*{letter}[a-zA-Z]*", arg) and i + 1 < len(args):
            return args[i + 1]
        if not arg.startswith("-"):
            return None
    return None


def _find_exec(args: list[str]) -> list[list[str]]:
    roots = [a for a in args if not a.startswith("-") and a not in {"(", ")", "!"}][:1] or ["."]
    found: list[list[str]] = []
    i = 0
    while i < len(args):
        if args[i] in {"-exec", "-execdir", "-ok", "-okdir"}:
            end = i + 1
            while end < len(args) and args[end] not in {";", "+", "\\;"}:
                end += 1
            # GNU find replaces `{}` inside words too: `sh -c 'rm -rf {}'`.
            found.append([a.replace("{}", roots[0]) for a in args[i + 1 : end]])
            i = end
        i += 1
    return found


_CALL_SHELL = re.compile(
    r"(?:system|popen|exec|execSync|spawnSync|spawn|shell_exec|passthru|proc_open|pcntl_exec"
    r"|check_output|run|call|Popen|execute|capture2e?|capture3|popen3|getoutput)"
    r"\s*\(?\s*[\[(]?\s*(?:'([^']*)'|\"([^\"]*)\")((?:\s*,\s*\[?\s*(?:'[^']*'|\"[^\"]*\"))*)"
)
_QUOTED_COMMAND = re.compile(
    r"`([^`]+)`|\bqx\s*([{(\[<|/!])(.*?)[})\]>|/!]|%x\s*[{(\[]([^})\]]*)[})\]]"
    r"|(?:'([^']*)'|\"([^\"]*)\")\s*\|\s*getline|\|\s*(?:'([^']*)'|\"([^\"]*)\")",
    re.S,
)


def _embedded_shell(code: str) -> list[str]:
    """Shell commands a program runs: `system("...")`, `exec "..."`, `spawn('rm', ['-rf'])`,
    `` `...` ``, `qx{}`, `%x()`, awk's `"cmd" | getline` and `print | "cmd"`."""
    found: list[str] = []
    for match in _CALL_SHELL.finditer(code):
        head = match.group(1) if match.group(1) is not None else match.group(2)
        rest = re.findall(r"'([^']*)'|\"([^\"]*)\"", match.group(3) or "")
        found.append(" ".join([head, *(a or b for a, b in rest)]))
    for match in _QUOTED_COMMAND.finditer(code):
        groups = [g for i, g in enumerate(match.groups()) if g is not None and i != 1]
        found.extend(groups[:1])
    return found


def unwrap(argv: list[str]) -> Unwrapped:
    out = Unwrapped()
    queue = [argv]
    while queue and len(out.views) < 32:
        current = queue.pop()
        if not current:
            continue
        out.views.append(current)
        name, args = command_name(current[0]), current[1:]
        extra = hooked(name, args)
        out.hooked.extend(extra.scripts)
        queue.extend(extra.argvs)
        if name in ESCALATORS:
            out.escalation.append(name)
        if name == "find":
            queue.extend(_find_exec(args))
        elif name in SHELLS or (name == "su" or name == "runuser" or name == "script"):
            script = _flag_value(args, "c")
            if script is not None:
                out.scripts.append(script)
            elif name in SHELLS and (
                not args or _flag_value(args, "s") is not None or args[0] in {"-", "-s", "-i"}
            ):
                out.reads_stdin_code = True
            if name == "runuser":
                queue.append(_after_options(name, args))
        elif name == "eval":
            out.scripts.append(" ".join(args))
        elif name == "alias":  # the value runs whenever the alias is used
            out.scripts.extend(a.split("=", 1)[1] for a in args if "=" in a)
        elif name == "env" and "-S" in args:
            out.scripts.append(" ".join(args[args.index("-S") + 1 :]))
        elif name == "watch":
            out.scripts.append(" ".join(_after_options(name, args)))
        elif name == "flock" and "-c" in args:
            out.scripts.append(
                args[args.index("-c") + 1] if args.index("-c") + 1 < len(args) else ""
            )
        elif name == "command" and args[:1] and args[0] in {"-v", "-V"}:
            continue
        elif name in _PLAIN_WRAPPERS:
            queue.append(_after_options(name, args))
        elif _PYTHON.match(name):
            code = _flag_value(args, "c")
            if code is not None:
                out.code.append(("python", code))
            elif not args or args[0] == "-":
                out.reads_stdin_code = True
        elif name in _CODE_FLAGS:
            flags = _CODE_FLAGS[name]
            for i, arg in enumerate(args[:-1]):
                if arg in flags or (name == "perl" and re.fullmatch(r"-[a-zA-Z]*[eE]", arg)):
                    out.code.append((name, args[i + 1]))
            if not args or args[0] == "-":
                out.reads_stdin_code = True
        elif name in _AWKS:
            program = next((a for a in args if not a.startswith("-")), "")
            out.code.append(("awk", program))
    for _, program in out.code:
        out.hooked.extend(_embedded_shell(program))
    return out


def is_interpreter(name: str) -> bool:
    """Programs that run code they read (from stdin when given no file)."""
    return (
        name in SHELLS
        or bool(_PYTHON.match(name))
        or name in _CODE_FLAGS
        or name in {"source", "."}
    )
