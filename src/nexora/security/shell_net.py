"""Network rules: reverse shells, download-and-execute, exfiltration of files."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from nexora.security.shell_hooks import option_values
from nexora.security.shell_paths import Place
from nexora.security.shell_rules import View, rule
from nexora.security.verdict import Danger, Reason, approval, block, note

DOWNLOADERS = frozenset(
    {
        "curl",
        "wget",
        "fetch",
        "aria2c",
        "http",
        "https",
        "xh",
        "lwp-download",
        "lynx",
        "links",
        "ftp",
        "tftp",
    }
)
NET_TOOLS = frozenset({"nc", "ncat", "netcat", "socat", "telnet", "openssl", "cryptcat", "pwncat"})
_NC = {"nc", "ncat", "netcat", "cryptcat", "pwncat"}


@rule(*_NC)
def _netcat(view: View) -> Iterator[Reason]:
    args = view.args
    if any(
        a in {"-e", "-c", "--exec", "--sh-exec", "--lua-exec"} or re.fullmatch(r"-[a-zA-Z]*[ec]", a)
        for a in args
    ):
        yield block("shell.reverse_shell", f"{view.argv[0]} -e hands a shell to a network peer")
    elif any(re.fullmatch(r"-[a-zA-Z]*l[a-zA-Z]*", a) or a == "--listen" for a in args):
        yield approval(
            "shell.listener", f"{view.argv[0]} listens for network connections", Danger.HIGH
        )
    else:
        yield note("shell.raw_network", "opens a raw network connection", Danger.MEDIUM)


@rule("socat")
def _socat(view: View) -> Iterator[Reason]:
    lowered = [a.lower() for a in view.args]
    if any(a.startswith(("exec:", "system:")) or ",exec" in a for a in lowered):
        yield block("shell.reverse_shell", "socat exec: connects a program to a network peer")
    elif any("listen" in a for a in lowered):
        yield approval("shell.listener", "socat listens for network connections", Danger.HIGH)
    else:
        yield note("shell.raw_network", "opens a raw network connection", Danger.MEDIUM)


_UPLOAD_FLAGS = {
    "-d",
    "--data",
    "--data-binary",
    "--data-raw",
    "--data-urlencode",
    "--data-ascii",
    "-F",
    "--form",
    "--form-string",
    "-T",
    "--upload-file",
    "--json",
}


@rule("curl", "wget", "http", "xh")
def _upload(view: View) -> Iterator[Reason]:
    args = view.args
    sources: list[str] = []
    for flag, value in zip(args, [*args[1:], ""], strict=True):
        if flag in {"-T", "--upload-file"}:
            sources.append(value)
        elif flag in _UPLOAD_FLAGS and "@" in value:
            sources.append(value.rsplit("@", 1)[1])
        elif flag in {"-F", "--form"} and "=<" in value:
            sources.append(value.split("=<", 1)[1])
    sources += [
        a.split("=", 1)[1]
        for a in args
        if a.startswith(
            ("--post-file=", "--body-file=", "--upload-file=", "--data-binary=@", "--data=@")
        )
    ]
    sources = [s.lstrip("@") for s in sources if s and s != "-"]
    for source in sources:
        where = view.where(source)
        if where not in {Place.WORKSPACE, Place.TEMP}:
            yield approval(
                "shell.exfiltration",
                f"{view.argv[0]} uploads {source}, from outside the workspace",
                Danger.HIGH,
            )
    if sources:
        yield note("shell.upload", "sends files over the network", Danger.MEDIUM)
    else:
        yield note("shell.network", "makes network requests", Danger.LOW)


@rule("scp", "rsync", "sftp", "rclone")
def _copy_out(view: View) -> Iterator[Reason]:
    operands = [w for w, _ in view.operands()]
    remote = [w for w in operands if re.match(r"^([\w.-]+@)?[\w.-]+:", w) and not w.startswith("/")]
    if not remote:
        return
    for word in operands:
        if word not in remote and view.where(word) not in {Place.WORKSPACE, Place.TEMP}:
            yield approval(
                "shell.exfiltration",
                f"{view.argv[0]} copies {word} off the machine, from outside the workspace",
            )
    yield note("shell.remote_copy", "copies files to or from another machine", Danger.MEDIUM)


_SOCKET = re.compile(
    r"socket|TCPSocket|fsockopen|IO::Socket|net\.Socket|net\.connect|createConnection|/dev/tcp/",
    re.I,
)
_SPAWN = re.compile(
    r"dup2|pty\.spawn|subprocess|os\.exec|exec\s*\(|execSync|child_process|spawn|/bin/(ba)?sh|\bsh\s+-i|cmd\.exe|popen|system\s*\(|\bexec\b",
    re.I,
)
_FORK_LOOP = re.compile(
    r"fork\s+(while|until)\s+\S+|(while\s*\(?\s*(1|true|True)\s*\)?\s*:?|loop\s*(\{|do)"
    r"|for\s*\(\s*;\s*;\s*\))\s*\{?\s*([\w.]+\.)?fork\b",
    re.I,
)
_ENV_DUMP = re.compile(
    r"print\s*\(\s*(dict\()?os\.environ\s*\)?\s*\)|console\.log\(\s*process\.env\s*\)"
    r"|JSON\.stringify\(\s*process\.env|^\s*process\.env\s*;?\s*$|\bprint\s+%ENV|\bp\s+ENV\b"
    r"|ENV\.to_h|os\.environ\.copy\(\)|\benviron\b\s*\)\s*$|\bin\s+ENVIRON\b|\bkeys\s*%ENV"
    r"|\beach\s*%ENV|getenv\(\s*\)|(print_r|var_dump|var_export|json_encode)\s*\(\s*\$_(ENV|SERVER)",
    re.M,
)


def code_rules(language: str, code: str) -> Iterator[Reason]:
    """Language-independent backstops on an interpreter's program (`perl -e`, `node -e`, ...)."""
    if _SOCKET.search(code) and _SPAWN.search(code):
        yield block(
            "shell.reverse_shell", f"{language} program connects a socket to a shell or process"
        )
    if _FORK_LOOP.search(code):
        yield block("shell.fork_bomb", f"{language} program forks without end")
    if _ENV_DUMP.search(code):
        yield block(
            "shell.env_dump", f"{language} program prints the whole environment", Danger.HIGH
        )


