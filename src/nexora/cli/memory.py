"""Agent memory on the local data dir."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from nexora.cli._local import console, run_local
from nexora.platform import Platform

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
