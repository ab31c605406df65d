"""Options and settings that make an ordinary tool run a command: `git -c core.pager=CMD`,
`tar --to-command=CMD`, `rsync -e CMD`, `ssh -o ProxyCommand=CMD`, `vim -c '!CMD'`,
`sed 's/x/CMD/e'`, `parallel CMD ::: ...` and the like (the GTFOBins catalogue).

Each hook gives back the shell text or argv the tool will run, so the guard judges it as if
typed; `unwrap` collects them with the other wrappers.
"""

from __future__ import annotations

import itertools
import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field


@dataclass(slots=True)
class Hooked:
    scripts: list[str] = field(default_factory=list)  # shell text the tool runs
    argvs: list[list[str]] = field(default_factory=list)  # programs it runs, as argv


Hook = Callable[[list[str], Hooked], None]
HOOKS: dict[str, Hook] = {}


def hook(*names: str) -> Callable[[Hook], Hook]:
    def register(func: Hook) -> Hook:
        for name in names:
            HOOKS[name] = func
        return func

    return register


def hooked(name: str, args: list[str]) -> Hooked:
    """What `name args...` runs through its own options, beyond itself."""
    found = Hooked()
    handler = HOOKS.get(name)
    if handler is not None:
        handler(args, found)
    return found


def option_values(args: list[str], *names: str) -> Iterator[str]:
    """Values of `--opt VALUE`, `--opt=VALUE` and `-oVALUE` (single-letter options)."""
    for i, arg in enumerate(args):
        for name in names:
            if arg == name and i + 1 < len(args):
                yield args[i + 1]
            elif name.startswith("--") and arg.startswith(name + "="):
                yield arg[len(name) + 1 :]
            elif len(name) == 2 and arg.startswith(name) and len(arg) > 2:
                yield arg[2:]


# Settings whose value git runs as a shell command (git-config(1)).
_GIT_COMMAND_KEYS = re.compile(
    r"^(core\.(pager|editor|sshcommand|askpass|fsmonitor)|pager\..+|sequence\.editor"
    r"|diff\.external|diff\..+\.(textconv|command)|merge\..+\.driver"
    r"|filter\..+\.(clean|smudge|process)|gpg(\..+)?\.program|uploadpack\.packobjectshook"
    r"|web\.browser|browser\..+\.cmd|man\..+\.cmd|sendemail\.(tocmd|cccmd|smtpserver))$",
    re.I,
)
_GIT_EXEC_OPTIONS = (
    "--exec", "--extcmd", "--upload-pack", "--receive-pack", "--tree-filter",
    "--index-filter", "--msg-filter", "--commit-filter", "--env-filter", "--parent-filter",
    "--tag-name-filter",
)  # fmt: skip


def git_setting(key: str, value: str, found: Hooked) -> None:
    """One `key=value` of git configuration: a shell alias or a command-valued key."""
    lowered = key.lower()
    if lowered.startswith(("alias.", "credential.")) and value.startswith("!"):
        found.scripts.append(value[1:])
    elif _GIT_COMMAND_KEYS.match(lowered) and value.lower() not in {"true", "false", ""}:
        found.scripts.append(value)


@hook("git")
def _git(args: list[str], found: Hooked) -> None:
    for setting in option_values(args, "-c"):
        key, _, value = setting.partition("=")
        git_setting(key, value, found)
    words = [a for a in args if not a.startswith("-")]
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] in {"-C", "-c", "--git-dir", "--work-tree", "--namespace"} else 1
    sub = args[i] if i < len(args) else ""
    if sub == "config":
        values = words[words.index("config") + 1 :]
        for key, value in itertools.pairwise(values):
            git_setting(key, value, found)
    found.scripts.extend(option_values(args, *_GIT_EXEC_OPTIONS))
    if sub in {"rebase", "difftool", "mergetool"}:
        found.scripts.extend(option_values(args, "-x"))
    if sub == "bisect" and "run" in args:
        found.argvs.append(args[args.index("run") + 1 :])
    if sub == "submodule" and "foreach" in args:
        rest = [a for a in args[args.index("foreach") + 1 :] if a != "--recursive"]
        found.scripts.append(" ".join(rest))


@hook("tar", "bsdtar", "gtar")
def _tar(args: list[str], found: Hooked) -> None:
    found.scripts.extend(
        option_values(
            args,
            "--to-command",
            "--use-compress-program",
            "-I",
            "--rsh-command",
            "--info-script",
            "--new-volume-script",
            "-F",
        )
    )
    for action in option_values(args, "--checkpoint-action"):
        if action.startswith("exec="):
            found.scripts.append(action[5:])


