"""`nexora guard`: ask the guards about a shell command, a Python file or a path.

Prints the verdict as JSON (`{"verdict", "danger", "reasons"}`) and exits 0 for allow,
1 for approval, 2 for block, so scripts and CI can branch on it. Without `--agent` the
workspace is the current directory; with it, that agent's workspace in the local data dir.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from nexora.cli._local import err_console, local_actor, reported_errors, run_local, settings_or_exit
from nexora.platform import Platform
from nexora.security.file_guard import FileGuard, file_guard_for

app = typer.Typer(
    help="Ask the guards about a command, a Python file or a path. "
    "Prints JSON; exit code 0 = allow, 1 = approval, 2 = block.",
    no_args_is_help=True,
)

AgentOption = typer.Option(None, "--agent", help="Agent id or name: judge inside its workspace.")
OrgOption = typer.Option("default", "--org", help="Organization of --agent.")


def _files(agent: str | None, org: str) -> FileGuard:
    if agent is None:
        return file_guard_for(settings_or_exit(), Path.cwd())

    async def work(platform: Platform) -> Path:
        async with platform.db.session() as db:
            view = await platform.agents.find(db, await local_actor(db, org), agent)
            return view.workspace

    workspace = run_local(work)
    return file_guard_for(settings_or_exit(), workspace)


def _report(kind: str, text: str, agent: str | None, org: str, write: bool = False) -> None:
    # The guards (and the bash grammar) load only for these commands, not for every `nexora`.
    from nexora.security.checks import EXIT_CODES, GuardKind, check_input

    with reported_errors():
        result = check_input(GuardKind(kind), text, _files(agent, org), write=write)
    typer.echo(json.dumps(result.as_json(), indent=2))
    raise typer.Exit(EXIT_CODES[result.verdict])


@app.command("shell")
def shell(
    command: str = typer.Argument(..., help='The command line, after "--".'),
    agent: str | None = AgentOption,
    org: str = OrgOption,
) -> None:
    """Judge a shell command line: nexora guard shell -- "rm -rf build/"."""
    _report("shell", command, agent, org)


@app.command("python")
def python(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    agent: str | None = AgentOption,
    org: str = OrgOption,
) -> None:
    """Judge a Python program."""
    try:
        code = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        err_console.print(f"[red]error:[/red] {file} is not UTF-8 text")
        raise typer.Exit(2) from exc
    _report("python", code, agent, org)


@app.command("path")
def path(
    target: str = typer.Argument(..., metavar="PATH"),
    agent: str | None = AgentOption,
    org: str = OrgOption,
    write: bool = typer.Option(False, "--write", help="Judge writing it, not reading it."),
) -> None:
    """Judge reading (or writing) a path."""
    _report("path", target, agent, org, write)
