"""Chat on top of runs: one active run per session; a second message attaches to it.

While the session's run waits for tool-call approval, `/confirm` (`/确认`) and `/deny [reason]`
decide the calls the sender may decide (the policy says who: the run's user, or only an admin).
Otherwise each message that starts a run is routed first (`nexora.routing`): a direct answer,
the agent with its tools, or the agent's team; `/confirm <text>` then asks for a run whose
every tool call waits for the sender.
"""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.agents.registry import AgentView
from nexora.auth.actor import Actor
from nexora.errors import InvalidInput, NotFound
from nexora.governance.approvals import Approvals
from nexora.governance.audit import RequestContext
from nexora.routing.router import Router
from nexora.runtime.events import ACTIVE, RunStatus
from nexora.runtime.service import RunService
from nexora.storage.models import ChatSession, Run


@dataclass(frozen=True, slots=True)
class ChatTurn:
    run: Run
    session: ChatSession
    attached: bool


@dataclass(frozen=True, slots=True)
class SessionMessage:
    role: str
    content: str
    run_id: str
    status: str
    created_at: Any


_DECISION = re.compile(r"^/(confirm|deny|确认)(?:\b|(?<=确认))\s*(.*)$", re.DOTALL)


def is_decision(message: str) -> bool:
    """Whether the message decides waiting tool calls (when something waits) or asks for a run
    whose calls all wait, rather than being a new request."""
    return _DECISION.match(message.strip()) is not None


class ChatService:
    def __init__(
        self, runs: RunService, approvals: Approvals, router: Router | None = None
    ) -> None:
        self.runs = runs
        self.approvals = approvals
        self.router = router
        # Serialises attach-or-start per session within a process.
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def send(
        self,
        db: AsyncSession,
        actor: Actor,
        agent_id: str | None,
        session_id: str | None,
        message: str,
        channel: str = "console",
        request: RequestContext | None = None,
    ) -> ChatTurn:
        decision = _DECISION.match(message.strip())
        if decision is not None and (
            decision[1] == "deny"
            or not decision[2].strip()
            or await self._waiting(db, actor, session_id) is not None
        ):
            return await self._decide(db, actor, session_id, decision, request)
        view = None
        if session_id is None:
            if agent_id is None:
                raise InvalidInput("agent_id: required to start a new session")
            view = await self.runs.agents.find(db, actor, agent_id)
            chat = ChatSession(
                org_id=actor.org_id, agent_id=view.record.id, user_id=actor.user_id, channel=channel
            )
            db.add(chat)
            await db.flush()
        else:
            chat = await self.session(db, actor, session_id)
            if agent_id is not None and agent_id != chat.agent_id:
                raise InvalidInput("agent_id: this session belongs to another agent")
        async with self._locks[chat.id]:
            active = await self.active_run(db, chat.id)
            if active is not None:
                await db.commit()
                return ChatTurn(active, chat, attached=True)
            run = await self._start(db, actor, chat, message, view)
        return ChatTurn(run, chat, attached=False)

    async def _start(
        self,
        db: AsyncSession,
        actor: Actor,
        chat: ChatSession,
        message: str,
        view: AgentView | None,
    ) -> Run:
        if self.router is None:
            return await self.runs.create(
                db, actor, chat.agent_id, message, session=chat, view=view
            )
        if view is None:
            view = await self.runs.agents.find(db, actor, chat.agent_id)
        choice = await self.router.choose(db, actor, view, message)
        if choice.team is not None:
            # A team run: the members work on it, the lead answers for the group.
            return await self.runs.create_team_run(
                db,
                actor,
                choice.team.group_id,
                choice.text,
                session=chat,
                routing=choice.as_json(),
            )
        return await self.runs.create(
            db, actor, chat.agent_id, choice.text, session=chat, view=view, routing=choice.as_json()
        )

    async def _waiting(self, db: AsyncSession, actor: Actor, session_id: str | None) -> Run | None:
        """The session's run when it waits for tool-call decisions."""
        if session_id is None:
            return None
        active = await self.active_run(db, (await self.session(db, actor, session_id)).id)
        if active is None or active.status != RunStatus.WAITING_APPROVAL:
            return None
        return active

    async def _decide(
        self,
        db: AsyncSession,
        actor: Actor,
        session_id: str | None,
        command: re.Match[str],
        request: RequestContext | None,
    ) -> ChatTurn:
        if session_id is None:
            raise InvalidInput(f"/{command[1]}: answers a running session; send its session_id")
        chat = await self.session(db, actor, session_id)
        active = await self.active_run(db, chat.id)
        if active is None or active.status != RunStatus.WAITING_APPROVAL:
            raise InvalidInput(f"/{command[1]}: nothing in this session waits for a decision")
        approve = command[1] != "deny"
        reason = command[2].strip()[:2000] or None
        await self.approvals.decide_run(db, actor, active.id, approve, reason, request)
        await db.refresh(active)
        return ChatTurn(active, chat, attached=True)

    async def active_run(self, db: AsyncSession, session_id: str) -> Run | None:
        return await db.scalar(
            select(Run)
            .where(Run.session_id == session_id, Run.status.in_([s.value for s in ACTIVE]))
            .order_by(Run.created_at.desc())
            .limit(1)
        )

    async def stop(self, db: AsyncSession, actor: Actor, session_id: str) -> Run | None:
        chat = await self.session(db, actor, session_id)
        active = await self.active_run(db, chat.id)
        if active is None:
            return None
        return await self.runs.cancel(db, actor, active.id)

    async def session(self, db: AsyncSession, actor: Actor, session_id: str) -> ChatSession:
        chat = await db.get(ChatSession, session_id)
        if chat is None or chat.org_id != actor.org_id or chat.user_id != actor.user_id:
            raise NotFound("session not found")
        return chat

    async def sessions(
        self, db: AsyncSession, actor: Actor, agent_id: str | None, offset: int, limit: int
    ) -> tuple[list[ChatSession], int]:
        where = [ChatSession.org_id == actor.org_id, ChatSession.user_id == actor.user_id]
        if agent_id is not None:
            where.append(ChatSession.agent_id == agent_id)
        total = await db.scalar(select(func.count()).select_from(ChatSession).where(*where)) or 0
        rows = await db.scalars(
            select(ChatSession)
            .where(*where)
            .order_by(ChatSession.updated_at.desc())
            .offset(offset)
            .limit(limit)
        )
        return list(rows), int(total)

    async def messages(
        self, db: AsyncSession, actor: Actor, session_id: str
    ) -> list[SessionMessage]:
        """A session's messages are its runs: the input, then the answer once there is one."""
        chat = await self.session(db, actor, session_id)
        runs = await db.scalars(
            select(Run).where(Run.session_id == chat.id).order_by(Run.created_at)
        )
        messages: list[SessionMessage] = []
        for run in runs:
            messages.append(SessionMessage("user", run.input, run.id, run.status, run.created_at))
            if run.output is not None:
                finished = run.finished_at or run.updated_at
                messages.append(
                    SessionMessage("assistant", run.output, run.id, run.status, finished)
                )
        return messages
