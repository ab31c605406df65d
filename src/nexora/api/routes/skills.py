"""Agent Skills: the org's (and an agent's) skills, installed and removed as capability
changes: 201/204 when the org's policy lets them apply at once, 202 with an approval id when
they wait for an admin, 422 with the scanner's findings when the scanner blocks a skill.

Installing takes the skill folder zipped (`Content-Type: application/zip`, how skills for
any agent are passed around) or JSON `{"name": ..., "files": {"SKILL.md": "...", ...}}`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.api.deps import CurrentActor, DbSession, PlatformDep, RequestInfo
from nexora.api.pending import PENDING_RESPONSE, pending_response
from nexora.auth.actor import Actor
from nexora.errors import NotFound, UnsupportedMediaType
from nexora.platform import Platform
from nexora.skills import installs
from nexora.skills.bundle import BundleLimits, SkillBundle
from nexora.skills.manifest import parse_skill_md
from nexora.skills.skill import Skill, SkillListing, SkillProblem
from nexora.skills.store import sync_org
from nexora.skills.tool import MAX_READ_CHARS

router = APIRouter(prefix="/api/skills", tags=["skills"])

ZIP_TYPES = {"application/zip", "application/x-zip-compressed"}
NAME_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class SkillFiles(BaseModel):
    """A skill sent as text files, keyed by their path inside the skill folder."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=64, pattern=NAME_PATTERN)
    files: dict[str, str] = Field(min_length=1)


class SkillPublic(BaseModel):
    name: str
    description: str
    source: str
    scan_verdict: str | None
    findings: list[dict[str, Any]]

    @classmethod
    def of(cls, skill: Skill) -> SkillPublic:
        return cls.model_validate(skill.as_json())


class SkillFile(BaseModel):
    path: str
    size: int


class SkillDetail(SkillPublic):
    manifest: dict[str, Any]
    files: list[SkillFile]
    instructions: str


class SkillProblemPublic(BaseModel):
    name: str
    source: str
    error: str

    @classmethod
    def of(cls, problem: SkillProblem) -> SkillProblemPublic:
        return cls.model_validate(problem.as_json())


class SkillList(BaseModel):
    skills: list[SkillPublic]
    invalid: list[SkillProblemPublic]  # folders that look like skills but cannot be used


async def _listing(
    platform: Platform, db: AsyncSession, actor: Actor, agent_id: str | None
) -> SkillListing:
    catalog = platform.skills
    await sync_org(db, catalog, actor.org_id)
    if agent_id is None:
        return await asyncio.to_thread(catalog.for_org, actor.org_id)
    agent = await platform.agents.get(db, actor, agent_id)  # 404 outside the org, 403 ungranted
    return await asyncio.to_thread(
        catalog.for_agent, actor.org_id, agent.workspace, agent.config.skills
    )


def _detail(skill: Skill) -> SkillDetail:
    _manifest, body = parse_skill_md(skill.skill_file.read_text(encoding="utf-8"))
    files = sorted((p for p in skill.path.rglob("*") if p.is_file()), key=lambda p: p.as_posix())
    listed = [
        SkillFile(path=p.relative_to(skill.path).as_posix(), size=p.stat().st_size)
        for p in files
        if not any(part.startswith(".") for part in p.relative_to(skill.path).parts)
    ]
    return SkillDetail(
        **SkillPublic.of(skill).model_dump(),
        manifest=skill.manifest.model_dump(mode="json", by_alias=True, exclude_none=True),
        files=listed,
        instructions=body[:MAX_READ_CHARS],
    )


_INSTALL_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/zip": {"schema": {"type": "string", "format": "binary"}},
            "application/json": {"schema": SkillFiles.model_json_schema()},
        },
    }
}


@router.get("", operation_id="listSkills")
async def list_skills(
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    agent_id: str | None = Query(default=None, max_length=36),
) -> SkillList:
    """The org's skills (built-in and installed); with `agent_id`, what that agent sees."""
    listing = await _listing(platform, db, actor, agent_id)
    return SkillList(
        skills=[SkillPublic.of(s) for s in listing.skills],
        invalid=[SkillProblemPublic.of(p) for p in listing.problems],
    )


@router.get("/{name}", operation_id="getSkill")
async def get_skill(
    name: str,
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    agent_id: str | None = Query(default=None, max_length=36),
) -> SkillDetail:
    skill = (await _listing(platform, db, actor, agent_id)).by_name().get(name)
    if skill is None:
        raise NotFound(f"no skill named {name!r}")
    return await asyncio.to_thread(_detail, skill)


async def _bundle(request: Request, limits: BundleLimits) -> tuple[SkillBundle, str | None]:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    data = await request.body()
    if media in ZIP_TYPES:
        return SkillBundle.from_zip(data, limits), None
    if media == "application/json":
        try:
            body = SkillFiles.model_validate_json(data)
        except ValidationError as exc:
            errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
            raise RequestValidationError(errors) from exc
        return SkillBundle.from_text_files(body.files, limits), body.name
    raise UnsupportedMediaType(
        "send the skill folder zipped (application/zip) or as JSON {name, files}"
    )


@router.post(
    "",
    status_code=201,
    response_model=SkillPublic,
    responses=PENDING_RESPONSE,
    operation_id="installSkill",
    openapi_extra=_INSTALL_BODY,
)
async def install_skill(
    request: Request, actor: CurrentActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> SkillPublic | JSONResponse:
    settings = platform.settings
    bundle, name = await _bundle(
        request, BundleLimits(settings.skill_max_bytes, settings.skill_max_files)
    )
    prepared = await installs.prepare_and_audit(bundle, name, actor, info, platform.audit)
    outcome = await installs.request_install(db, actor, prepared, info, platform.audit)
    if outcome.pending:
        return pending_response(outcome)
    await sync_org(db, platform.skills, actor.org_id)
    return SkillPublic(
        name=prepared.name,
        description=prepared.manifest.description,
        source="org",
        scan_verdict=prepared.verdict,
        findings=prepared.findings,
    )


@router.delete("/{name}", status_code=204, responses=PENDING_RESPONSE, operation_id="removeSkill")
async def remove_skill(
    name: str, actor: CurrentActor, db: DbSession, platform: PlatformDep, info: RequestInfo
) -> Response:
    """Removes an installed org skill; built-in skills cannot be removed (409)."""
    outcome = await installs.request_remove(db, actor, platform.skills, name, info, platform.audit)
    if outcome.pending:
        return pending_response(outcome)
    await sync_org(db, platform.skills, actor.org_id)
    return Response(status_code=204)
