"""Chooses how one chat message is handled: the user's prefix, else the rules, else (when the
rules are unsure and a router model is configured) one short model call."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.agents.registry import AgentView
from nexora.auth.actor import Actor
from nexora.config import Settings
from nexora.errors import NexoraError
from nexora.routing.classifier import Route, classify
from nexora.routing.model import ask_router
from nexora.routing.overrides import parse_override
from nexora.runtime.steps import ModelHandle
from nexora.runtime.usage import Principal, UsageRecorder, current_principal
from nexora.storage.models import Group
from nexora.teams.access import get_group, members_of

log = logging.getLogger(__name__)

ChosenBy = Literal["rule", "model", "user"]


@dataclass(frozen=True, slots=True)
class Team:
    group_id: str
    name: str
    lead_agent_id: str


@dataclass(frozen=True, slots=True)
class RouteChoice:
    route: Route
    reason: str
    by: ChosenBy
    text: str  # the message the run gets, without any prefix
    scores: dict[str, float] = field(default_factory=dict)
    confirm: bool = False  # every tool call waits for the sender's confirmation
    deep: bool = False
    max_steps: int | None = None  # instead of the worker's run_max_steps
    team: Team | None = None

    def as_json(self) -> dict[str, Any]:
        """What the run records (`Run.routing`) and its `route.chosen` event carries."""
        data: dict[str, Any] = {"route": self.route, "reason": self.reason, "by": self.by}
        if self.scores:
            data["scores"] = self.scores
        if self.confirm:
            data["confirm"] = True
        if self.deep:
            data["deep"] = True
        if self.max_steps is not None:
            data["max_steps"] = self.max_steps
        if self.team is not None:
            data["group_id"] = self.team.group_id
            data["team"] = self.team.name
        return data


class Router:
    def __init__(self, settings: Settings, models: Any, usage: UsageRecorder) -> None:
        self.settings = settings
        self.models = models  # nexora.providers.resolver.ModelResolver
        self.usage = usage

    async def choose(
        self, db: AsyncSession, actor: Actor, view: AgentView, message: str
    ) -> RouteChoice:
        requested = parse_override(message)
        text = requested.text
        team = await self.team_of(db, actor, view)
        if requested.override == "fast":
            return RouteChoice("fast", "the user asked for /fast", "user", text)
        if requested.override == "confirm":
            return RouteChoice(
                "agent", "the user asked to confirm every tool call", "user", text, confirm=True
            )
        if requested.override == "deep":
            if team is not None:
                reason = f"the user asked for /deep: team {team.name!r}"
                return RouteChoice("team", reason, "user", text, deep=True, team=team)
            return RouteChoice(
                "agent",
                "the user asked for /deep; the agent has no team, so more steps",
                "user",
                text,
                deep=True,
                max_steps=self.settings.router_deep_max_steps,
            )
        if view.config.routing == "off":
            return RouteChoice("agent", "routing is off for this agent", "rule", text)
        found = classify(text, has_team=team is not None)
        route, reason, by = found.route, found.reason, "rule"
        if not found.confident and self.settings.router_model is not None:
            try:
                answer = await self._ask_model(db, actor, view, text, team is not None)
                route, reason, by = answer.route, answer.reason, "model"
            except Exception as exc:  # any failure of the model leaves the rules' choice
                log.info("router model failed, the rules decide: %s", exc)
                reason = f"{reason} (router model failed: {type(exc).__name__})"
        chosen: ChosenBy = "model" if by == "model" else "rule"
        return RouteChoice(
            route, reason, chosen, text, found.scores, team=team if route == "team" else None
        )

    async def _ask_model(
        self, db: AsyncSession, actor: Actor, view: AgentView, text: str, has_team: bool
    ) -> Any:
        resolved = await self.models.resolve(db, actor.org_id, self.settings.router_model)
        current_principal.set(Principal(actor.user_id, actor.org_id))
        return await ask_router(
            ModelHandle(resolved.provider, resolved.model_name, resolved.model),
            text,
            has_team=has_team,
            seconds=self.settings.router_timeout_seconds,
            usage=self.usage,
            agent_id=view.record.id,
        )

    async def team_of(self, db: AsyncSession, actor: Actor, view: AgentView) -> Team | None:
        """The agent's team when the caller may use it and it has members; else None (the
        message then goes to the agent alone)."""
        name = view.config.team
        if name is None:
            return None
        group_id = await db.scalar(
            select(Group.id).where(Group.org_id == view.record.org_id, Group.name == name)
        )
        if group_id is None:
            log.info("agent %s names team %r, which does not exist", view.record.id, name)
            return None
        try:
            group = await get_group(db, actor, group_id)
        except NexoraError:
            return None
        members = await members_of(db, group.id)
        if not members:
            return None
        lead = next((m for m in members if m.is_lead), members[0])
        return Team(group.id, group.name, lead.agent_id)
