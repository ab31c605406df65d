"""What outlives the run: processes detached from it, services and timers it enables, and
files that make code run at the next login, boot or commit (shell start-up files, autostart
entries, git hooks, authorized keys)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from nexora.security.shell_rules import View, rule
from nexora.security.verdict import Danger, Reason, approval


@rule("nohup", "setsid", "disown", "daemonize", "start-stop-daemon")
def _detach(view: View) -> Iterator[Reason]:
    yield approval(
        "shell.detached",
        f"{view.argv[0]} starts a process that outlives the run and its time limit",
        Danger.MEDIUM,
    )


@rule("screen", "tmux")
def _terminal_session(view: View) -> Iterator[Reason]:
    detached = any(re.fullmatch(r"-[a-zA-Z]*d[a-zA-Z]*", a) for a in view.args)
    if view.argv[0].endswith("tmux") and any(
        a in {"new-session", "new", "run-shell", "run"} for a in view.args
    ):
        detached = detached or "run" in view.args or "run-shell" in view.args
    if detached:
        yield approval(
            "shell.detached", f"{view.argv[0]} runs a session that outlives the run", Danger.MEDIUM
        )


@rule("systemctl", "systemd-run", "loginctl")
def _services(view: View) -> Iterator[Reason]:
    name, args = view.argv[0].rsplit("/", 1)[-1], view.args
    lasting = (
        name == "systemd-run"
        or (name == "loginctl" and "enable-linger" in args)
        or (
            name == "systemctl"
            and any(
                a in {"enable", "link", "edit", "preset", "set-property", "revert"} for a in args
            )
        )
    )
    if lasting:
        yield approval(
            "shell.persistence",
            f"{name} {' '.join(args)} makes a service or timer that outlives the run",
            Danger.HIGH,
        )
