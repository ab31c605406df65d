from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from nexora.api.deps import AdminActor, CurrentActor, DbSession
from nexora.storage.models import Project
from nexora.tenancy import orgs

router = APIRouter(prefix="/api/projects", tags=["projects"])


class ProjectCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=2000)


class ProjectPublic(BaseModel):
    id: str
    org_id: str
    name: str
    description: str
    created_at: datetime

    @classmethod
    def of(cls, project: Project) -> ProjectPublic:
        return cls.model_validate(project, from_attributes=True)


@router.get("", operation_id="listProjects")
async def list_projects(actor: CurrentActor, db: DbSession) -> list[ProjectPublic]:
    return [ProjectPublic.of(p) for p in await orgs.list_projects(db, actor)]


@router.post("", status_code=201, operation_id="createProject")
async def create_project(body: ProjectCreate, actor: AdminActor, db: DbSession) -> ProjectPublic:
    return ProjectPublic.of(await orgs.create_project(db, actor, body.name, body.description))


@router.get("/{project_id}", operation_id="getProject")
async def get_project(project_id: str, actor: CurrentActor, db: DbSession) -> ProjectPublic:
    return ProjectPublic.of(await orgs.get_project(db, actor, project_id))
