"""`nexora vault`: the artifacts projects' vaults keep, and a vault's history (local data dir)."""

from __future__ import annotations

from collections.abc import Sequence

import typer
from rich.table import Table

from nexora.cli._local import console, local_actor, run_local
from nexora.platform import Platform
from nexora.storage.models import Artifact
from nexora.teams.vault.backends import Commit

app = typer.Typer(help="Project vaults (works on the local data dir).", no_args_is_help=True)
ORG = typer.Option("default", "--org", help="Organization name.")
PROJECT = typer.Option(None, "--project", help="Project id (default: the org's own vault).")


@app.command("list")
def list_(
    playbook_run: str | None = typer.Option(None, "--playbook-run", help="One run's deliveries."),
    project: str | None = PROJECT,
    org: str = ORG,
) -> None:
    """List artifacts, newest first."""

    async def work(platform: Platform) -> Sequence[Artifact]:
        async with platform.db.session() as db:
            actor = await local_actor(db, org)
            rows, _ = await platform.vault.artifacts(
                db, actor.org_id, project_id=project, playbook_run_id=playbook_run, limit=200
            )
            return rows

    table = Table("ref", "kind", "stage", "size", "summary", "id")
    for a in run_local(work):
        table.add_row(f"{a.key}@{a.version}", a.kind, a.stage or "", str(a.size), a.summary, a.id)
    console.print(table)


@app.command("show")
def show(
    ref: str = typer.Argument(..., help="Artifact id, KEY (latest) or KEY@VERSION."),
    project: str | None = PROJECT,
    org: str = ORG,
) -> None:
    """Print an artifact's content."""

    async def work(platform: Platform) -> str | bytes:
        async with platform.db.session() as db:
            actor = await local_actor(db, org)
            artifact = await platform.vault.find(db, actor.org_id, project, ref)
            return await platform.vault.read(artifact)

    content = run_local(work)
    if isinstance(content, bytes):
        console.print(f"(a file of {len(content)} bytes)", markup=False)
    else:
        console.print(content, markup=False)


@app.command("history")
def history(project: str | None = PROJECT, org: str = ORG, limit: int = 50) -> None:
    """A git vault's commits, newest first: one per delivery and per manifest."""

    async def work(platform: Platform) -> list[Commit]:
        async with platform.db.session() as db:
            actor = await local_actor(db, org)
        return await platform.vault.history(actor.org_id, project, limit)

    table = Table("commit", "time", "message")
    for commit in run_local(work):
        table.add_row(commit.sha[:12], commit.time, commit.message)
    console.print(table)
