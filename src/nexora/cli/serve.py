from __future__ import annotations

import typer

from nexora.cli._local import console, settings_or_exit


def serve(
    host: str | None = typer.Option(None, help="Address to bind (default 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port to listen on (default 8088)."),
    home: str | None = typer.Option(None, help="Data dir (default ~/.nexora)."),
    workers: bool = typer.Option(
        True, help="Execute runs in this process too; --no-workers when `nexora worker` does."
    ),
) -> None:
    """Serve the API (and, later, the console) with in-process workers."""
    import uvicorn

    from nexora.api.app import create_app

    settings = settings_or_exit(host=host, port=port, home=home)
    if not workers:
        settings = settings.model_copy(update={"worker_concurrency": 0})
    console.print(
        f"Nexora on [bold]http://{settings.host}:{settings.port}[/bold]  "
        f"data: {settings.home}  database: {settings.database_url.split('://')[0]}"
    )
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        proxy_headers=False,
    )
