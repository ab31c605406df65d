"""Token usage reports and quotas: the org's (admins), one's own (every member)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from nexora.api.deps import AdminActor, CurrentActor, DbSession, PlatformDep, RequestInfo
from nexora.auth.actor import Actor
from nexora.governance import quotas
from nexora.governance.audit import RequestContext
from nexora.governance.quotas import QuotaLimits, QuotaStatus, QuotaTarget
from nexora.governance.usage_report import GroupBy, UsageReport, usage_report
from nexora.platform import Platform

router = APIRouter(tags=["usage"])

Since = Annotated[datetime | None, Query(description="Inclusive; a time without a zone is UTC.")]
Until = Annotated[datetime | None, Query(description="Exclusive; a time without a zone is UTC.")]


class UsageTotalsPublic(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    requests: int = Field(description="Model calls counted.")
    estimated_cost: float = Field(description="USD, from the price table: an estimate.")
    priced: bool = Field(description="False when some tokens came from a model with no price.")


class UsageGroupPublic(UsageTotalsPublic):
    key: str | None = Field(description="User id, agent id, `provider:model` or `YYYY-MM-DD`.")
    label: str | None = Field(description="Username or agent name, where one exists.")


class UsageReportPublic(BaseModel):
    group_by: GroupBy
    since: datetime | None
    until: datetime | None
    currency: str
    cost_is_estimate: Literal[True] = True
    groups: list[UsageGroupPublic]
    total: UsageTotalsPublic
    unpriced_models: list[str]

    @classmethod
    def of(cls, report: UsageReport) -> UsageReportPublic:
        return cls(
            group_by=report.group_by,
            since=report.since,
            until=report.until,
            currency=report.currency,
            groups=[
                UsageGroupPublic(
                    key=g.key,
                    label=g.label,
                    **UsageTotalsPublic.model_validate(g.totals, from_attributes=True).model_dump(),
                )
                for g in report.groups
            ],
            total=UsageTotalsPublic.model_validate(report.total, from_attributes=True),
            unpriced_models=report.unpriced_models,
        )


class QuotaUsagePublic(BaseModel):
    daily_tokens: int
    monthly_tokens: int
    monthly_cost: float = Field(description="USD, estimated.")


class QuotaPublic(QuotaLimits):
    scope: Literal["user", "org"]
    org_id: str
    user_id: str | None
    used: QuotaUsagePublic
    daily_resets_at: datetime
    monthly_resets_at: datetime
    updated_at: datetime | None

    @classmethod
    def of(cls, status: QuotaStatus) -> QuotaPublic:
        used = status.used
        return cls(
            **status.limits.model_dump(),
            scope="org" if status.target.user_id is None else "user",
            org_id=status.target.org_id,
            user_id=status.target.user_id,
            used=QuotaUsagePublic(
                daily_tokens=used.day_tokens,
                monthly_tokens=used.month_tokens,
                monthly_cost=round(used.month_cost, 6),
            ),
            daily_resets_at=status.windows.day_end,
            monthly_resets_at=status.windows.month_end,
            updated_at=status.updated_at,
        )


@router.get("/api/admin/token-usage", operation_id="orgTokenUsage")
async def org_token_usage(
    actor: AdminActor,
    db: DbSession,
    group_by: GroupBy = GroupBy.USER,
    since: Since = None,
    until: Until = None,
) -> UsageReportPublic:
    """The org's token usage and estimated cost, grouped, with a grand total."""
    report = await usage_report(db, actor, group_by, since=since, until=until, own=False)
    return UsageReportPublic.of(report)


@router.get("/api/me/token-usage", operation_id="myTokenUsage")
async def my_token_usage(
    actor: CurrentActor,
    db: DbSession,
    group_by: Literal["agent", "model", "day"] = "agent",
    since: Since = None,
    until: Until = None,
) -> UsageReportPublic:
    """The caller's own token usage and estimated cost."""
    report = await usage_report(db, actor, GroupBy(group_by), since=since, until=until, own=True)
    return UsageReportPublic.of(report)


def _audit(
    platform: Platform,
    action: str,
    actor: Actor,
    target: QuotaTarget,
    info: RequestContext,
    detail: dict[str, object],
) -> None:
    platform.audit.record(
        action,
        actor=actor,
        resource_type=f"{target.scope}_quota",
        resource_id=target.user_id or target.org_id,
        request=info,
        detail={"org_id": target.org_id, "user_id": target.user_id, **detail},
    )


async def _put(
    platform: Platform,
    actor: Actor,
    db: DbSession,
    info: RequestContext,
    target: QuotaTarget,
    body: QuotaLimits,
) -> QuotaPublic:
    status = await quotas.set_quota(db, target, body)
    detail = {**status.limits.model_dump(), "changed": sorted(body.model_fields_set)}
    _audit(platform, "quota.update", actor, target, info, detail)
    return QuotaPublic.of(status)


async def _delete(
    platform: Platform, actor: Actor, db: DbSession, info: RequestContext, target: QuotaTarget
) -> Response:
    existed = await quotas.delete_quota(db, target)
    _audit(platform, "quota.delete", actor, target, info, {"existed": existed})
    return Response(status_code=204)


@router.get("/api/admin/quotas/users/{user_id}", operation_id="getUserQuota")
async def get_user_quota(user_id: str, actor: AdminActor, db: DbSession) -> QuotaPublic:
    target = await quotas.user_target(db, actor, user_id)
    return QuotaPublic.of(await quotas.quota_status(db, target))


@router.put("/api/admin/quotas/users/{user_id}", operation_id="setUserQuota")
async def set_user_quota(
    user_id: str,
    body: QuotaLimits,
    actor: AdminActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> QuotaPublic:
    """Sets the limits given (null = no limit); limits left out of the body are kept."""
    target = await quotas.user_target(db, actor, user_id)
    return await _put(platform, actor, db, info, target, body)


@router.delete("/api/admin/quotas/users/{user_id}", status_code=204, operation_id="deleteUserQuota")
async def delete_user_quota(
    user_id: str, actor: AdminActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> Response:
    target = await quotas.user_target(db, actor, user_id)
    return await _delete(platform, actor, db, info, target)


@router.get("/api/admin/quotas/orgs/{org_id}", operation_id="getOrgQuota")
async def get_org_quota(org_id: str, actor: AdminActor, db: DbSession) -> QuotaPublic:
    target = await quotas.org_target(db, actor, org_id)
    return QuotaPublic.of(await quotas.quota_status(db, target))


@router.put("/api/admin/quotas/orgs/{org_id}", operation_id="setOrgQuota")
async def set_org_quota(
    org_id: str,
    body: QuotaLimits,
    actor: AdminActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> QuotaPublic:
    """Limits for the org as a whole, on top of any per-user limits."""
    target = await quotas.org_target(db, actor, org_id)
    return await _put(platform, actor, db, info, target, body)


@router.delete("/api/admin/quotas/orgs/{org_id}", status_code=204, operation_id="deleteOrgQuota")
async def delete_org_quota(
    org_id: str, actor: AdminActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> Response:
    target = await quotas.org_target(db, actor, org_id)
    return await _delete(platform, actor, db, info, target)