@hook("rsync")
def _rsync(args: list[str], found: Hooked) -> None:
    found.scripts.extend(option_values(args, "-e", "--rsh", "--rsync-path"))


_SSH_COMMAND_OPTIONS = {"proxycommand", "localcommand", "knownhostscommand"}
_SSH_VALUE_OPTIONS = frozenset("BbcDEeFIiJLlmOopQRSWw")


def _ssh_options(args: list[str], found: Hooked) -> None:
    for setting in option_values(args, "-o"):
        key, _, value = setting.replace("=", " ", 1).partition(" ")
        if key.lower() in _SSH_COMMAND_OPTIONS:
            found.scripts.append(value.strip())


@hook("ssh")
def _ssh(args: list[str], found: Hooked) -> None:
    """Proxy commands run here; the remote command runs on the other machine, and is judged
    all the same: deleting a server's files is no better than deleting these."""
    _ssh_options(args, found)
    i = 0
    while i < len(args) and args[i].startswith("-"):
        flag = args[i]
        i += 2 if len(flag) == 2 and flag[1] in _SSH_VALUE_OPTIONS else 1
    if i + 1 < len(args):
        found.scripts.append(" ".join(args[i + 1 :]))


@hook("scp", "sftp")
def _scp(args: list[str], found: Hooked) -> None:
    _ssh_options(args, found)
    found.argvs.extend([program] for program in option_values(args, "-S"))


_EDITOR_SHELL = re.compile(r"^\s*:*\s*!(.*)$", re.S)
_EDITOR_ESCAPE = re.compile(
    r"\b(sh(ell)?|term(inal)?)\s*$|system\s*\(|^\s*:*\s*(py|python3?|py3|lua|perl|ruby)\b"
)


@hook("vim", "vi", "nvim", "ex", "view", "vimdiff", "gvim", "rvim", "evim")
def _vim(args: list[str], found: Hooked) -> None:
    commands = [*option_values(args, "-c", "--cmd"), *(a[1:] for a in args if a.startswith("+"))]
    for command in dict.fromkeys(commands):
        match = _EDITOR_SHELL.match(command)
        if match:
            found.scripts.append(match.group(1) or "sh")
        elif _EDITOR_ESCAPE.search(command):
            found.scripts.append("sh")  # `:shell`, `:terminal`, `:py ...`: as good as a shell


@hook("man")
def _man(args: list[str], found: Hooked) -> None:
    found.scripts.extend(option_values(args, "-P", "--pager", "-H", "--html"))


@hook("gdb")
def _gdb(args: list[str], found: Hooked) -> None:
    for command in option_values(args, "-ex", "--eval-command", "-iex", "--init-eval-command"):
        match = re.match(r"^\s*(?:!|shell\s+)(.*)$", command, re.S)
        if match:
            found.scripts.append(match.group(1) or "sh")
        elif re.match(r"^\s*(python|pi|call|print)\b", command):
            found.scripts.append("sh")  # code inside the debugger: as good as a shell


@hook("zip")
def _zip(args: list[str], found: Hooked) -> None:
    found.scripts.extend(option_values(args, "-TT", "--unzip-command"))


_CLIENT_SHELL = re.compile(r"^\s*(?:\.shell|\.system|\\!|system)\s+(.*)$", re.S)


@hook("sqlite3", "psql", "mysql", "mariadb")
def _database_client(args: list[str], found: Hooked) -> None:
    """`.shell CMD` (sqlite3), `\\! CMD` (psql, mysql) run a shell command."""
    for arg in args:
        for statement in re.split(r"[;\n]", arg):
            match = _CLIENT_SHELL.match(statement)
            if match:
                found.scripts.append(match.group(1))


@hook("screen")
def _screen(args: list[str], found: Hooked) -> None:
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] in {"-S", "-c", "-h", "-p", "-t", "-T", "-e", "-Logfile"} else 1
    if i < len(args):
        found.argvs.append(args[i:])


@hook("tmux")
def _tmux(args: list[str], found: Hooked) -> None:
    commands = {"new-session", "new", "new-window", "neww", "split-window", "splitw",
                "respawn-pane", "respawnp", "run-shell", "run", "send-keys", "send"}  # fmt: skip
    sub = next((i for i, a in enumerate(args) if a in commands), None)
    if sub is None:
        return
    rest, i = args[sub + 1 :], 0
    while i < len(rest) and rest[i].startswith("-"):
        i += 2 if re.fullmatch(r"-[a-zA-Z]*[nstcFeElxyp]", rest[i]) else 1
    if i < len(rest):
        found.scripts.append(" ".join(w for w in rest[i:] if w not in {"Enter", "C-m"}))


