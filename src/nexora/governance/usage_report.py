"""Token usage reports: totals and estimated cost per user, agent, model or UTC day.

Reads `token_usage` only, always within the actor's org. Rows land there through a background
writer, so a report may lag the last model call by a moment; quotas, which cannot lag, count
the run in progress separately (see `quotas.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor
from nexora.errors import Forbidden, InvalidInput
from nexora.governance.prices import CURRENCY, PriceTable, load_prices
from nexora.storage.models import AgentRecord, TokenUsage, User


class GroupBy(StrEnum):
    USER = "user"
    AGENT = "agent"
    MODEL = "model"
    DAY = "day"


@dataclass(slots=True)
class UsageTotals:
    """Token counts and their estimated cost; `priced` is False if any model had no price."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    requests: int = 0
    estimated_cost: float = 0.0
    priced: bool = True

    def add(self, other: UsageTotals) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.total_tokens += other.total_tokens
        self.requests += other.requests
        self.estimated_cost += other.estimated_cost
        self.priced = self.priced and other.priced


@dataclass(slots=True)
class UsageGroup:
    """One row of a report: `key` is a user id, agent id, `provider:model` or `YYYY-MM-DD`."""

    key: str | None
    label: str | None
    totals: UsageTotals = field(default_factory=UsageTotals)


@dataclass(slots=True)
class UsageReport:
    group_by: GroupBy
    since: datetime | None
    until: datetime | None
    groups: list[UsageGroup]
    total: UsageTotals
    unpriced_models: list[str]
    currency: str = CURRENCY


def as_utc(moment: datetime | None) -> datetime | None:
    """Query bounds are UTC; a bound given without a zone is taken to be UTC already."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def usage_report(
    db: AsyncSession,
    actor: Actor,
    group_by: GroupBy,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    own: bool,
) -> UsageReport:
    """The actor's org's usage (admins only), or with `own` the actor's own usage only.

    `since` is inclusive and `until` exclusive.
    """
    if not own and not actor.is_admin:
        raise Forbidden("the usage of the whole organization is for admins")
    if own and group_by is GroupBy.USER:
        raise InvalidInput("group_by: 'user' is for the organization's report")
    since, until = as_utc(since), as_utc(until)
    if since is not None and until is not None and since >= until:
        raise InvalidInput("since: must be earlier than until")
    where: list[ColumnElement[bool]] = [TokenUsage.org_id == actor.org_id]
    if own:
        where.append(TokenUsage.user_id == actor.user_id)
    if since is not None:
        where.append(TokenUsage.created_at >= since)
    if until is not None:
        where.append(TokenUsage.created_at < until)

    key = _key_column(group_by, db.get_bind().dialect.name)
    rows = await db.execute(
        select(
            key.label("key"),
            TokenUsage.provider,
            TokenUsage.model,
            func.sum(TokenUsage.prompt_tokens),
            func.sum(TokenUsage.completion_tokens),
            func.sum(TokenUsage.total_tokens),
            func.count(),
        )
        .where(*where)
        .group_by(key, TokenUsage.provider, TokenUsage.model)
    )
    prices = await load_prices(db, actor.org_id)
    groups: dict[str | None, UsageGroup] = {}
    total, unpriced = UsageTotals(), set[str]()
    for key_value, provider, model, prompt, completion, tokens, requests in rows.all():
        part = _totals(prices, provider, model, prompt, completion, tokens, requests)
        if not part.priced:
            unpriced.add(f"{provider}:{model}")
        group_key = f"{provider}:{model}" if group_by is GroupBy.MODEL else _str(key_value)
        groups.setdefault(group_key, UsageGroup(group_key, None)).totals.add(part)
        total.add(part)
    await _label(db, actor.org_id, group_by, groups)
    return UsageReport(
        group_by=group_by,
        since=since,
        until=until,
        groups=_ordered(group_by, groups.values()),
        total=total,
        unpriced_models=sorted(unpriced),
    )


def _key_column(group_by: GroupBy, dialect: str) -> ColumnElement[Any]:
    if group_by is GroupBy.USER:
        return TokenUsage.user_id.expression
    if group_by is GroupBy.AGENT:
        return TokenUsage.agent_id.expression
    if group_by is GroupBy.MODEL:
        return TokenUsage.provider.expression  # the key is `provider:model`, joined in Python
    return utc_day(TokenUsage.created_at, dialect)


def utc_day(column: Any, dialect: str) -> ColumnElement[Any]:
    """`YYYY-MM-DD` of a timestamp, in UTC, on either backend."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    # SQLite stores the UTC timestamps Nexora writes as text, without a zone.
    return func.date(column)


def _totals(
    prices: PriceTable,
    provider: str,
    model: str,
    prompt: Any,
    completion: Any,
    total: Any,
    requests: Any,
) -> UsageTotals:
    prompt, completion = int(prompt or 0), int(completion or 0)
    cost = prices.cost(provider, model, prompt, completion)
    return UsageTotals(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=int(total or 0),
        requests=int(requests or 0),
        estimated_cost=cost or 0.0,
        # A model without a price that used no tokens does not make a total uncertain.
        priced=cost is not None or prompt + completion == 0,
    )


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


async def _label(
    db: AsyncSession, org_id: str, group_by: GroupBy, groups: dict[str | None, UsageGroup]
) -> None:
    ids = [k for k in groups if k is not None]
    if not ids:
        return
    if group_by is GroupBy.USER:
        rows = await db.execute(select(User.id, User.username).where(User.id.in_(ids)))
    elif group_by is GroupBy.AGENT:
        rows = await db.execute(
            select(AgentRecord.id, AgentRecord.name).where(
                AgentRecord.org_id == org_id, AgentRecord.id.in_(ids)
            )
        )
    else:
        return
    for record_id, name in rows.all():
        groups[record_id].label = name


def _ordered(group_by: GroupBy, groups: Iterable[UsageGroup]) -> list[UsageGroup]:
    if group_by is GroupBy.DAY:
        return sorted(groups, key=lambda g: g.key or "")
    return sorted(groups, key=lambda g: (-g.totals.total_tokens, g.key or ""))
