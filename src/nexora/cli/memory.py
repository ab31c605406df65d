"""`nexora memory`: search an agent's memory, read and set its core blocks, list its items,
forget one, follow the changes and undo one; `reembed` after the embedder changes.

Every command but `reembed` talks to a server when given `--url` and `--api-key` (or a local
server answers and a key is set), else works on the local data dir as its first
administrator. Either way the answers have the API's shape, so both modes print the same.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.api.routes.memory_blocks import BlockPublic
from nexora.api.routes.memory_changes import ChangePublic
from nexora.api.routes.memory_items import ItemPublic
from nexora.auth.actor import Actor
from nexora.cli._local import console, local_actor, reported_errors, run_local
from nexora.cli.remote import Remote
from nexora.cli.runs import KeyOption, UrlOption, _remote
from nexora.governance.audit import RequestContext
from nexora.memory.change_access import ChangeFilter
from nexora.memory.consolidate import Consolidation
from nexora.memory.item_access import ItemFilter
from nexora.platform import Platform
from nexora.runtime.usage import Principal, current_principal
from nexora.storage.models import AgentRecord

app = typer.Typer(help="Search, read and correct agents' memory.", no_args_is_help=True)
blocks_app = typer.Typer(help="Core memory blocks (always in the prompt).", no_args_is_help=True)
items_app = typer.Typer(help="Episodic and archival items.", no_args_is_help=True)
app.add_typer(blocks_app, name="blocks")
app.add_typer(items_app, name="items")

ORG = typer.Option("default", "--org", help="Organization name (local mode).")
AGENT = typer.Argument(..., help="The agent's id (locally its name works too).")
CLI = RequestContext(ip=None, user_agent="nexora-cli")
SHOWN = 120  # characters of a text in a table


def _call(
    url: str | None,
    api_key: str | None,
    org: str,
    remote_call: Callable[[Remote], Any],
    local: Callable[[Platform, AsyncSession, Actor], Awaitable[Any]],
) -> Any:
    """The answer from the server when there is one, else from the local data dir."""
    remote = _remote(url, api_key)
    if remote is not None:
        with reported_errors():
            return remote_call(remote)

    async def work(platform: Platform) -> Any:
        async with platform.db.session() as db:
            return await local(platform, db, await local_actor(db, org))

    return run_local(work)


def _table(*columns: str) -> Table:
    """A table whose last column holds ids, never wrapped, so they can be copied."""
    table = Table(*columns[:-1])
    table.add_column(columns[-1], no_wrap=True, min_width=36)
    return table


def _short(text: str | None) -> str:
    text = (text or "").replace("\n", " ⏎ ")
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


@app.command("search")
def search(
    agent: str = AGENT,
    query: str = typer.Argument(..., help="What to look for."),
    layer: list[str] = typer.Option(
        [], "--layer", help="core, episodic or archival; repeat for several (default: all)."
    ),
    limit: int = typer.Option(10, "--limit", min=1, max=50),
    org: str = ORG,
    url: str | None = UrlOption,
    api_key: str | None = KeyOption,
) -> None:
    """Search an agent's memory as it would recall it for you."""
    body = {"agent_id": agent, "query": query, "layers": layer or None, "limit": limit}

    async def local(platform: Platform, db: AsyncSession, actor: Actor) -> dict[str, Any]:
        found = await platform.memory_access.items.search(
            db, actor, agent, query, layers=layer or None, limit=limit
        )
        return {
            "items": [
                {"id": h.id, "layer": h.layer, "kind": h.kind, "score": h.score, "text": h.text}
                for h in found
            ],
            "embedder": platform.memory.embedder_name,
        }

    result = _call(
        url, api_key, org, lambda r: r.call("POST", "/api/memory/search", json=body), local
    )
    table = _table("score", "layer", "kind", "text", "id")
    for hit in result["items"]:
        table.add_row(
            f"{hit['score']:.3f}", hit["layer"], hit["kind"], _short(hit["text"]), hit["id"]
        )
    console.print(table)
    console.print(f"embedder: {result['embedder'] or 'none (full text only)'}")


