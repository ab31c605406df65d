from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from nexora.agents.config import AgentSpec, dump_agent_yaml
from nexora.agents.files import AGENT_FILE
from nexora.agents.registry import AgentView
from nexora.cli._local import console, err_console, local_actor, reported_errors, run_local
from nexora.platform import Platform

app = typer.Typer(help="Manage agents (works on the local data dir).", no_args_is_help=True)

OrgOption = typer.Option("default", "--org", help="Organization name.")


@app.command("list")
def list_(org: str = OrgOption) -> None:
    """List agents, with any configuration error found in their YAML."""

    async def work(platform: Platform) -> list[AgentView]:
        async with platform.db.session() as db:
            return await platform.agents.visible(db, await local_actor(db, org))

    table = Table("id", "name", "model", "description", "problem")
    for view in run_local(work):
        table.add_row(
            view.record.id,
            view.record.name,
            view.record.model or "(default)",
            view.record.description[:60],
            view.record.load_error or "",
        )
    console.print(table)


@app.command("create")
def create(
    name: str,
    description: str = typer.Option("", help="One line on what the agent is for."),
    persona: str = typer.Option("", help="System prompt (markdown)."),
    persona_file: Path | None = typer.Option(None, exists=True, dir_okay=False),
    model: str | None = typer.Option(None, help="provider:model (default from settings)."),
    tool: list[str] = typer.Option([], "--tool", help="Allowed tool (repeatable)."),
    skill: list[str] = typer.Option([], "--skill", help="Allowed skill (repeatable)."),
    org: str = OrgOption,
) -> None:
    """Create an agent."""
    text = persona_file.read_text(encoding="utf-8") if persona_file else persona
    spec = AgentSpec(
        name=name, description=description, persona=text, model=model, tools=tool, skills=skill
    )

    async def work(platform: Platform) -> AgentView:
        async with platform.db.session() as db:
            return await platform.agents.create(db, await local_actor(db, org), spec)

    view = run_local(work)
    console.print(f"created agent {view.record.name} id={view.record.id}")
    console.print(f"config: {view.workspace.parent / AGENT_FILE}")


@app.command("show")
def show(agent: str = typer.Argument(..., help="Agent id or name."), org: str = OrgOption) -> None:
    """Show an agent's configuration."""

    async def work(platform: Platform) -> AgentView:
        async with platform.db.session() as db:
            return await platform.agents.find(db, await local_actor(db, org), agent)

    view = run_local(work)
    console.print(dump_agent_yaml(view.config), highlight=False, markup=False)
    console.print(f"# workspace: {view.workspace}", markup=False)
    if view.record.load_error:
        err_console.print(f"[yellow]warning:[/yellow] {view.record.load_error}")


@app.command("reload")
def reload() -> None:
    """Re-read every agent.yaml in the data dir: picks up hand edits and restored folders."""

    async def work(platform: Platform) -> tuple[int, list[str]]:
        async with platform.db.session() as db:
            return await platform.agents.reindex(db)

    indexed, problems = run_local(work)
    console.print(f"indexed {indexed} new agent(s)")
    for problem in problems:
        err_console.print(f"[yellow]problem:[/yellow] {problem}")
    if problems:
        raise typer.Exit(1)


def _change_allowed(agent: str, org: str, add: bool, kinds: dict[str, list[str]]) -> AgentView:
    async def work(platform: Platform) -> AgentView:
        async with platform.db.session() as db:
            actor = await local_actor(db, org)
            view = await platform.agents.find(db, actor, agent)
            spec = AgentSpec.model_validate(view.config.model_dump(exclude={"id", "org_id"}))
            for field, names in kinds.items():
                current: list[str] = getattr(spec, field)
                if add:
                    updated = current + [n for n in names if n not in current]
                else:
                    updated = [n for n in current if n not in names]
                setattr(spec, field, updated)
            return await platform.agents.update(db, actor, view.record.id, spec)

    return run_local(work)


def _print_allowed(view: AgentView) -> None:
    config = view.config
    console.print(
        f"{config.name}: tools={config.tools} skills={config.skills} "
        f"mcp_servers={config.mcp_servers}",
        markup=False,
    )


@app.command("allow")
def allow(
    agent: str = typer.Argument(..., help="Agent id or name."),
    tool: list[str] = typer.Option([], "--tool", help="Tool it may call (repeatable)."),
    skill: list[str] = typer.Option([], "--skill", help="Skill it may use (repeatable)."),
    mcp: list[str] = typer.Option([], "--mcp", help="MCP server it may use (repeatable)."),
    org: str = OrgOption,
) -> None:
    """Let an agent use more tools, skills or MCP servers (the runtime enforces the lists)."""
    with reported_errors():
        _print_allowed(_change_allowed(agent, org, True, _kinds(tool, skill, mcp)))


@app.command("deny")
def deny(
    agent: str = typer.Argument(..., help="Agent id or name."),
    tool: list[str] = typer.Option([], "--tool", help="Tool to take away (repeatable)."),
    skill: list[str] = typer.Option([], "--skill", help="Skill to take away (repeatable)."),
    mcp: list[str] = typer.Option([], "--mcp", help="MCP server to take away (repeatable)."),
    org: str = OrgOption,
) -> None:
    """Take tools, skills or MCP servers away from an agent."""
    with reported_errors():
        _print_allowed(_change_allowed(agent, org, False, _kinds(tool, skill, mcp)))


def _kinds(tool: list[str], skill: list[str], mcp: list[str]) -> dict[str, list[str]]:
    kinds = {"tools": tool, "skills": skill, "mcp_servers": mcp}
    return {field: names for field, names in kinds.items() if names}
