"""The run queue in the database: claims with leases, heartbeats and fencing.

A claim bumps the run's `lease_epoch`; every later write by that worker checks it still owns
the run at that epoch, so a worker that stalled past its lease cannot overwrite the work of
the one that took over.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.runtime.events import RunStatus
from nexora.storage.base import utcnow
from nexora.storage.db import Database
from nexora.storage.models import Run

# Serialises claims on PostgreSQL so concurrency limits hold across processes.
_CLAIM_LOCK_KEY = 7_262_001


class LeaseLost(Exception):
    """Another worker owns this run now; stop touching it."""


@dataclass(frozen=True, slots=True)
class Lease:
    run_id: str
    org_id: str
    owner: str
    epoch: int


@dataclass(frozen=True, slots=True)
class Limits:
    global_running: int | None
    per_org_running: int | None


class RunQueue:
    def __init__(self, db: Database, owner: str, lease_seconds: float, limits: Limits) -> None:
        self.db = db
        self.owner = owner
        self.lease_seconds = lease_seconds
        self.limits = limits
        self._local_claim_lock = asyncio.Lock()

    def _claimable(self, now: object) -> object:
        return and_(
            Run.cancel_requested.is_(False),
            or_(
                Run.status == RunStatus.PENDING,
                and_(Run.status == RunStatus.RUNNING, Run.lease_expires_at < now),
            ),
        )

    async def claim(self, run_id: str | None = None) -> Lease | None:
        """Claims the oldest claimable run (or `run_id` only) within the concurrency limits."""
        async with self._local_claim_lock, self.db.session() as session:
            if not self.db.is_sqlite:
                await session.execute(text(f"SELECT pg_advisory_xact_lock({_CLAIM_LOCK_KEY})"))
            now = utcnow()
            live = and_(Run.status == RunStatus.RUNNING, Run.lease_expires_at >= now)
            if self.limits.global_running is not None:
                running = await session.scalar(select(func.count()).where(live))
                if (running or 0) >= self.limits.global_running:
                    await session.commit()
                    return None
            query = select(Run.id, Run.org_id, Run.lease_epoch).where(
                self._claimable(now)  # type: ignore[arg-type]
            )
            if run_id is not None:
                query = query.where(Run.id == run_id)
            candidates = (await session.execute(query.order_by(Run.created_at).limit(50))).all()
            org_running: dict[str, int] = {}
            if self.limits.per_org_running is not None and candidates:
                rows = await session.execute(
                    select(Run.org_id, func.count())
                    .where(live, Run.org_id.in_({c.org_id for c in candidates}))
                    .group_by(Run.org_id)
                )
                org_running = {org: count for org, count in rows.all()}
            for candidate in candidates:
                limit = self.limits.per_org_running
                if limit is not None and org_running.get(candidate.org_id, 0) >= limit:
                    continue
                claimed = await session.execute(
                    update(Run)
                    .where(
                        Run.id == candidate.id,
                        Run.lease_epoch == candidate.lease_epoch,
                        self._claimable(now),  # type: ignore[arg-type]
                    )
                    .values(
                        status=RunStatus.RUNNING,
                        lease_owner=self.owner,
                        lease_epoch=candidate.lease_epoch + 1,
                        lease_expires_at=now + timedelta(seconds=self.lease_seconds),
                        attempts=Run.attempts + 1,
                        started_at=func.coalesce(Run.started_at, now),
                        updated_at=now,
                    )
                    .execution_options(synchronize_session=False)
                )
                if claimed.rowcount == 1:  # type: ignore[attr-defined]
                    await session.commit()
                    return Lease(
                        candidate.id, candidate.org_id, self.owner, candidate.lease_epoch + 1
                    )
            await session.commit()
            return None

    async def fence(self, session: AsyncSession, lease: Lease) -> None:
        """First statement of every write transaction a worker makes for a run."""
        result = await session.execute(
            update(Run)
            .where(
                Run.id == lease.run_id,
                Run.lease_owner == lease.owner,
                Run.lease_epoch == lease.epoch,
            )
            .values(updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise LeaseLost(lease.run_id)

    async def heartbeat(self, leases: list[Lease]) -> tuple[set[str], set[str]]:
        """Extends the leases; returns (runs whose lease was lost, runs asked to cancel)."""
        if not leases:
            return set(), set()
        lost: set[str] = set()
        now = utcnow()
        async with self.db.session() as session:
            for lease in leases:
                result = await session.execute(
                    update(Run)
                    .where(
                        Run.id == lease.run_id,
                        Run.lease_owner == lease.owner,
                        Run.lease_epoch == lease.epoch,
                    )
                    .values(lease_expires_at=now + timedelta(seconds=self.lease_seconds))
                    .execution_options(synchronize_session=False)
                )
                if result.rowcount != 1:  # type: ignore[attr-defined]
                    lost.add(lease.run_id)
            cancelled = set(
                await session.scalars(
                    select(Run.id).where(
                        Run.id.in_([lease.run_id for lease in leases]),
                        Run.cancel_requested.is_(True),
                    )
                )
            )
            await session.commit()
        return lost, cancelled

    async def release(self, lease: Lease) -> None:
        """Hands a run back (process shutting down) so another worker resumes it at once."""
        async with self.db.session() as session:
            await session.execute(
                update(Run)
                .where(
                    Run.id == lease.run_id,
                    Run.lease_owner == lease.owner,
                    Run.lease_epoch == lease.epoch,
                )
                .values(status=RunStatus.PENDING, lease_owner=None, lease_expires_at=None)
                .execution_options(synchronize_session=False)
            )
            await session.commit()
