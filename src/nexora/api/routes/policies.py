"""Capability policies: the org's rules for how risky each capability change is."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from nexora.api.deps import AdminActor, DbSession, PlatformDep, RequestInfo
from nexora.errors import InvalidInput
from nexora.governance import capabilities as caps
from nexora.governance.capabilities import PolicyRule

router = APIRouter(prefix="/api/admin/policies", tags=["policies"])

MAX_RULES = 500


class PolicyTable(BaseModel):
    environment: str = Field(description="The environment changes are evaluated in now.")
    rules: list[PolicyRule] = Field(description="The org's own rules; they win over defaults.")
    defaults: list[PolicyRule] = Field(description="Built-in rules for combinations not set.")


async def _table(db: DbSession, org_id: str) -> PolicyTable:
    return PolicyTable(
        environment=await caps.current_environment(db, org_id),
        rules=await caps.org_rules(db, org_id),
        defaults=caps.builtin_rules(),
    )


@router.get("", operation_id="getPolicies")
async def get_policies(actor: AdminActor, db: DbSession) -> PolicyTable:
    return await _table(db, actor.org_id)


@router.put("", operation_id="replacePolicies")
async def replace_policies(
    body: list[PolicyRule],
    actor: AdminActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> PolicyTable:
    """Replaces the org's whole rule table; combinations left out fall back to the defaults."""
    if len(body) > MAX_RULES:
        raise InvalidInput(f"at most {MAX_RULES} rules")
    await caps.replace_rules(db, actor.org_id, body)
    await db.commit()
    platform.audit.record(
        "policy.update",
        actor=actor,
        resource_type="capability_policy",
        request=info,
        detail={"rules": [r.model_dump(mode="json") for r in body]},
    )
    return await _table(db, actor.org_id)
