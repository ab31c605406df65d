"""`nexora run`, `tail` and `export`: against a server by URL and API key, or the local data dir."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import typer

from nexora.cli._local import (
    console,
    err_console,
    local_actor,
    reported_errors,
    run_local,
    settings_or_exit,
)
from nexora.cli.remote import Remote
from nexora.platform import Platform
from nexora.runtime.service import stored_events

UrlOption = typer.Option(None, "--url", envvar="NEXORA_URL", help="Server URL.")
KeyOption = typer.Option(None, "--api-key", envvar="NEXORA_API_KEY", help="nxk_ API key.")


def _remote(url: str | None, api_key: str | None) -> Remote | None:
    """The server to talk to: the one named, else a local one that answers; None = no server."""
    if url is None:
        settings = settings_or_exit()
        candidate = f"http://{settings.host}:{settings.port}"
        try:
            httpx.get(f"{candidate}/healthz", timeout=0.5)
        except httpx.TransportError:
            return None
        if api_key is None:
            return None  # a server runs, but without a key we use the data dir directly
        url = candidate
    return Remote(url, api_key)


def _print_event(event: dict[str, Any], stream_tokens: bool) -> None:
    kind, payload = event["type"], event["payload"]
    if kind == "llm.token":
        if stream_tokens:
            sys.stdout.write(payload["delta"])
            sys.stdout.flush()
        return
    if kind == "tool.called":
        err_console.print(f"[dim]→ {payload['tool']}({json.dumps(payload.get('args'))})[/dim]")
    elif kind == "tool.result":
        err_console.print(f"[dim]← {payload['tool']}: {payload['content'][:200]}[/dim]")
    elif kind in ("run.failed", "run.cancelled"):
        err_console.print(f"[red]{kind}[/red]: {payload.get('error', '')}")
    elif kind == "run.completed" and stream_tokens:
        sys.stdout.write("\n")


def run(
    text: str = typer.Argument(..., help="What to ask the agent."),
    agent: str = typer.Option(..., "--agent", "-a", help="Agent id or name."),
    stream: bool = typer.Option(False, "--stream", help="Print the answer as it is written."),
    url: str | None = UrlOption,
    api_key: str | None = KeyOption,
    org: str = typer.Option("default", help="Organization (local mode)."),
) -> None:
    """Run an agent on an input and print its answer."""
    remote = _remote(url, api_key)
    if remote is not None:
        final: dict[str, Any] = {}
        with reported_errors():
            created = remote.call("POST", "/api/runs", json={"agent_id": agent, "input": text})
            for event in remote.events(created["id"]):
                _print_event(event, stream)
                final = event
        _finish(final, stream)
        return

    async def work(platform: Platform) -> list[dict[str, Any]]:
        async with platform.db.session() as db:
            actor = await local_actor(db, org)
            created = await platform.runs.create(db, actor, agent, text)
        seen: list[dict[str, Any]] = []
        with platform.bus.subscribe(created.id) as subscription:
            task = asyncio.create_task(platform.worker.run_now(created.id))
            while True:
                event = await subscription.queue.get()
                if event is None:
                    break
                seen.append(event.as_json())
                _print_event(seen[-1], stream)
                if event.is_terminal:
                    break
            await task
        # The run's memory is kept before the process exits, not left for a server to find.
        await platform.upkeep.wait()
        return seen

    events = run_local(work)
    _finish(events[-1] if events else {}, stream)


def _finish(final: dict[str, Any], streamed: bool) -> None:
    if final.get("type") != "run.completed":
        raise typer.Exit(1)
    if not streamed:
        console.print(final["payload"]["output"], markup=False, highlight=False)


def tail(
    run_id: str,
    url: str | None = UrlOption,
    api_key: str | None = KeyOption,
) -> None:
    """Follow a run's events live; resumes after a dropped connection without repeats."""
    remote = _remote(url, api_key)
    if remote is None:
        for event in _local_events(run_id):
            _print_event(event, True)
        return
    with reported_errors():
        for event in remote.events(run_id):
            _print_event(event, True)


def _local_events(run_id: str) -> Iterator[dict[str, Any]]:
    async def work(platform: Platform) -> list[dict[str, Any]]:
        async with platform.db.session() as db:
            found = await stored_events(db, run_id, limit=1_000_000)
        return [e.as_json() for e in found]

    yield from run_local(work)


def export(
    run_id: str,
    format: str = typer.Option("json", "--format", help="json or jsonl"),
    url: str | None = UrlOption,
    api_key: str | None = KeyOption,
) -> None:
    """Print a run with all its events as JSON (one document) or JSONL (run, then events)."""
    if format not in ("json", "jsonl"):
        err_console.print("[red]error:[/red] --format must be json or jsonl")
        raise typer.Exit(2)
    remote = _remote(url, api_key)
    if remote is not None:
        run_doc = remote.call("GET", f"/api/runs/{run_id}")
        events, cursor = [], 0
        while True:
            page = remote.call(
                "GET", f"/api/runs/{run_id}/events", params={"cursor": cursor, "limit": 5000}
            )
            events.extend(page["items"])
            if page["next_cursor"] is None:
                break
            cursor = page["next_cursor"]
    else:
        run_doc, events = _local_export(run_id)
    if format == "json":
        sys.stdout.write(
            json.dumps(
                {"run": run_doc, "events": events}, ensure_ascii=False, indent=2, default=str
            )
            + "\n"
        )
    else:
        sys.stdout.write(json.dumps({"run": run_doc}, ensure_ascii=False, default=str) + "\n")
        for event in events:
            sys.stdout.write(json.dumps(event, ensure_ascii=False, default=str) + "\n")


def _remote_export(remote: Remote, run_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    run_doc = remote.call("GET", f"/api/runs/{run_id}")
    events: list[dict[str, Any]] = []
    cursor = 0
    while True:
        page = remote.call(
            "GET", f"/api/runs/{run_id}/events", params={"cursor": cursor, "limit": 5000}
        )
        events.extend(page["items"])
        if page["next_cursor"] is None:
            return run_doc, events
        cursor = page["next_cursor"]


def _local_export(run_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    from nexora.errors import NotFound
    from nexora.storage.models import Run

    async def work(platform: Platform) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        async with platform.db.session() as db:
            run = await db.get(Run, run_id)
            if run is None:
                raise NotFound("run not found")
            found = await stored_events(db, run_id, limit=1_000_000)
        columns = {c.name: getattr(run, c.name) for c in Run.__table__.columns}
        return columns, [e.as_json() for e in found]

    return run_local(work)