_PYTHONS = ("python", "python2", "python3", *(f"python3.{n}" for n in range(6, 15)), "pypy3")
_SERVER_MODULES = {
    "http.server",
    "SimpleHTTPServer",
    "uploadserver",
    "pyftpdlib",
    "RangeHTTPServer",
}


def _served(view: View) -> str | None:
    """The folder a one-line file server publishes, `.` when it is the current one."""
    name, args = view.argv[0].rsplit("/", 1)[-1], view.args
    if name in _PYTHONS:
        if not any(a == "-m" and b in _SERVER_MODULES for a, b in itertools.pairwise(args)):
            return None
        return next(option_values(args, "-d", "--directory"), ".")
    if name == "php" and "-S" in args:
        return next(option_values(args, "-t", "--docroot"), ".")
    if name == "ruby" and any(a in {"-run", "-ehttpd"} for a in args):
        rest = [a for a in args if not a.startswith("-") and a != "httpd"]
        return rest[0] if rest else "."
    if name == "httpd" or name in {"http-server", "serve", "live-server"}:
        if name == "httpd" and "-h" not in args:
            return "."
        positional = [a for a in args if not a.startswith("-") and not a.isdigit()]
        return next(option_values(args, "-h"), positional[0] if positional else ".")
    return None


@rule(*_PYTHONS, "php", "ruby", "httpd", "http-server", "serve", "live-server")
def _file_server(view: View) -> Iterator[Reason]:
    folder = _served(view)
    if folder is None:
        return
    where = view.where(folder) if view.cwd.known or folder.startswith(("/", "~")) else None
    if where not in {Place.WORKSPACE, Place.TEMP}:
        yield approval(
            "shell.serve_files",
            f"{view.argv[0]} publishes {folder if folder != '.' else 'the current folder'} "
            "over HTTP, outside the workspace",
            Danger.HIGH,
        )
    else:
        yield note("shell.listener", "serves the workspace over HTTP", Danger.MEDIUM)


@rule("ssh", "ngrok", "cloudflared", "lt", "localtunnel", "bore", "frpc", "chisel", "autossh")
def _tunnel(view: View) -> Iterator[Reason]:
    name, args = view.argv[0].rsplit("/", 1)[-1], view.args
    opens = (
        name not in {"ssh", "autossh"}
        or any(a == "-R" or (a.startswith("-R") and len(a) > 2) for a in args)
        or any(re.fullmatch(r"-o\s*RemoteForward.*", a, re.I) for a in args)
    )
    if opens and not (name == "cloudflared" and "tunnel" not in args):
        yield approval(
            "shell.tunnel",
            f"{name} exposes a local port to another network through a tunnel",
            Danger.HIGH,
        )
