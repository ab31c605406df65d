"""Token and cost quotas per user and per org: what is used, and whether a run may go on.

Days and months are UTC. Usage is what `token_usage` holds for the window plus, for a run in
progress, that run's own counters in `runs`: usage rows arrive through a background writer,
so they may lag, whereas the run's counters are written with each step's checkpoint. The run's
own rows are left out of the sum so nothing is counted twice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor
from nexora.errors import Conflict, TooManyRequests
from nexora.governance.audit import AuditLog
from nexora.governance.prices import load_prices
from nexora.storage.base import utcnow
from nexora.storage.db import Database
from nexora.storage.models import Org, Quota, Run, TokenUsage, User
from nexora.tenancy.orgs import get_managed_org
from nexora.tenancy.users import get_user


class QuotaExceeded(TooManyRequests):
    """A user or org has reached one of its limits; the detail names it and when it resets."""

    title = "Quota exceeded"


class QuotaLimits(BaseModel):
    """Limits of a user or an org; None means no limit. Costs are estimates, in USD."""

    daily_tokens: int | None = Field(default=None, ge=0)
    monthly_tokens: int | None = Field(default=None, ge=0)
    monthly_cost: float | None = Field(default=None, ge=0)

    def any(self) -> bool:
        return any(
            v is not None for v in (self.daily_tokens, self.monthly_tokens, self.monthly_cost)
        )


def quota_limits(quota: Quota | None) -> QuotaLimits:
    if quota is None:
        return QuotaLimits()
    return QuotaLimits(
        daily_tokens=quota.daily_tokens,
        monthly_tokens=quota.monthly_tokens,
        monthly_cost=quota.monthly_cost,
    )


@dataclass(frozen=True, slots=True)
class Windows:
    """The UTC day and month a moment falls in, as [start, end) bounds."""

    day_start: datetime
    day_end: datetime
    month_start: datetime
    month_end: datetime

    @classmethod
    def at(cls, now: datetime) -> Windows:
        now = now.astimezone(UTC)
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        month = day.replace(day=1)
        next_month = (month + timedelta(days=32)).replace(day=1)
        return cls(day, day + timedelta(days=1), month, next_month)


@dataclass(frozen=True, slots=True)
class Consumption:
    """What a user or org has used in the current UTC day and month."""

    day_tokens: int = 0
    month_tokens: int = 0
    month_cost: float = 0.0


@dataclass(frozen=True, slots=True)
class Breach:
    """The first limit a user or org has reached."""

    scope: str  # "user" or "org"
    scope_id: str
    limit: str  # "daily_tokens", "monthly_tokens" or "monthly_cost"
    limit_value: float
    used: float
    resets_at: datetime

    def message(self, name: str) -> str:
        period = "daily" if self.limit == "daily_tokens" else "monthly"
        if self.limit == "monthly_cost":
            what = f"cost quota exceeded: {period} limit of ${self.limit_value:.2f} (estimated)"
        else:
            what = f"token quota exceeded: {period} limit of {int(self.limit_value)} tokens"
        resets = self.resets_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{what} for {self.scope} {name} reached; it resets at {resets}"

    def retry_after(self, now: datetime) -> int:
        return max(1, math.ceil((self.resets_at - now).total_seconds()))

    def audit_detail(self) -> dict[str, object]:
        return {
            "scope": self.scope,
            "scope_id": self.scope_id,
            "limit": self.limit,
            "limit_value": self.limit_value,
            "used": self.used,
            "resets_at": self.resets_at.isoformat(),
        }


async def consumption(
    db: AsyncSession,
    org_id: str,
    user_id: str | None,
    windows: Windows,
    *,
    run_id: str | None = None,
    with_cost: bool = True,
) -> Consumption:
    """Usage of a user (or, with `user_id` None, a whole org) in the current day and month.

    With `run_id`, that run is counted from its own counters instead of its usage rows.
    One grouped query on an indexed (owner, created_at) range, plus a lookup by primary key.
    """
    where: list[ColumnElement[bool]] = [
        TokenUsage.org_id == org_id,
        TokenUsage.created_at >= windows.month_start,
        TokenUsage.created_at < windows.month_end,
    ]
    if user_id is not None:
        where.append(TokenUsage.user_id == user_id)
    if run_id is not None:
        where.append(or_(TokenUsage.run_id.is_(None), TokenUsage.run_id != run_id))
    today = case((TokenUsage.created_at >= windows.day_start, TokenUsage.total_tokens), else_=0)
    rows = await db.execute(
        select(
            TokenUsage.provider,
            TokenUsage.model,
            func.sum(today),
            func.sum(TokenUsage.prompt_tokens),
            func.sum(TokenUsage.completion_tokens),
        )
        .where(*where)
        .group_by(TokenUsage.provider, TokenUsage.model)
    )
    # (provider, model, tokens today, prompt this month, completion this month)
    parts = [(str(p), str(m), int(d or 0), int(pt or 0), int(ct or 0)) for p, m, d, pt, ct in rows]
    if run_id is not None:
        run = (
            await db.execute(
                select(Run.model, Run.prompt_tokens, Run.completion_tokens).where(Run.id == run_id)
            )
        ).first()
        if run is not None:
            provider, _, model = (run[0] or ":").partition(":")
            parts.append((provider, model, run[1] + run[2], run[1], run[2]))
    cost = 0.0
    if with_cost and parts:
        prices = await load_prices(db, org_id)
        for provider, model, _, prompt, completion in parts:
            cost += prices.cost(provider, model, prompt, completion) or 0.0
    return Consumption(
        day_tokens=sum(p[2] for p in parts),
        month_tokens=sum(p[3] + p[4] for p in parts),
        month_cost=cost,
    )


def first_breach(quota: Quota, used: Consumption, windows: Windows) -> Breach | None:
    scope = "org" if quota.user_id is None else "user"
    scope_id = quota.user_id or quota.org_id
    checks = (
        ("daily_tokens", quota.daily_tokens, used.day_tokens, windows.day_end),
        ("monthly_tokens", quota.monthly_tokens, used.month_tokens, windows.month_end),
        ("monthly_cost", quota.monthly_cost, used.month_cost, windows.month_end),
    )
    for limit, value, amount, resets_at in checks:
        if value is not None and amount >= value:
            return Breach(scope, scope_id, limit, float(value), float(amount), resets_at)
    return None


class QuotaGuard:
    """Refuses new runs, and stops runs between steps, once a user or org quota is reached.

    Checked where every run starts (`RunService.create`: runs, chat and the OpenAI-compatible
    endpoint alike) and after each model step of a run that would go on, so one long run cannot
    overshoot a limit by more than one step.
    """

    def __init__(self, db: Database, audit: AuditLog) -> None:
        self._db = db
        self._audit = audit

    async def check(self, db: AsyncSession, actor: Actor) -> None:
        """Raises `QuotaExceeded` (429) if the actor or their org has reached a limit."""
        now = utcnow()
        breach = await self._breach(db, actor.org_id, actor.user_id, now)
        if breach is None:
            return
        name = actor.username if breach.scope == "user" else await self._org_name(db, actor.org_id)
        message = breach.message(name)
        self._audit.record(
            "quota.exceeded",
            actor=actor,
            resource_type=breach.scope,
            resource_id=breach.scope_id,
            status="denied",
            detail={**breach.audit_detail(), "reason": message},
        )
        raise QuotaExceeded(message, retry_after=breach.retry_after(now))

    async def over_quota(self, run: Run) -> str | None:
        """Why `run` must stop now, or None; called by the executor between steps."""
        async with self._db.session() as db:
            breach = await self._breach(db, run.org_id, run.user_id, utcnow(), run_id=run.id)
            if breach is None:
                return None
            if breach.scope == "user":
                name = await db.scalar(select(User.username).where(User.id == run.user_id))
            else:
                name = await self._org_name(db, run.org_id)
        message = breach.message(name or breach.scope_id)
        self._audit.record(
            "quota.exceeded",
            actor=None,
            org_id=run.org_id,
            resource_type="run",
            resource_id=run.id,
            status="denied",
            detail={**breach.audit_detail(), "user_id": run.user_id, "reason": message},
        )
        return message

    async def _breach(
        self,
        db: AsyncSession,
        org_id: str,
        user_id: str,
        now: datetime,
        *,
        run_id: str | None = None,
    ) -> Breach | None:
        quotas = await db.scalars(
            select(Quota).where(
                Quota.org_id == org_id, or_(Quota.user_id == user_id, Quota.user_id.is_(None))
            )
        )
        windows = Windows.at(now)
        # The user's own limits first: their message is the more useful one.
        for quota in sorted(quotas, key=lambda q: q.user_id is None):
            if not quota_limits(quota).any():
                continue
            used = await consumption(
                db,
                org_id,
                quota.user_id,
                windows,
                run_id=run_id,
                with_cost=quota.monthly_cost is not None,
            )
            breach = first_breach(quota, used, windows)
            if breach is not None:
                return breach
        return None

    @staticmethod
    async def _org_name(db: AsyncSession, org_id: str) -> str:
        return await db.scalar(select(Org.name).where(Org.id == org_id)) or org_id


# -- administration ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuotaTarget:
    """Whose quota: a user in an org, or (user_id None) the org as a whole."""

    org_id: str
    user_id: str | None

    @property
    def scope(self) -> str:
        return "org" if self.user_id is None else "user"


@dataclass(frozen=True, slots=True)
class QuotaStatus:
    """A target's limits, what it has used in the current windows, and when they reset."""

    target: QuotaTarget
    limits: QuotaLimits
    used: Consumption
    windows: Windows
    updated_at: datetime | None


