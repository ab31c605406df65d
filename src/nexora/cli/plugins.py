"""`nexora plugins`: installed plugins, and enabling them for an organization (local data dir).

Enabling is a capability change like any other: under the default policy it waits for an
admin's approval (`nexora approvals`), whoever asks."""

from __future__ import annotations

import typer
from rich.table import Table

from nexora.cli._local import console, local_actor, run_local
from nexora.governance.capability_changes import ChangeOutcome
from nexora.platform import Platform
from nexora.plugins import enablement
from nexora.plugins.enablement import PluginState

app = typer.Typer(help="List, enable and disable plugins.", no_args_is_help=True)

ORG = typer.Option("default", "--org", help="Organization name.")


@app.command("list")
def list_(org: str = ORG) -> None:
    """List installed plugins, whether the organization enabled them, and load errors."""

    async def work(platform: Platform) -> list[PluginState]:
        async with platform.db.session() as db:
            actor = await local_actor(db, org)
            return await enablement.states(db, platform.plugins, actor.org_id)

    table = Table("name", "version", "package", "enabled", "status")
    for state in run_local(work):
        status = state.error or ("loaded" if state.loaded else "not loaded")
        table.add_row(
            state.name,
            state.version or "",
            state.distribution or "",
            "yes" if state.enabled else "no",
            status,
        )
    console.print(table)


def _report(name: str, outcome: ChangeOutcome, done: str) -> None:
    if outcome.pending:
        console.print(
            f"{name}: waiting for approval {outcome.approval_id} "
            f"(risk {outcome.decision.risk}); approve it with `nexora approvals approve`"
        )
    else:
        console.print(f"{name}: {done}")


@app.command("enable")
def enable(name: str, org: str = ORG) -> None:
    """Enable a plugin for the organization (a capability change, approved per its policy)."""

    async def work(platform: Platform) -> ChangeOutcome:
        async with platform.db.session() as db:
            actor = await local_actor(db, org)
            return await enablement.request_enable(
                db, actor, platform.plugins, name, None, platform.audit
            )

    _report(name, run_local(work), "enabled")


@app.command("disable")
def disable(name: str, org: str = ORG) -> None:
    """Disable a plugin for the organization: its tools are no longer offered."""

    async def work(platform: Platform) -> ChangeOutcome:
        async with platform.db.session() as db:
            actor = await local_actor(db, org)
            return await enablement.request_disable(db, actor, name, None, platform.audit)

    _report(name, run_local(work), "disabled")
