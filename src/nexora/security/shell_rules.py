"""Rules on one command (after unwrapping): what it deletes, writes, escalates or disables.

Each finding has a stable rule id. `block` is for what no one should approve (wiping the
system, disabling its defences, dumping secrets); `approval` for what a human may allow.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from nexora.security.file_guard import FileGuard
from nexora.security.shell_paths import Cwd, Place, absolute, persistence_target, place
from nexora.security.verdict import Danger, Reason, approval, block, note


@dataclass(slots=True)
class View:
    """One command to judge: its argv, which words are unresolved, and where it runs."""

    argv: list[str]
    dynamic: list[bool]
    files: FileGuard
    cwd: Cwd

    @property
    def args(self) -> list[str]:
        return self.argv[1:]

    def operands(self) -> list[tuple[str, bool]]:
        """Non-option arguments with their `dynamic` flag (everything after `--` counts)."""
        found, options_done = [], False
        for i, arg in enumerate(self.argv[1:], start=1):
            if arg == "--" and not options_done:
                options_done = True
                continue
            if options_done or not arg.startswith("-") or arg == "-":
                found.append((arg, self.dynamic[i] if i < len(self.dynamic) else False))
        return found

    def where(self, word: str, dynamic: bool = False) -> Place:
        return place(word, self.files, self.cwd, dynamic=dynamic)

    def has_flag(self, short: str = "", long: tuple[str, ...] = ()) -> bool:
        for arg in self.args:
            if arg in long:
                return True
            if short and re.fullmatch(r"-[a-zA-Z]+", arg) and any(c in arg[1:] for c in short):
                return True
        return False


Rule = Callable[[View], Iterator[Reason]]
RULES: dict[str, list[Rule]] = {}


def rule(*names: str) -> Callable[[Rule], Rule]:
    def register(func: Rule) -> Rule:
        for name in names:
            RULES.setdefault(name, []).append(func)
        return func

    return register


_GONE = {Place.ROOT, Place.HOME, Place.SYSTEM, Place.DEVICE}


@rule("rm", "rmdir", "unlink", "shred", "srm", "wipe", "rimraf", "del-cli", "trash", "trash-put")
def _delete(view: View) -> Iterator[Reason]:
    recursive = view.has_flag("rR", ("--recursive",)) or view.argv[0].endswith(
        ("shred", "wipe", "srm", "rimraf", "del-cli", "trash", "trash-put")
    )
    if "--no-preserve-root" in view.args:
        yield block("shell.rm_root", "rm --no-preserve-root deletes the whole system")
        return
    for word, dynamic in view.operands():
        where = view.where(word, dynamic)
        if where in _GONE:
            yield block("shell.destructive_delete", f"deletes {word} ({where.value})")
        elif where is Place.UNKNOWN and recursive:
            yield approval(
                "shell.delete_unresolved",
                f"recursive delete of {word}, whose value is only known at run time",
            )
        elif where is Place.OUTSIDE:
            yield approval("shell.delete_outside", f"deletes {word}, outside the workspace")
    yield note("shell.delete", "deletes files", Danger.MEDIUM)


@rule("find")
def _find_delete(view: View) -> Iterator[Reason]:
    if "-delete" not in view.args:
        return
    roots = [a for a in view.args if not a.startswith("-") and a not in {"(", ")", "!"}][:1] or [
        "."
    ]
    where = view.where(roots[0])
    if where in _GONE:
        yield block(
            "shell.destructive_delete", f"find {roots[0]} -delete deletes system or home files"
        )
    elif where in {Place.OUTSIDE, Place.UNKNOWN}:
        yield approval("shell.delete_outside", f"find {roots[0]} -delete, outside the workspace")
    yield note("shell.delete", "deletes files", Danger.MEDIUM)


_MODIFIERS = {
    "mv": "all", "cp": "last", "install": "last", "ln": "last", "rsync": "last", "tee": "all",
    "touch": "all", "mkdir": "all", "truncate": "all", "chattr": "all", "patch": "all",
    "sed": "sed", "perl": "sed", "split": "none", "setfacl": "all",
}  # fmt: skip


@rule(*_MODIFIERS)
def _modify(view: View) -> Iterator[Reason]:
    mode = _MODIFIERS.get(view.argv[0].rsplit("/", 1)[-1], "none")
    if mode == "sed" and not any(
        a.startswith(("-i", "--in-place")) or re.fullmatch(r"-[a-zA-Z]*i", a) for a in view.args
    ):
        return
    operands = view.operands()
    if mode == "sed":
        operands = operands[1:] if not any(a in {"-e", "-f"} for a in view.args) else operands
    targets = operands[-1:] if mode == "last" else operands
    yield from write_targets(view, targets)


def write_targets(view: View, targets: list[tuple[str, bool]]) -> Iterator[Reason]:
    for word, dynamic in targets:
        where = view.where(word, dynamic)
        lasting = (
            None if dynamic else persistence_target(absolute(word, view.files, view.cwd).as_posix())
        )
        if lasting is not None:
            yield lasting
        if where in {Place.SYSTEM, Place.ROOT, Place.DEVICE}:
            yield block("shell.system_write", f"{view.argv[0]} writes {word}, a system path")
        elif where in {Place.OUTSIDE, Place.HOME}:
            yield approval(
                "shell.write_outside",
                f"{view.argv[0]} writes {word}, outside the workspace",
                Danger.MEDIUM,
            )


@rule("ln")
def _link(view: View) -> Iterator[Reason]:
    """`ln -s /etc/passwd p; echo x >> p`: later writes through the link land on the target,
    which the guard cannot see once the name is an innocent one in the workspace."""
    operands = view.operands()
    if len(operands) < 2:
        return
    for word, dynamic in operands[:-1]:
        where = view.where(word, dynamic)
        target = absolute(word, view.files, view.cwd).as_posix()
        if where in {Place.ROOT, Place.HOME, Place.DEVICE} or target.startswith(_LINK_GUARDED):
            yield approval(
                "shell.link_outside",
                f"links {operands[-1][0]} to {word}; writes through it change that file",
            )


_LINK_GUARDED = ("/etc/", "/boot/", "/root/", "/var/spool/", "/proc/", "/sys/", "/usr/")


@rule("dd")
def _dd(view: View) -> Iterator[Reason]:
    for arg in view.args:
        key, _, value = arg.partition("=")
        where = view.where(value) if value else None
        if key == "of" and where in {Place.DEVICE, Place.SYSTEM, Place.ROOT}:
            yield block("shell.device_write", f"dd writes {value}")
        elif key == "of" and where is Place.OUTSIDE:
            yield approval("shell.write_outside", f"dd writes {value}, outside the workspace")
        elif key == "if" and where is Place.DEVICE:
            yield approval("shell.device_read", f"dd reads the raw device {value}")


_DISK_TOOLS = re.compile(
    r"^(mkfs(\..+)?|mke2fs|mkswap|fdisk|sfdisk|cfdisk|parted|gdisk|sgdisk|wipefs|blkdiscard|hdparm|badblocks|cryptsetup|lvremove|vgremove|pvremove|zpool|format)$"
)


def disk_tool(view: View) -> Iterator[Reason]:
    if _DISK_TOOLS.match(view.argv[0].rsplit("/", 1)[-1]) and not view.has_flag(
        "l", ("--list", "-h", "--help")
    ):
        yield block("shell.disk_format", f"{view.argv[0]} formats or repartitions disks")


@rule("install")
def _install_mode(view: View) -> Iterator[Reason]:
    modes = [b for a, b in zip(view.args, view.args[1:], strict=False) if a in {"-m", "--mode"}]
    modes += [a.split("=", 1)[1] for a in view.args if a.startswith("--mode=")]
    if any(_SETUID.search(m) for m in modes):
        yield approval("shell.setuid", "install -m sets the setuid/setgid bit", Danger.CRITICAL)


_SETUID = re.compile(r"(^|[,ugoa])[ugoa]*[+=][^,]*s|^[0-7]?[2-7][0-7]{3}$")


@rule("chmod", "chown", "chgrp")
def _permissions(view: View) -> Iterator[Reason]:
    recursive = view.has_flag("R", ("--recursive",))
    operands = view.operands()
    mode = operands[0][0] if operands else ""
    if view.argv[0].endswith("chmod") and _SETUID.search(mode):
        yield approval("shell.setuid", f"chmod {mode} sets the setuid/setgid bit", Danger.CRITICAL)
    for word, dynamic in operands[1:]:
        where = view.where(word, dynamic)
        if where in {Place.SYSTEM, Place.ROOT, Place.DEVICE} or (where is Place.HOME and recursive):
            yield block("shell.system_permissions", f"{view.argv[0]} changes {word}, a system path")
        elif where in {Place.OUTSIDE, Place.HOME}:
            yield approval(
                "shell.permissions_outside",
                f"{view.argv[0]} changes {word}, outside the workspace",
                Danger.MEDIUM,
            )
    if view.argv[0].endswith(("chown", "chgrp")):
        yield note("shell.chown", "changes file ownership", Danger.MEDIUM)


@rule("sudo", "su", "doas", "pkexec", "runuser", "sg", "nsenter", "chroot", "capsh", "setpriv")
def _escalate(view: View) -> Iterator[Reason]:
    yield approval(
        "shell.privilege", f"{view.argv[0]} runs a command with other privileges", Danger.CRITICAL
    )


@rule(
    "setcap",
    "visudo",
    "useradd",
    "userdel",
    "usermod",
    "adduser",
    "deluser",
    "passwd",
    "chpasswd",
    "groupadd",
    "gpasswd",
    "newgrp",
)
def _accounts(view: View) -> Iterator[Reason]:
    yield approval(
        "shell.privilege", f"{view.argv[0]} changes users, groups or capabilities", Danger.CRITICAL
    )


_SECURITY_SERVICES = re.compile(
    r"^(firewalld|ufw|apparmor|auditd|selinux|fail2ban|iptables|ip6tables|nftables|clamav.*|falcon-sensor|osqueryd|wazuh.*|crowdstrike.*|sshguard)(\.service)?$"
)


@rule(
    "setenforce",
    "ufw",
    "iptables",
    "ip6tables",
    "nft",
    "systemctl",
    "service",
    "aa-teardown",
    "aa-complain",
    "aa-disable",
    "auditctl",
    "spctl",
    "csrutil",
)
def _security(view: View) -> Iterator[Reason]:
    name, args = view.argv[0].rsplit("/", 1)[-1], view.args
    disabled = (
        (name == "setenforce" and args[:1] in (["0"], ["permissive"], ["Permissive"]))
        or (name == "ufw" and args[:1] in (["disable"], ["reset"]))
        or (
            name in {"iptables", "ip6tables"}
            and any(
                a in {"-F", "--flush", "-X", "--delete-chain"} or (a == "-P" and "ACCEPT" in args)
                for a in args
            )
        )
        or (name == "nft" and "flush" in args)
        or (name in {"aa-teardown", "aa-disable", "aa-complain"})
        or (name == "auditctl" and (any(a == "-D" for a in args) or args[:2] == ["-e", "0"]))
        or (
            name in {"spctl", "csrutil"} and any(a in {"--master-disable", "disable"} for a in args)
        )
        or (
            name == "systemctl"
            and any(a in {"stop", "disable", "mask", "kill"} for a in args)
            and any(_SECURITY_SERVICES.match(a) for a in args)
        )
        or (
            name == "service"
            and len(args) >= 2
            and bool(_SECURITY_SERVICES.match(args[0]))
            and args[1] in {"stop", "teardown", "disable"}
        )
    )
    if disabled:
        yield block("shell.disable_security", f"{' '.join(view.argv)} turns off a security control")
    elif name in {"systemctl", "service"} and any(
        a in {"stop", "disable", "mask", "restart", "kill", "isolate"} for a in args
    ):
        yield approval("shell.service_control", f"{name} changes a system service", Danger.HIGH)
    elif (
        name in {"iptables", "ip6tables", "nft", "ufw"}
        and args
        and not view.has_flag("L", ("--list", "status", "list"))
        and args[0] not in {"status", "list"}
    ):
        yield approval("shell.firewall_change", f"{name} changes the firewall")
    if name == "systemctl" and any(
        a in {"poweroff", "reboot", "halt", "kexec", "suspend", "hibernate"} for a in args
    ):
        yield block("shell.power", "powers off or restarts the machine")


@rule("shutdown", "reboot", "halt", "poweroff", "init", "telinit")
def _power(view: View) -> Iterator[Reason]:
    if view.argv[0].endswith(("init", "telinit")) and view.args[:1] not in (["0"], ["6"]):
        return
    yield block("shell.power", f"{view.argv[0]} powers off or restarts the machine")


@rule("history", "set", "shopt")
def _history(view: View) -> Iterator[Reason]:
    name, args = view.argv[0], view.args
    off = (
        (name == "history" and view.has_flag("cdw", ()))
        or (name == "set" and "history" in args and any(a.startswith("+") for a in args))
        or (name == "shopt" and "history" in args and view.has_flag("u", ()))
    )
    if off:
        yield approval("shell.history_tamper", "clears or turns off the shell history", Danger.HIGH)


@rule("journalctl")
def _journal(view: View) -> Iterator[Reason]:
    if any(a.startswith(("--vacuum", "--rotate", "--flush")) for a in view.args):
        yield block("shell.log_tamper", "deletes or rotates away the system journal")


@rule("env", "printenv", "set", "export", "declare", "typeset", "compgen", "ps")
def _environment(view: View) -> Iterator[Reason]:
    name, args = view.argv[0].rsplit("/", 1)[-1], view.args
    dumps = (
        (name in {"env", "printenv"} and all(a.startswith("-") for a in args))
        or (name == "set" and not args)
        or (
            name in {"export", "declare", "typeset"}
            and (not args or all(re.fullmatch(r"-[a-zA-Z]*[px][a-zA-Z]*", a) for a in args))
        )
        or (name == "compgen" and any(a in {"-v", "-e", "-A"} for a in args))
        # BSD-style `ps e` (no dash) adds every process's environment; `ps -e` is harmless.
        or (name == "ps" and any(re.fullmatch(r"[a-zA-Z]*e[a-zA-Z]*", a) for a in args))
    )
    if dumps:
        yield block(
            "shell.env_dump",
            f"`{' '.join(view.argv)}` prints the environment, which holds API keys and tokens",
            Danger.HIGH,
        )


_SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?|PRIVATE)(_|$)")


@rule("echo", "printf", "printenv")
def _secret_print(view: View) -> Iterator[Reason]:
    """`echo $AWS_SECRET_ACCESS_KEY` puts a credential in the transcript and the model."""
    names = [m.group(1) for a in view.args for m in re.finditer(r"\$\{?([A-Z][A-Z0-9_]*)", a)]
    if view.argv[0].endswith("printenv"):
        names = [a for a in view.args if not a.startswith("-")]
    secret = [n for n in names if _SECRET_NAME.search(n)]
    if secret:
        yield approval(
            "shell.secret_print", f"prints {secret[0]}, which holds a credential", Danger.HIGH
        )


@rule("kill", "pkill", "killall", "skill", "xkill", "killall5")
def _kill(view: View) -> Iterator[Reason]:
    args = view.args
    if view.argv[0].endswith("killall5"):
        yield block("shell.kill_all", "killall5 signals every process on the machine")
        return
    if args[:1] in (["-s"], ["-n"]):
        args = args[2:]
    elif len(args) > 1 and re.fullmatch(r"-(\d+|[A-Z]+\d*|SIG\w+)", args[0]):
        args = args[1:]
    targets = [a for a in args if not a.startswith("%") and a != "--"]
    if view.argv[0].rsplit("/", 1)[-1] == "kill":
        if any(t in {"1", "-1", "0"} for t in targets):
            yield block("shell.kill_all", "kills init or every process")
            return
        if not targets or all(t.startswith("-") for t in targets):
            return
    yield approval("shell.kill", f"{view.argv[0]} stops processes", Danger.MEDIUM)


@rule("crontab", "at", "launchctl")
def _persistence(view: View) -> Iterator[Reason]:
    if view.argv[0].endswith("crontab") and view.args[:1] == ["-l"]:
        return
    yield approval(
        "shell.persistence", f"{view.argv[0]} schedules or removes jobs that outlive the run"
    )


@rule("mount", "umount", "insmod", "rmmod", "modprobe", "sysctl", "swapoff", "kexec")
def _kernel(view: View) -> Iterator[Reason]:
    if view.argv[0].endswith("sysctl") and not any(a == "-w" or "=" in a for a in view.args):
        return
    if view.argv[0].endswith("mount") and not view.args:
        return
    yield approval("shell.kernel", f"{view.argv[0]} changes mounts or the kernel", Danger.CRITICAL)
