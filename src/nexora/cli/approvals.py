"""`nexora approvals`: review and decide capability changes on the local data dir.

Whoever can read the data dir acts as the org's first administrator (see `local_actor`), so
these commands decide like an admin would over the API, and are audited the same way.
"""

from __future__ import annotations

import typer
from rich.table import Table

from nexora.cli._local import console, local_actor, run_local
from nexora.governance.audit import RequestContext
from nexora.governance.capabilities import ApprovalStatus
from nexora.platform import Platform
from nexora.storage.models import Approval

app = typer.Typer(help="Review and decide capability change approvals.", no_args_is_help=True)

_CLI = RequestContext(ip=None, user_agent="nexora-cli")


def _show(approval: Approval) -> None:
    console.print(
        f"{approval.id} {approval.status}: {approval.capability}.{approval.action} "
        f"{approval.target!r} (risk {approval.risk})"
    )


@app.command("list")
def list_(
    status: ApprovalStatus | None = typer.Option(None, help="Only approvals in this state."),
    org: str = typer.Option("default", help="Organization name."),
    limit: int = typer.Option(50, min=1, max=200, help="At most this many, newest first."),
) -> None:
    """List approvals, newest first."""

    async def work(platform: Platform) -> list[Approval]:
        async with platform.db.session() as db:
            actor = await local_actor(db, org)
            return (await platform.approvals.list(db, actor, status, None, limit)).items

    table = Table("status", "change", "target", "risk", "requested", "expires")
    # The full id is what `approve` and `reject` take: never wrap or shorten it.
    table.add_column("id", no_wrap=True, min_width=36)
    for a in run_local(work):
        table.add_row(
            a.status,
            f"{a.capability}.{a.action}",
            a.target,
            a.risk,
            a.created_at.strftime("%Y-%m-%d %H:%M"),
            a.expires_at.strftime("%Y-%m-%d %H:%M"),
            a.id,
        )
    console.print(table)


@app.command("approve")
def approve(
    approval_id: str = typer.Argument(..., metavar="ID"),
    org: str = typer.Option("default", help="Organization name."),
) -> None:
    """Approve a pending change: it takes effect now."""

    async def work(platform: Platform) -> Approval:
        async with platform.db.session() as db:
            actor = await local_actor(db, org)
            return await platform.approvals.approve(db, actor, approval_id, _CLI)

    _show(run_local(work))


@app.command("reject")
def reject(
    approval_id: str = typer.Argument(..., metavar="ID"),
    reason: str = typer.Option(..., "--reason", help="Why; the requester sees it."),
    org: str = typer.Option("default", help="Organization name."),
) -> None:
    """Reject a pending change: it never takes effect."""
    if not reason.strip():
        raise typer.BadParameter("must not be empty", param_hint="--reason")

    async def work(platform: Platform) -> Approval:
        async with platform.db.session() as db:
            actor = await local_actor(db, org)
            return await platform.approvals.reject(db, actor, approval_id, reason, _CLI)

    _show(run_local(work))