async def user_target(db: AsyncSession, actor: Actor, user_id: str) -> QuotaTarget:
    """A user the actor manages; anyone else's user does not exist for them (404)."""
    found = await get_user(db, actor, user_id)
    return QuotaTarget(found.membership.org_id, found.user.id)


async def org_target(db: AsyncSession, actor: Actor, org_id: str) -> QuotaTarget:
    """An org the actor manages; any other org does not exist for them (404)."""
    org = await get_managed_org(db, actor, org_id)
    return QuotaTarget(org.id, None)


async def _find(db: AsyncSession, target: QuotaTarget) -> Quota | None:
    owner = Quota.user_id.is_(None) if target.user_id is None else Quota.user_id == target.user_id
    found = await db.scalars(
        select(Quota).where(Quota.org_id == target.org_id, owner).order_by(Quota.created_at)
    )
    return found.first()


async def quota_status(db: AsyncSession, target: QuotaTarget) -> QuotaStatus:
    quota = await _find(db, target)
    windows = Windows.at(utcnow())
    used = await consumption(db, target.org_id, target.user_id, windows)
    return QuotaStatus(
        target, quota_limits(quota), used, windows, quota.updated_at if quota else None
    )


async def set_quota(db: AsyncSession, target: QuotaTarget, changes: QuotaLimits) -> QuotaStatus:
    """Sets the limits present in `changes` (null removes one); absent ones stay as they are."""
    quota = await _find(db, target)
    if quota is None:
        quota = Quota(org_id=target.org_id, user_id=target.user_id)
        db.add(quota)
    for name in changes.model_fields_set:
        setattr(quota, name, getattr(changes, name))
    try:
        await db.commit()
    except IntegrityError as exc:
        await db.rollback()
        raise Conflict("the quota was changed at the same time; try again") from exc
    return await quota_status(db, target)


async def delete_quota(db: AsyncSession, target: QuotaTarget) -> bool:
    """Removes every limit of the target; False if it had none."""
    quota = await _find(db, target)
    if quota is None:
        return False
    await db.delete(quota)
    await db.commit()
    return True
