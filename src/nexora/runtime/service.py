"""Runs in the scope of an actor: create, read, list, events, cancel."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.agents.registry import AgentRegistry, AgentView
from nexora.auth.actor import Actor
from nexora.errors import InvalidInput, NotFound
from nexora.governance.capabilities import ApprovalKind, ApprovalStatus
from nexora.governance.quotas import QuotaGuard
from nexora.governance.usage_report import as_utc
from nexora.runtime.events import ACTIVE, Event, EventType, RunStatus
from nexora.runtime.notify import RUN_CANCELLED, RUN_QUEUED, Notifier
from nexora.storage.base import new_id, utcnow
from nexora.storage.models import Approval, ChatSession, Run, RunEvent

MAX_INPUT_CHARS = 200_000


def run_visible_to(actor: Actor) -> ColumnElement[bool]:
    """Admins see every run of their org; operators see their own."""
    if actor.is_admin:
        return Run.org_id == actor.org_id
    return (Run.org_id == actor.org_id) & (Run.user_id == actor.user_id)


def event_of(row: RunEvent) -> Event:
    return Event(row.run_id, row.seq, row.type, row.created_at, row.payload)


class RunService:
    def __init__(self, agents: AgentRegistry, notifier: Notifier, quotas: QuotaGuard) -> None:
        self.agents = agents
        self.notifier = notifier
        self.quotas = quotas

    async def create(
        self,
        db: AsyncSession,
        actor: Actor,
        agent_id: str,
        text: str,
        *,
        session: ChatSession | None = None,
        context: Sequence[dict[str, str]] = (),
        parent_run_id: str | None = None,
        view: AgentView | None = None,
        run_id: str | None = None,
        routing: dict[str, Any] | None = None,
    ) -> Run:
        """Queues a run; `view` is the agent as the caller just checked it (saves a lookup).
        A caller that records the run elsewhere in the same transaction (a playbook's stage)
        chooses its `run_id`; objects it added to `db` are committed with the run."""
        _check_input(text)
        if view is None or view.record.id != agent_id:
            view = await self.agents.find(db, actor, agent_id)
        await self.quotas.check(db, actor)  # 429 once the actor or their org is over a quota
        run = Run(
            id=run_id or new_id(),
            org_id=actor.org_id,
            agent_id=view.record.id,
            parent_run_id=parent_run_id,
            context=list(context),
        )
        return await self._queue(db, actor, run, text, session, routing)

    async def create_team_run(
        self,
        db: AsyncSession,
        actor: Actor,
        group_id: str,
        text: str,
        mode: str | None = None,
        *,
        session: ChatSession | None = None,
        routing: dict[str, Any] | None = None,
    ) -> Run:
        """Queues a team run: the group's members work on `text`, its lead decides. The actor
        must be able to use the group (404 another org's, 403 no grant); the group needs a
        lead and another member (422)."""
        from nexora.teams.access import get_group, members_of
        from nexora.teams.run.executor import team_context
        from nexora.teams.run.roster import MODES, check_shape

        _check_input(text)
        group = await get_group(db, actor, group_id)
        if mode is not None and mode not in MODES:
            raise InvalidInput(f"mode: must be one of {', '.join(MODES)}")
        members = await members_of(db, group.id)
        check_shape(members)
        lead = next(m for m in members if m.is_lead)
        await self.quotas.check(db, actor)
        chosen = mode or ("parallel" if group.default_mode == "parallel" else "serial")
        run = Run(
            id=new_id(),
            org_id=actor.org_id,
            agent_id=lead.agent_id,
            group_id=group.id,
            context=team_context(chosen),
        )
        return await self._queue(db, actor, run, text, session, routing)

    async def _queue(
        self,
        db: AsyncSession,
        actor: Actor,
        run: Run,
        text: str,
        session: ChatSession | None,
        routing: dict[str, Any] | None,
    ) -> Run:
        run.user_id = actor.user_id
        run.input = text
        run.session_id = session.id if session else None
        run.routing = routing
        run.status = RunStatus.PENDING
        db.add(run)
        if session is not None:
            session.updated_at = utcnow()
        await db.commit()
        await self.notifier.notify(RUN_QUEUED, run.id)
        return run

    async def children(self, db: AsyncSession, actor: Actor, run_id: str) -> list[Run]:
        """The runs this run started (team members' work, delegated sub-tasks), oldest first."""
        parent = await self.get(db, actor, run_id)
        rows = await db.scalars(
            select(Run)
            .where(Run.parent_run_id == parent.id, run_visible_to(actor))
            .order_by(Run.created_at, Run.id)
        )
        return list(rows)

    async def get(self, db: AsyncSession, actor: Actor, run_id: str) -> Run:
        run = await db.scalar(select(Run).where(Run.id == run_id, run_visible_to(actor)))
        if run is None:
            raise NotFound("run not found")
        return run

    async def search(
        self,
        db: AsyncSession,
        actor: Actor,
        *,
        session_id: str | None = None,
        agent_id: str | None = None,
        group_id: str | None = None,
        status: RunStatus | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[Run], int]:
        """Newest first; `since` (inclusive) and `until` (exclusive) bound the creation time."""
        since, until = as_utc(since), as_utc(until)
        if since is not None and until is not None and since >= until:
            raise InvalidInput("since: must be earlier than until")
        where: list[Any] = [run_visible_to(actor)]
        if session_id is not None:
            where.append(Run.session_id == session_id)
        if agent_id is not None:
            where.append(Run.agent_id == agent_id)
        if group_id is not None:
            where.append(Run.group_id == group_id)
        if status is not None:
            where.append(Run.status == status)
        if since is not None:
            where.append(Run.created_at >= since)
        if until is not None:
            where.append(Run.created_at < until)
        total = await db.scalar(select(func.count()).select_from(Run).where(*where)) or 0
        rows = await db.scalars(
            select(Run).where(*where).order_by(Run.created_at.desc()).offset(offset).limit(limit)
        )
        return list(rows), int(total)

    async def events(
        self,
        db: AsyncSession,
        actor: Actor,
        run_id: str,
        *,
        after: int = 0,
        limit: int = 500,
        types: Sequence[str] = (),
    ) -> list[Event]:
        await self.get(db, actor, run_id)
        return await stored_events(db, run_id, after=after, limit=limit, types=types)

    async def cancel(self, db: AsyncSession, actor: Actor, run_id: str) -> Run:
        run = await self.get(db, actor, run_id)
        if run.status not in ACTIVE:
            return run
        # A run no worker holds (queued, or waiting for approvals) ends here and now.
        pending = await db.execute(
            update(Run)
            .where(
                Run.id == run.id,
                Run.status.in_([RunStatus.PENDING, RunStatus.WAITING_APPROVAL]),
            )
            .values(
                status=RunStatus.CANCELLED,
                cancel_requested=True,
                finished_at=utcnow(),
                error="cancelled by request",
            )
            .execution_options(synchronize_session=False)
        )
        if pending.rowcount == 1:  # type: ignore[attr-defined]
            last = await db.scalar(select(func.max(RunEvent.seq)).where(RunEvent.run_id == run.id))
            db.add(
                RunEvent(
                    run_id=run.id,
                    seq=(last or 0) + 1,
                    type=EventType.RUN_CANCELLED,
                    created_at=utcnow(),
                    payload={"status": "cancelled"},
                )
            )
            await withdraw_tool_calls(db, run)
            await db.commit()
        else:
            await db.execute(
                update(Run)
                .where(Run.id == run.id)
                .values(cancel_requested=True)
                .execution_options(synchronize_session=False)
            )
            await db.commit()
            await self.notifier.notify(RUN_CANCELLED, run.id)
        await db.refresh(run)
        return run


def _check_input(text: str) -> None:
    if not text.strip():
        raise InvalidInput("input: must not be empty")
    if len(text) > MAX_INPUT_CHARS:
        raise InvalidInput(f"input: longer than {MAX_INPUT_CHARS} characters")


async def withdraw_tool_calls(db: AsyncSession, run: Run) -> None:
    """The calls a cancelled run waited on leave the approval queue."""
    await db.execute(
        update(Approval)
        .where(
            Approval.org_id == run.org_id,
            Approval.kind == ApprovalKind.TOOL_CALL,
            Approval.target == run.id,
            Approval.status == ApprovalStatus.PENDING,
        )
        .values(status=ApprovalStatus.EXPIRED, reason="the run was cancelled", updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


async def stored_events(
    db: AsyncSession, run_id: str, *, after: int = 0, limit: int = 500, types: Sequence[str] = ()
) -> list[Event]:
    query = select(RunEvent).where(RunEvent.run_id == run_id, RunEvent.seq > after)
    if types:
        query = query.where(RunEvent.type.in_(list(types)))
    rows = await db.scalars(query.order_by(RunEvent.seq).limit(limit))
    return [event_of(row) for row in rows]
