"""Agent memory on the local data dir."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy import select

from nexora.cli._local import console, local_actor, run_local
from nexora.memory.consolidate import Consolidation
from nexora.platform import Platform
from nexora.runtime.usage import Principal, current_principal
from nexora.storage.models import AgentRecord

app = typer.Typer(help="Agent memory (works on the local data dir).", no_args_is_help=True)


@app.command("reembed")
def reembed_command(
    batch_size: int | None = typer.Option(
        None,
        "--batch-size",
        min=1,
        max=2048,
        help="Items per batch (default: embedder_batch_size).",
    ),
) -> None:
    """Embed every memory item the current embedder has not embedded yet (after changing
    NEXORA_EMBEDDER, or items written while it was unavailable). Safe to stop and run again."""
    from nexora.memory.embed import describe
    from nexora.memory.index import memory_index
    from nexora.memory.reembed import ReembedResult, reembed

    with Progress(
        TextColumn("[bold]embedding"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("embedding", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        async def work(platform: Platform) -> tuple[ReembedResult, str]:
            settings = platform.settings
            index = memory_index(settings)
            size = batch_size or settings.embedder_batch_size
            result = await reembed(platform.db, index, batch_size=size, progress=advance)
            return result, describe(settings)

        result, embedder = run_local(work)
    if result.terms_added:
        console.print(f"full-text index: {result.terms_added} items added")
    if result.embedder is None:
        console.print(f"no vectors to make: {embedder}")
        return
    console.print(f"{result.embedder}: {result.embedded} items embedded")


@app.command("consolidate")
def consolidate(
    agent: str | None = typer.Option(
        None, "--agent", help="Agent id or name; every agent of the org when omitted."
    ),
    org: str = typer.Option("default", help="Organization name."),
) -> None:
    """Merge duplicate memories and summarise old conversations, now (the server also does
    this on a schedule). Every change is recorded and can be reverted."""

    async def work(platform: Platform) -> list[tuple[str, Consolidation]]:
        async with platform.db.session() as db:
            actor = await local_actor(db, org)
            if agent is not None:
                view = await platform.agents.find(db, actor, agent)
                targets = [(view.record.id, view.record.name)]
            else:
                rows = await db.execute(
                    select(AgentRecord.id, AgentRecord.name)
                    .where(AgentRecord.org_id == actor.org_id)
                    .order_by(AgentRecord.name)
                )
                targets = [(row.id, row.name) for row in rows]
        # Model calls for shared memories are counted to whoever asked for the pass.
        current_principal.set(Principal(actor.user_id, actor.org_id))
        return [
            (name, await platform.memory.consolidate(actor.org_id, agent_id))
            for agent_id, name in targets
        ]

    table = Table("agent", "examined", "duplicates merged", "summaries", "messages summarised")
    table.add_column("job", no_wrap=True, min_width=36)
    failed = False
    for name, outcome in run_local(work):
        table.add_row(
            name,
            str(outcome.examined),
            str(outcome.duplicates),
            str(outcome.summaries),
            str(outcome.summarised),
            outcome.job_id,
        )
        for error in outcome.errors:
            failed = True
            console.print(f"[red]{name}:[/red] {error}")
    console.print(table)
    if failed:
        raise typer.Exit(1)
