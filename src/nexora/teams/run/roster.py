"""A team as one run sees it: the lead and the other members, each in its seat (agent, role,
role instructions and tool rules), read when the run starts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.errors import InvalidInput, NotFound
from nexora.runtime.tooling import RunExtras
from nexora.storage.models import AgentRecord, Group, GroupMember, Role
from nexora.teams.access import members_of
from nexora.tools.policy import RoleRules

Mode = Literal["serial", "parallel"]
MODES: tuple[Mode, ...] = ("serial", "parallel")


@dataclass(frozen=True, slots=True)
class Seat:
    member_id: str
    agent_id: str
    agent_name: str
    role: str  # the role's name; "lead" or "member" for a member without a role
    instructions: str
    rules: RoleRules | None

    def extras(self, group_id: str) -> RunExtras:
        return RunExtras(self.instructions, self.rules, group_id)

    def payload(self) -> dict[str, Any]:
        """How events name the member."""
        return {
            "member_id": self.member_id,
            "agent_id": self.agent_id,
            "agent": self.agent_name,
            "role": self.role,
        }


@dataclass(frozen=True, slots=True)
class Roster:
    group: Group
    lead: Seat
    members: list[Seat]  # in `position` order, without the lead


def check_shape(members: list[GroupMember]) -> None:
    """A team can run when it has one lead and at least one other member."""
    leads = [m for m in members if m.is_lead]
    if len(leads) != 1:
        raise InvalidInput("the team needs exactly one lead to run")
    if len(members) < 2:
        raise InvalidInput("the team needs at least one member besides its lead to run")


async def load_roster(session: AsyncSession, group_id: str) -> Roster:
    group = await session.get(Group, group_id)
    if group is None:
        raise NotFound("the run's team no longer exists")
    members = await members_of(session, group_id)
    check_shape(members)
    role_ids = {m.role_id for m in members if m.role_id is not None}
    roles = {
        role.id: role for role in await session.scalars(select(Role).where(Role.id.in_(role_ids)))
    }
    rows = await session.execute(
        select(AgentRecord.id, AgentRecord.name).where(
            AgentRecord.id.in_([m.agent_id for m in members])
        )
    )
    names: dict[str, str] = {agent_id: name for agent_id, name in rows}
    seats = [
        _seat(m, roles.get(m.role_id or ""), names.get(m.agent_id, m.agent_id)) for m in members
    ]
    lead = next(seat for seat, m in zip(seats, members, strict=True) if m.is_lead)
    others = [seat for seat, m in zip(seats, members, strict=True) if not m.is_lead]
    return Roster(group, lead, others)


def _seat(member: GroupMember, role: Role | None, agent_name: str) -> Seat:
    default = "lead" if member.is_lead else "member"
    if role is None:
        return Seat(member.id, member.agent_id, agent_name, default, "", None)
    try:
        rules = RoleRules.model_validate(role.tool_rules) if role.tool_rules else None
    except ValidationError as exc:
        raise InvalidInput(f"role {role.name!r}: its tool_rules are not valid: {exc}") from exc
    return Seat(member.id, member.agent_id, agent_name, role.name, role.instructions, rules)
