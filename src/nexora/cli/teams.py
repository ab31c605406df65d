"""`nexora teams` and `nexora roles`: teams, their members and grants, and the roles members
hold (works on the local data dir, as an org admin)."""

from __future__ import annotations

import typer
from rich.table import Table
from sqlalchemy import select

from nexora.cli._local import console, local_actor, run_local
from nexora.platform import Platform
from nexora.storage.models import Group, Role, User
from nexora.teams import group_grants, groups, roles
from nexora.teams.access import get_group, group_named
from nexora.teams.groups import MemberSpec
from nexora.tools.policy import RoleRules

app = typer.Typer(help="Teams of agents (works on the local data dir).", no_args_is_help=True)
roles_app = typer.Typer(help="Roles team members hold (local data dir).", no_args_is_help=True)
ORG = typer.Option("default", "--org", help="Organization name.")


async def _group_id(platform: Platform, org: str, id_or_name: str) -> str:
    async with platform.db.session() as db:
        actor = await local_actor(db, org)
        found = await group_named(db, actor.org_id, id_or_name)
        # An unknown one is reported by the service as not found.
        return found.id if found is not None else id_or_name


@app.command("list")
def list_(org: str = ORG) -> None:
    """List the org's teams."""

    async def work(platform: Platform) -> list[Group]:
        async with platform.db.session() as db:
            rows, _ = await groups.list_groups(db, await local_actor(db, org), 500, 0)
            return rows

    table = Table("id", "name", "mode", "description")
    for group in run_local(work):
        table.add_row(group.id, group.name, group.default_mode, group.description)
    console.print(table)


@app.command("show")
def show(team: str = typer.Argument(..., help="Team id or name."), org: str = ORG) -> None:
    """A team's members, their roles and its lead."""

    async def work(platform: Platform) -> list[groups.MemberView]:
        group_id = await _group_id(platform, org, team)
        async with platform.db.session() as db:
            group = await get_group(db, await local_actor(db, org), group_id)
            return await groups.member_views(db, group.id)

    table = Table("member id", "agent", "role", "lead")
    for view in run_local(work):
        table.add_row(
            view.member.id,
            view.agent_name,
            view.role_name or "",
            "yes" if view.member.is_lead else "",
        )
    console.print(table)


@app.command("create")
def create(
    name: str = typer.Argument(..., help="Team name."),
    lead: str = typer.Option(..., "--lead", help="The lead agent (id or name)."),
    member: list[str] = typer.Option(
        [], "--member", help="AGENT or AGENT:ROLE, in the order serial runs visit them."
    ),
    mode: str = typer.Option("serial", "--mode", help="serial or parallel."),
    org: str = ORG,
) -> None:
    """Create a team with its lead and members."""
    members = [MemberSpec(agent_id=lead, is_lead=True)]
    for entry in member:
        agent, _, role = entry.partition(":")
        members.append(MemberSpec(agent_id=agent, role=role or None))
    spec = groups.GroupSpec(name=name, default_mode=mode, members=members)

    async def work(platform: Platform) -> Group:
        async with platform.db.session() as db:
            return await groups.create_group(db, await local_actor(db, org), spec)

    console.print(f"created team {name} ({run_local(work).id})", markup=False)


@app.command("delete")
def delete(team: str = typer.Argument(..., help="Team id or name."), org: str = ORG) -> None:
    """Delete a team, its runs and its blackboard."""

    async def work(platform: Platform) -> Group:
        group_id = await _group_id(platform, org, team)
        async with platform.db.session() as db:
            return await groups.delete_group(db, await local_actor(db, org), group_id)

    console.print(f"deleted team {run_local(work).name}", markup=False)


@app.command("grant")
def grant(
    team: str = typer.Argument(..., help="Team id or name."),
    username: str = typer.Argument(..., help="The user who may use the team."),
    org: str = ORG,
) -> None:
    """Let a user use a team without a grant on each of its agents."""

    async def work(platform: Platform) -> None:
        group_id = await _group_id(platform, org, team)
        async with platform.db.session() as db:
            user_id = await db.scalar(select(User.id).where(User.username == username))
            await group_grants.grant_group(db, await local_actor(db, org), group_id, user_id or "")

    run_local(work)
    console.print(f"{username} may use team {team}", markup=False)


@roles_app.command("list")
def roles_list(org: str = ORG) -> None:
    """List the org's roles."""

    async def work(platform: Platform) -> list[Role]:
        async with platform.db.session() as db:
            return await roles.list_roles(db, await local_actor(db, org))

    table = Table("id", "name", "capabilities", "tool rules")
    for role in run_local(work):
        table.add_row(role.id, role.name, ", ".join(role.capabilities), str(role.tool_rules or ""))
    console.print(table)


@roles_app.command("create")
def roles_create(
    name: str = typer.Argument(..., help="Role name."),
    instructions: str = typer.Option("", "--instructions", help="Added to the member's prompt."),
    capability: list[str] = typer.Option(
        [], "--capability", help="What the role can be asked for."
    ),
    block: list[str] = typer.Option([], "--block", help="A tool pattern the role may not use."),
    org: str = ORG,
) -> None:
    """Create a role."""
    spec = roles.RoleSpec(
        name=name,
        instructions=instructions,
        capabilities=capability,
        tool_rules=RoleRules(block=block),
    )

    async def work(platform: Platform) -> Role:
        async with platform.db.session() as db:
            return await roles.create_role(db, await local_actor(db, org), spec)

    console.print(f"created role {name} ({run_local(work).id})", markup=False)


@roles_app.command("delete")
def roles_delete(role: str = typer.Argument(..., help="Role id or name."), org: str = ORG) -> None:
    """Delete a role no member holds."""

    async def work(platform: Platform) -> None:
        async with platform.db.session() as db:
            actor = await local_actor(db, org)
            found = await roles.find_role(db, actor, role)
            await roles.delete_role(db, actor, found.id)

    run_local(work)
    console.print(f"deleted role {role}", markup=False)
