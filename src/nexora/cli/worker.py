from __future__ import annotations

import asyncio
import signal

import typer

from nexora.cli._local import console, settings_or_exit


def worker(
    concurrency: int | None = typer.Option(
        None, help="Runs executed at once by this process (default: NEXORA_WORKER_CONCURRENCY)."
    ),
    home: str | None = typer.Option(None, help="Data dir (default ~/.nexora)."),
) -> None:
    """Execute queued runs, without serving HTTP; start several against PostgreSQL to scale out."""
    from nexora.platform import Platform

    settings = settings_or_exit(home=home, worker_concurrency=concurrency)
    if settings.worker_concurrency < 1:
        console.print("[red]error:[/red] worker concurrency must be at least 1")
        raise typer.Exit(2)

    async def main() -> None:
        platform = Platform.from_settings(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await platform.start(workers=True)
        console.print(
            f"worker {platform.worker.deps.queue.owner} executing up to "
            f"{settings.worker_concurrency} runs; database: {settings.database_url.split('://')[0]}"
        )
        try:
            await stop.wait()
        finally:
            await platform.stop()

    asyncio.run(main())
