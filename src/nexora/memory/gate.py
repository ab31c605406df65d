"""Who may see and change which memory through the API and the CLI.

People reach an agent's memory only through an agent they may use (404 for another org's,
403 without a grant, as for runs). Within it, everyone sees what is shared by the agent's
users and their own private items and blocks; org admins see everyone's. What is not visible
is reported as missing, so ids of other people's memory reveal nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from nexora.agents.registry import AgentRegistry, AgentView
from nexora.auth.actor import Actor
from nexora.governance.audit import AuditLog, RequestContext


@dataclass
class Gate:
    agents: AgentRegistry
    audit: AuditLog

    async def agent(self, db: AsyncSession, actor: Actor, agent_id: str) -> AgentView:
        """The agent whose memory the actor wants, if they may use it (by id or name)."""
        return await self.agents.find(db, actor, agent_id)

    @staticmethod
    def sees(actor: Actor, owner_id: str | None) -> bool:
        """Whether the actor may see memory private to `owner_id` (None: shared)."""
        return owner_id is None or owner_id == actor.user_id or actor.is_admin

    @staticmethod
    def visible_owners(
        actor: Actor, column: InstrumentedAttribute[str | None]
    ) -> ColumnElement[bool] | None:
        """The filter `sees` is, for queries; None when the actor sees everyone's."""
        if actor.is_admin:
            return None
        return or_(column.is_(None), column == actor.user_id)

    def record(
        self,
        actor: Actor,
        action: str,
        resource_type: str,
        resource_id: str,
        request: RequestContext | None,
        **detail: Any,
    ) -> None:
        self.audit.record(
            action,
            actor=actor,
            resource_type=resource_type,
            resource_id=resource_id,
            request=request,
            detail=detail,
        )
