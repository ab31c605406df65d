"""Which agents can do what: the capabilities an agent declares (its config's
`capabilities`) and those of the roles it holds in groups, among the agents a caller may use."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.agents.registry import AgentRegistry
from nexora.auth.actor import Actor
from nexora.errors import InvalidInput
from nexora.storage.models import GroupMember, Role


def normalize(capability: str) -> str:
    return " ".join(capability.lower().replace("_", " ").replace("-", " ").split())


@dataclass
class Candidate:
    agent_id: str
    name: str
    # Each capability, normalized, with the role that gives it (None: the agent's own).
    capabilities: dict[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Assignment:
    role: str  # as the request named it
    agent_id: str
    agent: str
    role_id: str | None  # the role the agent holds that gives it this capability

    def as_json(self) -> dict[str, str | None]:
        return {
            "role": self.role,
            "agent_id": self.agent_id,
            "agent": self.agent,
            "role_id": self.role_id,
        }


async def candidates(
    db: AsyncSession, actor: Actor, agents: AgentRegistry, exclude: frozenset[str] = frozenset()
) -> list[Candidate]:
    """The agents the actor may use (never others), with what each can do."""
    found = {
        view.record.id: Candidate(
            view.record.id,
            view.record.name,
            {normalize(c): None for c in view.config.capabilities},
        )
        for view in await agents.visible(db, actor)
        if view.record.id not in exclude
    }
    if not found:
        return []
    held = await db.execute(
        select(GroupMember.agent_id, Role.id, Role.name, Role.capabilities)
        .join(Role, Role.id == GroupMember.role_id)
        .where(GroupMember.org_id == actor.org_id, GroupMember.agent_id.in_(list(found)))
        .order_by(Role.name)
    )
    for agent_id, role_id, role_name, capabilities in held:
        # A role's name is a capability too: "tester" finds the agents holding that role.
        for capability in [role_name, *capabilities]:
            found[agent_id].capabilities.setdefault(normalize(capability), role_id)
    return sorted(found.values(), key=lambda c: c.name)


def known_capabilities(pool: list[Candidate]) -> list[str]:
    return sorted({c for candidate in pool for c in candidate.capabilities})


def assign(pool: list[Candidate], roles: list[str]) -> list[Assignment]:
    """One agent per role: one not yet chosen when there is one, the most specialised first
    (fewest capabilities), then by name. 422 when no agent can fill a role."""
    chosen: list[Assignment] = []
    used: set[str] = set()
    for role in roles:
        wanted = normalize(role)
        able = [c for c in pool if wanted in c.capabilities]
        if not able:
            raise InvalidInput(
                f"required_roles: no agent you may use can act as {role!r}",
                known=known_capabilities(pool),
            )
        able.sort(key=lambda c: (c.agent_id in used, len(c.capabilities), c.name))
        best = able[0]
        used.add(best.agent_id)
        chosen.append(Assignment(role, best.agent_id, best.name, best.capabilities[wanted]))
    return chosen
