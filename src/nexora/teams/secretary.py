"""The org's resident secretary: an agent that turns an objective into the roles it needs and
finds agents for them on its caller's behalf. Created the first time anyone dispatches."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import replace
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.agents.config import AgentSpec
from nexora.agents.registry import AgentRegistry, AgentView
from nexora.auth.actor import Actor, Role
from nexora.errors import Conflict, InvalidInput
from nexora.routing.classifier import ROLE_CUES
from nexora.runtime.steps import ModelHandle
from nexora.runtime.usage import Principal, UsageRecorder, current_principal
from nexora.storage.models import AgentRecord
from nexora.teams.selection import normalize

log = logging.getLogger(__name__)

SECRETARY = "secretary"
SECRETARY_PERSONA = (
    "You are the secretary of this organization. People give you an objective; you work out "
    "which roles it needs, pick the agents whose declared capabilities fit (only agents the "
    "person may use), put them together as a team, start the work and report the result back "
    "to where the request came from. You do not do the work yourself."
)
ROLES_TIMEOUT_SECONDS = 20.0
MAX_ROLES = 8
# What the rules look for when no model names the roles: the role cues of the router, each
# mapped to capability words an agent may declare for it.
_CUE_CAPABILITIES: dict[str, tuple[str, ...]] = {
    "product": ("product", "requirements", "product manager"),
    "design": ("design", "architecture"),
    "develop": ("development", "developer", "coding"),
    "test": ("testing", "qa", "tester"),
    "review": ("review", "reviewer", "code review"),
    "frontend": ("frontend",),
    "backend": ("backend",),
    "ops": ("operations", "ops"),
    "docs": ("docs", "documentation"),
}


class RolesAnswer(BaseModel):
    roles: list[str] = Field(min_length=1, max_length=MAX_ROLES)


async def ensure_secretary(db: AsyncSession, actor: Actor, agents: AgentRegistry) -> AgentView:
    """The org's secretary agent, created on first use."""
    found = await _secretary_id(db, actor.org_id)
    if found is None:
        spec = AgentSpec(
            name=SECRETARY,
            description="Dispatches objectives to teams of agents and reports back.",
            persona=SECRETARY_PERSONA,
            capabilities=["dispatch"],
        )
        # The org's own resident, not the caller's creation: made with an admin's authority
        # whatever the caller's role, and only ever with this fixed spec.
        try:
            return await agents.create(db, replace(actor, role=Role.ADMIN), spec)
        except Conflict:  # another request created it first
            found = await _secretary_id(db, actor.org_id)
            assert found is not None
    return await agents.for_run(db, actor.org_id, found)


async def _secretary_id(db: AsyncSession, org_id: str) -> str | None:
    return await db.scalar(
        select(AgentRecord.id).where(AgentRecord.org_id == org_id, AgentRecord.name == SECRETARY)
    )


async def roles_for(
    objective: str,
    known: list[str],
    model: ModelHandle | None,
    usage: UsageRecorder,
    actor: Actor,
    secretary_id: str,
) -> tuple[list[str], Literal["model", "rule"]]:
    """The roles an objective needs, named by the secretary's model among the capabilities
    on offer; by the rules when there is no model or it fails or names none of them."""
    if model is not None and known:
        try:
            roles = await _ask(objective, known, model, usage, actor, secretary_id)
            if roles:
                return roles, "model"
        except Exception as exc:  # the rules below still answer
            log.info("the secretary's model did not name roles: %s", exc)
    roles = roles_by_rules(objective, known)
    if not roles:
        raise InvalidInput(
            "required_roles: the objective does not say which roles it needs; name them",
            known=known,
        )
    return roles, "rule"


def roles_by_rules(objective: str, known: list[str]) -> list[str]:
    """Capabilities the objective names, and those its role cues point to, in the order the
    objective mentions them (the first becomes the team's lead)."""
    found: list[tuple[int, str]] = []
    for capability in known:
        named = re.search(rf"(?<!\w){re.escape(capability)}(?!\w)", objective, re.IGNORECASE)
        if named:
            found.append((named.start(), capability))
    for cue, pattern in ROLE_CUES.items():
        cued = pattern.search(objective)
        offered = [c for c in _CUE_CAPABILITIES.get(cue, ()) if c in known]
        if cued and offered:
            found.append((cued.start(), offered[0]))
    return list(dict.fromkeys(capability for _, capability in sorted(found)))[:MAX_ROLES]


async def _ask(
    objective: str,
    known: list[str],
    model: ModelHandle,
    usage: UsageRecorder,
    actor: Actor,
    secretary_id: str,
) -> list[str]:
    from pydantic_ai import Agent

    asker: Agent[None, RolesAnswer] = Agent(
        model.model, output_type=RolesAnswer, instructions=SECRETARY_PERSONA, retries=0
    )
    prompt = (
        "Which of these capabilities does the objective need? Answer with the fewest that "
        f"cover it, each exactly as listed.\nCapabilities: {', '.join(known)}\n"
        f"Objective:\n{objective[:4000]}"
    )
    result = await asyncio.wait_for(asker.run(prompt), timeout=ROLES_TIMEOUT_SECONDS)
    current_principal.set(Principal(actor.user_id, actor.org_id))
    usage.record(
        provider=model.provider,
        model=model.name,
        prompt_tokens=result.usage.input_tokens,
        completion_tokens=result.usage.output_tokens,
        agent_id=secretary_id,
    )
    offered = set(known)
    named = (normalize(role) for role in result.output.roles)
    return list(dict.fromkeys(role for role in named if role in offered))