@blocks_app.command("list")
def blocks_list(
    agent: str = AGENT,
    org: str = ORG,
    url: str | None = UrlOption,
    api_key: str | None = KeyOption,
) -> None:
    """List an agent's core blocks you may see, with how full each is."""

    async def local(platform: Platform, db: AsyncSession, actor: Actor) -> list[dict[str, Any]]:
        blocks = await platform.memory_access.blocks.of_agent(db, actor, agent)
        return [BlockPublic.of(b).model_dump(mode="json") for b in blocks]

    params = {"agent_id": agent}
    blocks = _call(
        url, api_key, org, lambda r: r.call("GET", "/api/memory/blocks", params=params), local
    )
    table = _table("label", "scope", "chars", "value", "id")
    for block in blocks:
        table.add_row(
            block["label"],
            "private" if block["user_id"] else "shared",
            f"{block['chars']}/{block['char_limit']}",
            _short(block["value"]),
            block["id"],
        )
    console.print(table)


@blocks_app.command("set")
def blocks_set(
    agent: str = AGENT,
    label: str = typer.Argument(..., help="persona, human, goals or a label of your own."),
    value: str = typer.Argument(..., help="The block's whole new text ('' empties it)."),
    private: bool = typer.Option(False, "--private", help="A block for your conversations only."),
    org: str = ORG,
    url: str | None = UrlOption,
    api_key: str | None = KeyOption,
) -> None:
    """Set a core block's text, creating the block when it does not exist."""

    def remote_call(remote: Remote) -> Any:
        blocks = remote.call("GET", "/api/memory/blocks", params={"agent_id": agent})
        mine = [b for b in blocks if b["label"] == label and (b["user_id"] or not private)]
        mine.sort(key=lambda b: b["user_id"] is None)  # one's own before the shared one
        if mine:
            return remote.call(
                "PATCH", f"/api/memory/blocks/{mine[0]['id']}", json={"value": value}
            )
        body = {"agent_id": agent, "label": label, "value": value, "private": private}
        return remote.call("POST", "/api/memory/blocks", json=body)

    async def local(platform: Platform, db: AsyncSession, actor: Actor) -> dict[str, Any]:
        block = await platform.memory_access.blocks.put(
            db, actor, agent, label, value, private=private, request=CLI
        )
        return BlockPublic.of(block).model_dump(mode="json")

    block = _call(url, api_key, org, remote_call, local)
    console.print(
        f"{block['label']}: {block['chars']}/{block['char_limit']} characters "
        f"(version {block['version']})"
    )


@items_app.command("list")
def items_list(
    agent: str = AGENT,
    layer: str | None = typer.Option(None, "--layer", help="episodic or archival."),
    kind: str | None = typer.Option(None, "--kind"),
    status: str = typer.Option("active", "--status", help="active, retired or all."),
    origin: str | None = typer.Option(None, "--origin", help="person, agent, auto or ingest."),
    text: str | None = typer.Option(None, "--text", help="Only items containing this."),
    page: int = typer.Option(1, "--page", min=1),
    limit: int = typer.Option(50, "--limit", min=1, max=200),
    org: str = ORG,
    url: str | None = UrlOption,
    api_key: str | None = KeyOption,
) -> None:
    """List an agent's items, newest first."""
    params = {
        "agent_id": agent,
        "layer": layer,
        "kind": kind,
        "status": status,
        "origin": origin,
        "q": text,
        "page": page,
        "limit": limit,
    }

    async def local(platform: Platform, db: AsyncSession, actor: Actor) -> dict[str, Any]:
        which = ItemFilter(
            layer=layer,
            kind=kind,
            status=None if status == "all" else status,
            origin=origin,
            text=text,
            offset=(page - 1) * limit,
            limit=limit,
        )
        items, total = await platform.memory_access.items.page(db, actor, agent, which)
        return {"items": [ItemPublic.of(i).model_dump(mode="json") for i in items], "total": total}

    def remote_call(remote: Remote) -> Any:
        shown = {k: v for k, v in params.items() if v is not None}
        return remote.call("GET", "/api/memory/items", params=shown)

    result = _call(url, api_key, org, remote_call, local)
    table = _table("when", "layer", "kind", "origin", "status", "text", "id")
    for item in result["items"]:
        table.add_row(
            item["occurred_at"][:16],
            item["layer"],
            item["kind"],
            item["origin"],
            item["status"],
            _short(item["text"]),
            item["id"],
        )
    console.print(table)
    console.print(f"{len(result['items'])} of {result['total']}")


