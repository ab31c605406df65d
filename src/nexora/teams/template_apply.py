"""Applies a team template to an org: creates the roles, agents, group and members that do
not exist yet, and leaves everything that does exist as it is (a second apply changes nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.agents.config import AgentSpec
from nexora.agents.registry import AgentRegistry
from nexora.auth.actor import Actor
from nexora.errors import Forbidden, NotFound
from nexora.storage.models import AgentRecord, Group, GroupMember, Playbook, Project, Role
from nexora.teams.groups import GroupSpec, MemberSpec, add_group, add_member_row
from nexora.teams.playbooks.definition import parse_fields
from nexora.teams.playbooks.store import create_playbook
from nexora.teams.templates import Template, get_template


@dataclass
class ApplyReport:
    template: str
    created: list[str] = field(default_factory=list)  # "role:tester", "agent:tester", ...
    existing: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created)

    def summary(self) -> str:
        if not self.changed:
            return f"template {self.template!r} is already applied: nothing to change"
        return f"template {self.template!r}: created {len(self.created)}, kept {len(self.existing)}"


async def apply_template(
    db: AsyncSession,
    actor: Actor,
    agents: AgentRegistry,
    name: str,
    project_id: str | None = None,
) -> ApplyReport:
    if not actor.is_admin:
        raise Forbidden("only an admin of this organization applies templates")
    template = get_template(name)
    if project_id is not None:
        project = await db.get(Project, project_id)
        if project is None or project.org_id != actor.org_id:
            raise NotFound("project not found")
    report = ApplyReport(template.name)
    roles = await _roles(db, actor, template, report)
    agent_ids = await _agents(db, actor, agents, template, project_id, report)
    await _group(db, actor, template, project_id, roles, agent_ids, report)
    await db.commit()
    await _playbook(db, actor, template, project_id, report)
    return report


async def _roles(
    db: AsyncSession, actor: Actor, template: Template, report: ApplyReport
) -> dict[str, str]:
    ids: dict[str, str] = {}
    for spec in template.roles:
        role = await db.scalar(
            select(Role).where(Role.org_id == actor.org_id, Role.name == spec.name)
        )
        if role is None:
            role = Role(
                org_id=actor.org_id,
                name=spec.name,
                description=spec.description,
                instructions=spec.instructions,
                tool_rules=spec.tool_rules.model_dump(),
                capabilities=list(spec.capabilities),
                created_by=actor.author_id,
            )
            db.add(role)
            await db.flush()
            report.created.append(f"role:{spec.name}")
        else:
            report.existing.append(f"role:{spec.name}")
        ids[spec.name] = role.id
    return ids


async def _agents(
    db: AsyncSession,
    actor: Actor,
    agents: AgentRegistry,
    template: Template,
    project_id: str | None,
    report: ApplyReport,
) -> dict[str, str]:
    ids: dict[str, str] = {}
    for spec in template.agents:
        found = await db.scalar(
            select(AgentRecord.id).where(
                AgentRecord.org_id == actor.org_id, AgentRecord.name == spec.name
            )
        )
        if found is not None:
            report.existing.append(f"agent:{spec.name}")
            ids[spec.name] = found
            continue
        view = await agents.create(
            db,
            actor,
            AgentSpec(
                name=spec.name,
                description=spec.description,
                persona=spec.persona,
                tools=spec.tools,
                tool_policy=spec.tool_policy,
                capabilities=spec.capabilities,
                project_id=project_id,
                # The lead is the team's way in: its chats may route to the team.
                team=template.group.name if spec.name == template.group.lead else None,
            ),
        )
        report.created.append(f"agent:{spec.name}")
        ids[spec.name] = view.record.id
    return ids


async def _group(
    db: AsyncSession,
    actor: Actor,
    template: Template,
    project_id: str | None,
    roles: dict[str, str],
    agent_ids: dict[str, str],
    report: ApplyReport,
) -> None:
    spec = template.group
    members = [
        MemberSpec(
            agent_id=agent_ids[member],
            role=roles[template.role_of(member)],
            is_lead=member == spec.lead,
            position=position,
        )
        for position, member in enumerate(spec.members)
    ]
    group = await db.scalar(
        select(Group).where(Group.org_id == actor.org_id, Group.name == spec.name)
    )
    if group is None:
        group_spec = GroupSpec(
            name=spec.name,
            description=spec.description,
            default_mode=spec.default_mode,
            project_id=project_id,
            members=members,
        )
        await add_group(db, actor, group_spec)
        report.created.append(f"group:{spec.name}")
        report.created += [f"member:{spec.name}/{member}" for member in spec.members]
        return
    report.existing.append(f"group:{spec.name}")
    present = set(
        await db.scalars(select(GroupMember.agent_id).where(GroupMember.group_id == group.id))
    )
    for member, member_spec in zip(spec.members, members, strict=True):
        label = f"member:{spec.name}/{member}"
        if member_spec.agent_id in present:
            report.existing.append(label)
        else:
            await add_member_row(db, actor, group, member_spec)
            report.created.append(label)


async def _playbook(
    db: AsyncSession,
    actor: Actor,
    template: Template,
    project_id: str | None,
    report: ApplyReport,
) -> None:
    """The template's playbook, saved through the playbook store, for the template's team."""
    if template.playbook is None:
        return
    name = template.playbook.name
    exists = await db.scalar(
        select(Playbook.id).where(Playbook.org_id == actor.org_id, Playbook.name == name)
    )
    if exists is not None:
        report.existing.append(f"playbook:{name}")
        return
    definition = parse_fields(
        {**template.playbook.model_dump(exclude_none=True), "team": template.group.name}
    )
    await create_playbook(db, actor, definition, definition.to_yaml(), project_id)
    report.created.append(f"playbook:{name}")
