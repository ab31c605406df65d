from __future__ import annotations

import typer

from nexora.cli._local import console, err_console, run_local
from nexora.governance.audit_chain import Verification, verify
from nexora.platform import Platform

app = typer.Typer(help="The audit trail (works on the local data dir).", no_args_is_help=True)


@app.command("verify")
def verify_command() -> None:
    """Check the audit trail's hash chain: detects modified, deleted or reordered events."""

    async def work(platform: Platform) -> Verification:
        await platform.audit.writer.flush()
        async with platform.db.session() as db:
            return await verify(db)

    result = run_local(work)
    if result.ok:
        console.print(f"audit trail intact: {result.checked} events verified")
        return
    err_console.print(
        f"[red]audit trail broken[/red] at event {result.seq}: {result.problem} "
        f"({result.checked} events verified before it)"
    )
    raise typer.Exit(1)
