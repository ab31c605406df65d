"""Everyday developer tools with a dangerous corner: system-wide installs, force pushes,
privileged containers. The ordinary use passes with a danger level; the corner needs a human."""

from __future__ import annotations

import re
from collections.abc import Iterator

from nexora.security.shell_hooks import option_values
from nexora.security.shell_paths import Place
from nexora.security.shell_rules import View, rule
from nexora.security.verdict import Danger, Reason, approval, note

_SYSTEM_PACKAGERS = {
    "apt",
    "apt-get",
    "aptitude",
    "yum",
    "dnf",
    "zypper",
    "pacman",
    "apk",
    "snap",
    "emerge",
    "port",
    "rpm",
    "dpkg",
    "flatpak",
}
_CHANGES = {
    "install",
    "remove",
    "purge",
    "erase",
    "upgrade",
    "dist-upgrade",
    "full-upgrade",
    "autoremove",
    "reinstall",
    "add",
    "del",
    "-S",
    "-R",
    "-U",
    "-i",
    "-r",
    "-e",
    "-P",
    "--install",
    "--remove",
    "--purge",
    "localinstall",
}


@rule(*_SYSTEM_PACKAGERS)
def _system_packages(view: View) -> Iterator[Reason]:
    if any(a in _CHANGES or re.fullmatch(r"-[SRU][a-z]*", a) for a in view.args):
        yield approval("shell.system_package", f"{view.argv[0]} changes the system's packages")


@rule("pip", "pip3", "uv", "pipx", "poetry", "conda", "mamba")
def _python_packages(view: View) -> Iterator[Reason]:
    if "--break-system-packages" in view.args:
        yield approval(
            "shell.system_package", "pip install --break-system-packages changes the system Python"
        )
    elif any(a in {"install", "add", "uninstall", "remove", "sync"} for a in view.args):
        yield note(
            "shell.package_install", "installs packages (runs their install scripts)", Danger.MEDIUM
        )


@rule("npm", "yarn", "pnpm", "bun", "gem", "cargo", "go", "brew", "composer")
def _language_packages(view: View) -> Iterator[Reason]:
    args = view.args
    if any(a in {"-g", "--global", "global"} for a in args) and any(
        a in {"install", "i", "add", "remove", "uninstall", "link"} for a in args
    ):
        yield approval(
            "shell.system_package", f"{view.argv[0]} installs packages for the whole system"
        )
    elif any(a in {"install", "i", "add", "ci", "update", "upgrade"} for a in args):
        yield note(
            "shell.package_install", "installs packages (runs their install scripts)", Danger.MEDIUM
        )
    elif args[:1] in (["run"], ["test"], ["build"], ["exec"], ["x"], ["dlx"]):
        yield note("shell.run_project_code", "runs the project's scripts", Danger.LOW)


_GIT_VALUE_OPTIONS = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace"})


def git_subcommand(args: list[str]) -> str:
    """`git -C dir -c k=v clean`: the subcommand after the global options and their values."""
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] in _GIT_VALUE_OPTIONS else 1
    return args[i] if i < len(args) else ""


@rule("git")
def _git(view: View) -> Iterator[Reason]:
    args = view.args
    sub = git_subcommand(args)
    if sub == "push":
        forced = any(
            a in {"-f", "--force", "--mirror", "--prune"} or re.fullmatch(r"\+\S+", a) for a in args
        )
        if forced or ("--delete" in args or "-d" in args):
            yield approval(
                "shell.git_force_push",
                "git push --force/--delete rewrites or removes remote history",
            )
        else:
            yield note("shell.git_push", "publishes commits", Danger.MEDIUM)
    elif sub in {
        "reset",
        "clean",
        "checkout",
        "restore",
        "rebase",
        "filter-branch",
        "stash",
    } and any(a in {"--hard", "-f", "-fd", "-fdx", "-xdf", "--force", "."} for a in args):
        yield note("shell.git_discard", "discards local changes", Danger.MEDIUM)
        elsewhere = [
            d
            for d in option_values(args, "-C", "--work-tree", "--git-dir")
            if view.where(d) not in {Place.WORKSPACE, Place.TEMP}
        ]
        if elsewhere:
            yield approval(
                "shell.delete_outside",
                f"git {sub} discards files in {elsewhere[0]}, outside the workspace",
            )
    elif sub in {
        "commit",
        "merge",
        "pull",
        "fetch",
        "clone",
        "add",
        "tag",
        "branch",
        "switch",
        "checkout",
        "cherry-pick",
        "revert",
        "rebase",
        "am",
        "apply",
        "submodule",
    }:
        yield note("shell.git_change", "changes the repository", Danger.LOW)
    if (
        sub == "config"
        and any(a in {"--global", "--system"} for a in args)
        and len([a for a in args if not a.startswith("-")]) > 2
    ):
        yield approval(
            "shell.git_global_config",
            "changes git configuration outside the workspace",
            Danger.MEDIUM,
        )


_PRIVILEGED = re.compile(
    r"^--(privileged|pid=host|net=host|network=host|ipc=host|userns=host|uts=host|cap-add=(all|sys_admin|sys_ptrace|sys_module|net_admin|dac_read_search))$|^--security-opt=\S*unconfined",
    re.I,
)


@rule("docker", "podman", "nerdctl")
def _containers(view: View) -> Iterator[Reason]:
    args = view.args
    sub = next((a for a in args if not a.startswith("-")), "")
    if sub in {"run", "create", "exec", "container"}:
        joined = [
            f"{a}={b}"
            if a
            in {
                "--pid",
                "--net",
                "--network",
                "--cap-add",
                "--ipc",
                "--security-opt",
                "--userns",
                "--uts",
            }
            else a
            for a, b in zip(args, [*args[1:], ""], strict=True)
        ]
        mounts = [
            b
            for a, b in zip(args, [*args[1:], ""], strict=True)
            if a in {"-v", "--volume", "--mount"}
        ] + [a.split("=", 1)[1] for a in args if a.startswith(("--volume=", "-v=", "--mount="))]
        host_root = any(
            re.match(
                r"^(/|/etc|/root|/home|/var/run/docker\.sock|/run/docker\.sock|/proc|/sys|/dev)(:|$)|source=/[,:]?|src=/(,|$)",
                m,
            )
            for m in mounts
        )
        if any(_PRIVILEGED.match(a) for a in joined) or host_root:
            yield approval(
                "shell.container_escape",
                f"{view.argv[0]} {sub} with host privileges or the host's files",
                Danger.CRITICAL,
            )
        else:
            yield note("shell.container_run", "starts a container", Danger.MEDIUM)
    elif sub in {"rm", "rmi", "system", "volume", "kill", "stop"}:
        yield note("shell.container_change", "removes or stops containers", Danger.MEDIUM)


@rule("kubectl", "helm", "terraform", "pulumi")
def _infrastructure(view: View) -> Iterator[Reason]:
    if any(a in {"delete", "destroy", "apply", "uninstall", "drain", "replace"} for a in view.args):
        yield approval(
            "shell.infrastructure_change",
            f"{view.argv[0]} changes live infrastructure",
            Danger.HIGH,
        )