@hook("parallel")
def _parallel(args: list[str], found: Hooked) -> None:
    if ":::" not in args:
        return
    split = args.index(":::")
    template = [a for a in args[:split] if not a.startswith("-")]
    inputs = [a for a in args[split + 1 :] if a not in {":::", "::::"}][:16]
    for item in inputs:
        if template:
            line = " ".join(template)
            found.scripts.append(line.replace("{}", item) if "{}" in line else f"{line} {item}")
        else:
            found.scripts.append(item)


@hook("npx", "bunx", "pnpx", "uvx")
def _package_runner(args: list[str], found: Hooked) -> None:
    found.scripts.extend(option_values(args, "-c", "--call"))
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] in {"-p", "--package", "--from", "--with"} else 1
    if i < len(args):
        found.argvs.append(args[i:])


@hook("npm", "pnpm", "yarn")
def _package_exec(args: list[str], found: Hooked) -> None:
    sub = next((a for a in args if not a.startswith("-")), "")
    if sub in {"exec", "dlx", "x"}:
        _package_runner(args[args.index(sub) + 1 :], found)


@hook("pipx")
def _pipx(args: list[str], found: Hooked) -> None:
    if args[:1] == ["run"]:
        _package_runner(args[1:], found)


@hook("systemd-run")
def _systemd_run(args: list[str], found: Hooked) -> None:
    takes_value = {"-u", "--unit", "-p", "--property", "-E", "--setenv", "--slice", "-M",
                   "--machine", "-H", "--host", "--on-active", "--on-boot", "--on-calendar",
                   "--on-unit-active", "--description", "--uid", "--gid", "--nice",
                   "--working-directory", "--timer-property", "--path-property"}  # fmt: skip
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 1 if "=" in args[i] or args[i] not in takes_value else 2
    if i < len(args):
        found.argvs.append(args[i:])


def sed_commands(script: str) -> list[str]:
    """Shell commands a sed script runs: the `e CMD` command and the `s///e` flag (which
    runs the replacement; judged as the best guess of the pattern space)."""
    found: list[str] = []
    for statement in re.split(r"[;\n]", script):
        statement = re.sub(r"^\s*(\d+|\$|/[^/]*/)?(,(\d+|\$|/[^/]*/))?\s*!?\s*", "", statement)
        if re.match(r"^e(\s|$)", statement):
            found.append(statement[1:].strip() or "sh")
            continue
        match = re.match(r"^s(.)", statement)
        if not match:
            continue
        delimiter = re.escape(match.group(1))
        part = rf"((?:\\.|[^\\{delimiter}])*)"
        full = re.match(rf"^s{delimiter}{part}{delimiter}{part}{delimiter}(\w*)", statement)
        if full and "e" in full.group(3):
            found.append(full.group(2).replace("\\" + match.group(1), match.group(1)) or "sh")
    return found


@hook("sed", "gsed")
def _sed(args: list[str], found: Hooked) -> None:
    scripts = list(option_values(args, "-e", "--expression"))
    if not scripts:
        operands = [a for a in args if not a.startswith("-")]
        scripts = operands[:1]
    for script in scripts:
        found.scripts.extend(sed_commands(script))


_BARE = re.compile(r"^-[a-zA-Z]*$|^-$")


def is_bare_interpreter(script: str, interpreters: Callable[[str], bool]) -> bool:
    """`sh`, `/bin/bash -i`, `python3`: a program that hands over a prompt, no script."""
    try:
        words = shlex.split(script)
    except ValueError:
        return False
    if not words:
        return False
    name = words[0].rsplit("/", 1)[-1]
    return interpreters(name) and all(_BARE.match(w) and "c" not in w for w in words[1:])


# Environment variables whose value a program runs as a command.
COMMAND_VARIABLES = frozenset(
    {"GIT_SSH_COMMAND", "GIT_SSH", "GIT_PAGER", "GIT_EDITOR", "GIT_EXTERNAL_DIFF",
     "GIT_ASKPASS", "SSH_ASKPASS", "PAGER", "MANPAGER", "EDITOR", "VISUAL", "BROWSER",
     "LESSOPEN", "LESSCLOSE", "GIT_SEQUENCE_EDITOR", "SUDO_ASKPASS"}
)  # fmt: skip


def variable_scripts(assignments: dict[str, str]) -> list[str]:
    """`GIT_SSH_COMMAND='sh -c ...' git fetch`: the commands such variables will run."""
    return [
        value.lstrip("|").replace("%s", "file")
        for name, value in assignments.items()
        if name in COMMAND_VARIABLES and value.strip()
    ]