@app.command("forget")
def forget(
    item_id: str = typer.Argument(..., help="The item's id (see `nexora memory items list`)."),
    reason: str | None = typer.Option(None, "--reason"),
    org: str = ORG,
    url: str | None = UrlOption,
    api_key: str | None = KeyOption,
) -> None:
    """Retire an item: out of search and prompts, kept in its history (undo with revert)."""

    async def local(platform: Platform, db: AsyncSession, actor: Actor) -> dict[str, Any]:
        item = await platform.memory_access.items.retire(db, actor, item_id, reason, CLI)
        return ItemPublic.of(item).model_dump(mode="json")

    def remote_call(remote: Remote) -> Any:
        body = {"reason": reason} if reason else None
        return remote.call("POST", f"/api/memory/items/{item_id}/retire", json=body)

    item = _call(url, api_key, org, remote_call, local)
    console.print(f"forgot {item['id']} (version {item['version']})")


@app.command("changes")
def changes(
    agent: str = AGENT,
    origin: str | None = typer.Option(
        None, "--origin", help="person, agent, auto (the automatic extraction) or ingest."
    ),
    limit: int = typer.Option(50, "--limit", min=1, max=200),
    org: str = ORG,
    url: str | None = UrlOption,
    api_key: str | None = KeyOption,
) -> None:
    """The latest changes to an agent's memory, newest first; undo one with `revert`."""

    async def local(platform: Platform, db: AsyncSession, actor: Actor) -> dict[str, Any]:
        which = ChangeFilter(origin=origin, limit=limit)
        rows, total = await platform.memory_access.changes.feed(db, actor, agent, which)
        return {"items": [ChangePublic.of(c).model_dump(mode="json") for c in rows], "total": total}

    def remote_call(remote: Remote) -> Any:
        params = {"agent_id": agent, "limit": limit, **({"origin": origin} if origin else {})}
        return remote.call("GET", "/api/memory/changes", params=params)

    result = _call(url, api_key, org, remote_call, local)
    table = _table("when", "origin", "action", "target", "before → after", "change id")
    for change in result["items"]:
        table.add_row(
            change["created_at"][:19],
            change["origin"],
            change["action"],
            change["target"],
            f"{_short(change['before'])} → {_short(change['after'])}",
            change["id"],
        )
    console.print(table)


@app.command("revert")
def revert(
    change_id: str = typer.Argument(..., help="The change's id (see `nexora memory changes`)."),
    org: str = ORG,
    url: str | None = UrlOption,
    api_key: str | None = KeyOption,
) -> None:
    """Undo one change: an edit gets its old text back, a creation is retired (items) or
    removed (blocks), a retirement is restored."""

    async def local(platform: Platform, db: AsyncSession, actor: Actor) -> dict[str, Any]:
        done = await platform.memory_access.changes.revert(db, actor, change_id, CLI)
        return {"target": done.target, "target_id": done.target_id, "status": done.status}

    result = _call(
        url,
        api_key,
        org,
        lambda r: r.call("POST", f"/api/memory/changes/{change_id}/revert"),
        local,
    )
    console.print(f"reverted: {result['target']} {result['target_id']} is {result['status']}")


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
    NEXORA_EMBEDDER, or items written while it was unavailable). Safe to stop and run again.
    Works on the local data dir."""
    from nexora.memory.embed import describe
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
            size = batch_size or settings.embedder_batch_size
            result = await reembed(
                platform.db, platform.memory.index, batch_size=size, progress=advance
            )
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
            (name, await platform.upkeep.consolidate(actor.org_id, agent_id))
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
