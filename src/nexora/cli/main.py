"""Entry point of the `nexora` command."""

from __future__ import annotations

import typer

from nexora import __version__
from nexora.cli import (
    agents,
    approvals,
    audit,
    channels,
    cron,
    db,
    guard,
    kb,
    memory,
    plugins,
    secrets,
    skills,
    teams,
    templates,
    users,
    vault,
)
from nexora.cli.doctor import doctor
from nexora.cli.init import init
from nexora.cli.runs import export, run, tail
from nexora.cli.serve import serve
from nexora.cli.worker import worker

app = typer.Typer(
    name="nexora",
    help="Nexora: a self-hosted AI agent workspace for teams.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command()(init)
app.command()(serve)
app.command()(doctor)
app.command()(worker)
app.command()(run)
app.command()(tail)
app.command()(export)
app.add_typer(users.app, name="users")
app.add_typer(templates.app, name="templates")
app.add_typer(teams.app, name="teams")
app.add_typer(teams.roles_app, name="roles")
app.add_typer(vault.app, name="vault")
app.add_typer(cron.app, name="cron")
app.add_typer(channels.app, name="channels")
app.add_typer(agents.app, name="agents")
app.add_typer(db.app, name="db")
app.add_typer(approvals.app, name="approvals")
app.add_typer(secrets.app, name="secrets")
app.add_typer(audit.app, name="audit")
app.add_typer(guard.app, name="guard")
app.add_typer(skills.app, name="skills")
app.add_typer(plugins.app, name="plugins")
app.add_typer(kb.app, name="kb")
app.add_typer(memory.app, name="memory")


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)
