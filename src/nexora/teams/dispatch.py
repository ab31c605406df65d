"""Dispatch: an objective handed to the org's secretary, who picks agents by capability among
those the caller may use, assembles (or reuses) their team, starts the work and, when it ends,
keeps the result and reports it to where the request asked (`reply_to`)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.agents.registry import AgentRegistry
from nexora.auth.actor import Actor
from nexora.channels.base import Outbound
from nexora.channels.outbox import enqueue
from nexora.config import Settings
from nexora.errors import InvalidInput, NexoraError, NotFound
from nexora.governance.usage_report import as_utc
from nexora.runtime.events import TERMINAL, RunStatus
from nexora.runtime.service import RunService
from nexora.runtime.steps import ModelHandle
from nexora.runtime.usage import UsageRecorder
from nexora.storage.db import Database
from nexora.storage.models import Channel, Dispatch, Group, Playbook, PlaybookRun, Run
from nexora.teams.access import members_of
from nexora.teams.assemble import team_for
from nexora.teams.playbooks.control import ENDED, start_playbook_run
from nexora.teams.playbooks.engine import PlaybookEngine
from nexora.teams.secretary import ensure_secretary, roles_for
from nexora.teams.selection import assign, candidates, known_capabilities

log = logging.getLogger(__name__)

REPLY_API = "api"
# "channel:<channel_id>:<conversation>": the result is posted in that chat.
REPLY_CHANNEL = "channel:"


class DispatchService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        agents: AgentRegistry,
        runs: RunService,
        models: Any,  # nexora.providers.resolver.ModelResolver
        usage: UsageRecorder,
        playbooks: PlaybookEngine,
    ) -> None:
        self.playbooks = playbooks
        self.db = db
        self.settings = settings
        self.agents = agents
        self.runs = runs
        self.models = models
        self.usage = usage

    async def create(
        self,
        db: AsyncSession,
        actor: Actor,
        objective: str,
        required_roles: list[str] | None = None,
        playbook: str | None = None,
        reply_to: str = REPLY_API,
    ) -> Dispatch:
        if reply_to.startswith(REPLY_CHANNEL):
            await _reply_channel(db, actor, reply_to)
        elif reply_to != REPLY_API and urlsplit(reply_to).scheme not in ("http", "https"):
            raise InvalidInput("reply_to: 'api', an http(s) URL or 'channel:<id>:<conversation>'")
        chosen_playbook = await _playbook_named(db, actor, playbook) if playbook else None
        secretary = await ensure_secretary(db, actor, self.agents)
        pool = await candidates(db, actor, self.agents, exclude=frozenset({secretary.record.id}))
        if required_roles:
            roles, roles_by = list(dict.fromkeys(required_roles)), "caller"
        else:
            model = await self._model(db, actor, secretary.config.model)
            roles, roles_by = await roles_for(
                objective, known_capabilities(pool), model, self.usage, actor, secretary.record.id
            )
        assignments = assign(pool, roles)
        group, _ = await team_for(db, actor, assignments, objective)
        dispatch = Dispatch(
            org_id=actor.org_id,
            user_id=actor.user_id,
            objective=objective,
            assignments=[a.as_json() for a in assignments],
            roles_by=roles_by,
            playbook=playbook,
            group_id=group.id,
            reply_to=reply_to,
            status="running",
        )
        db.add(dispatch)
        await db.flush()
        await self._start(db, actor, dispatch, group, assignments[0].agent_id, chosen_playbook)
        await db.commit()
        return dispatch

    async def _start(
        self,
        db: AsyncSession,
        actor: Actor,
        dispatch: Dispatch,
        group: Group,
        lead_id: str,
        playbook: Playbook | None,
    ) -> None:
        """Starts the work: the playbook on the team, else a team run (a plain run when the
        team is one agent). What cannot start is recorded as `not_started`, with why."""
        try:
            if playbook is not None:
                started = await start_playbook_run(
                    db, self.playbooks, actor, playbook, dispatch.objective, group_id=group.id
                )
                dispatch.playbook_run_id = started.id
            elif len(await members_of(db, group.id)) > 1:
                run = await self.runs.create_team_run(db, actor, group.id, dispatch.objective)
                dispatch.run_id = run.id
            else:
                run = await self.runs.create(db, actor, lead_id, dispatch.objective)
                dispatch.run_id = run.id
        except NexoraError as exc:
            dispatch.status = "not_started"
            dispatch.error = f"could not start: {exc.detail}"

    async def get(self, db: AsyncSession, actor: Actor, dispatch_id: str) -> Dispatch:
        dispatch = await db.get(Dispatch, dispatch_id)
        if (
            dispatch is None
            or dispatch.org_id != actor.org_id
            or (not actor.is_admin and dispatch.user_id != actor.user_id)
        ):
            raise NotFound("dispatch not found")
        if dispatch.status == "running":
            await self._settle(db, dispatch)
            await db.commit()
        return dispatch

    async def settle_all(self) -> int:
        """Keeps the result of every dispatch whose work has ended and reports it; the
        platform calls this every few seconds."""
        settled = 0
        async with self.db.session() as db:
            running = await db.scalars(
                select(Dispatch).where(Dispatch.status == "running").limit(200)
            )
            for dispatch in list(running):
                settled += await self._settle(db, dispatch)
            await db.commit()
        return settled

    async def _settle(self, db: AsyncSession, dispatch: Dispatch) -> bool:
        if dispatch.playbook_run_id is not None:
            flow = await db.get(PlaybookRun, dispatch.playbook_run_id)
            if flow is None or flow.status not in ENDED:
                return False
            dispatch.status = "completed" if flow.status == "completed" else "failed"
            dispatch.result = flow.result_summary
            dispatch.error = None if flow.status == "completed" else f"playbook {flow.status}"
        else:
            run = await db.get(Run, dispatch.run_id) if dispatch.run_id else None
            if run is None or run.status not in TERMINAL:
                return False
            dispatch.status = "completed" if run.status == RunStatus.COMPLETED else "failed"
            dispatch.result = run.output
            dispatch.error = run.error
        if dispatch.reply_to.startswith(REPLY_CHANNEL):
            channel_id, conversation = _channel_target(dispatch.reply_to)
            text = dispatch.result or f"The objective was not reached: {dispatch.error}"
            message = Outbound(conversation_id=conversation, text=text)
            await enqueue(db, channel_id, message, key=f"dispatch:{dispatch.id}")
            dispatch.delivery = "queued to the channel"
        elif dispatch.reply_to != REPLY_API:
            dispatch.delivery = await self._deliver(dispatch)
        return True

    async def _deliver(self, dispatch: Dispatch) -> str:
        from nexora.tools.builtin.web_fetch import post_json

        try:
            status = await post_json(
                dispatch.reply_to,
                public(dispatch),
                frozenset(self.settings.web_allowed_hosts),
            )
        except NexoraError as exc:
            return f"failed: {exc.detail}"[:500]
        except Exception as exc:
            return f"failed: {type(exc).__name__}: {exc}"[:500]
        return f"delivered (HTTP {status})" if status < 400 else f"failed: HTTP {status}"

    async def _model(self, db: AsyncSession, actor: Actor, ref: str | None) -> ModelHandle | None:
        try:
            resolved = await self.models.resolve(db, actor.org_id, ref)
        except NexoraError as exc:
            log.info("the secretary has no model, the rules name the roles: %s", exc.detail)
            return None
        return ModelHandle(resolved.provider, resolved.model_name, resolved.model)


def public(dispatch: Dispatch) -> dict[str, Any]:
    """A dispatch as the API shows it and the webhook receives it."""
    return {
        "id": dispatch.id,
        "objective": dispatch.objective,
        "status": dispatch.status,
        "assignments": dispatch.assignments,
        "roles_by": dispatch.roles_by,
        "playbook": dispatch.playbook,
        "group_id": dispatch.group_id,
        "run_id": dispatch.run_id,
        "playbook_run_id": dispatch.playbook_run_id,
        "reply_to": dispatch.reply_to,
        "result": dispatch.result,
        "error": dispatch.error,
        "delivery": dispatch.delivery,
        "created_at": _iso(dispatch.created_at),
        "updated_at": _iso(dispatch.updated_at),
    }


def _iso(moment: datetime | None) -> str | None:
    aware = as_utc(moment)  # SQLite gives stored times back without their zone
    return aware.isoformat() if aware else None


def _channel_target(reply_to: str) -> tuple[str, str]:
    _, channel_id, conversation = [*reply_to.split(":", 2), "", ""][:3]
    return channel_id, conversation


async def _reply_channel(db: AsyncSession, actor: Actor, reply_to: str) -> None:
    channel_id, conversation = _channel_target(reply_to)
    channel = await db.get(Channel, channel_id)
    if channel is None or channel.org_id != actor.org_id or not conversation:
        raise InvalidInput("reply_to: 'channel:<id>:<conversation>' of a channel of this org")


async def _playbook_named(db: AsyncSession, actor: Actor, name: str) -> Playbook:
    playbook = await db.scalar(
        select(Playbook).where(
            Playbook.org_id == actor.org_id, (Playbook.name == name) | (Playbook.id == name)
        )
    )
    if playbook is None:
        raise InvalidInput(f"playbook: no playbook {name!r} in this organization")
    return playbook
