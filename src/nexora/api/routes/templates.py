"""Team templates: list the shipped ones, apply one to the caller's org."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from nexora.api.deps import AdminActor, CurrentActor, DbSession, PlatformDep, RequestInfo
from nexora.teams.template_apply import apply_template
from nexora.teams.templates import Template, templates

router = APIRouter(prefix="/api/templates", tags=["templates"])


class ApplyRequest(BaseModel):
    project_id: str | None = Field(default=None, max_length=36)


class ApplyResult(BaseModel):
    template: str
    changed: bool
    summary: str
    created: list[str]
    existing: list[str]


@router.get("", operation_id="listTemplates")
async def list_templates(actor: CurrentActor) -> list[Template]:
    return list(templates().values())


@router.post("/{name}/apply", operation_id="applyTemplate")
async def apply(
    name: str,
    actor: AdminActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
    body: ApplyRequest | None = None,
) -> ApplyResult:
    """Creates what the template has and the org lacks; applying it again changes nothing."""
    project_id = body.project_id if body else None
    report = await apply_template(db, actor, platform.agents, name, project_id)
    platform.audit.record(
        "template.apply",
        actor=actor,
        resource_type="template",
        resource_id=name,
        request=info,
        detail={"created": report.created, "project_id": project_id},
    )
    return ApplyResult(
        template=report.template,
        changed=report.changed,
        summary=report.summary(),
        created=report.created,
        existing=report.existing,
    )
