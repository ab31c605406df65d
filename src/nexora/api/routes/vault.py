"""Project vaults: list and read the artifacts playbook stages delivered, deliver one by hand,
and read a playbook run's delivery manifest and a vault's git history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from nexora.api.deps import CurrentActor, DbSession, PlatformDep, RequestInfo
from nexora.errors import NotFound
from nexora.storage.models import Artifact, PlaybookRun, Project
from nexora.teams.vault.service import MAX_SUMMARY_CHARS

router = APIRouter(prefix="/api/vault", tags=["vault"])

MAX_VALUE_CHARS = 1_000_000


class ArtifactPublic(BaseModel):
    id: str
    project_id: str | None
    playbook_run_id: str | None
    stage: str | None
    kind: str
    key: str
    version: int
    ref: str
    filename: str | None
    media_type: str
    size: int
    sha256: str
    summary: str
    author_agent_id: str | None
    author_user_id: str | None
    commit: str | None
    created_at: datetime

    @classmethod
    def of(cls, a: Artifact) -> ArtifactPublic:
        return cls(
            id=a.id,
            project_id=a.project_id,
            playbook_run_id=a.playbook_run_id,
            stage=a.stage,
            kind=a.kind,
            key=a.key,
            version=a.version,
            ref=f"{a.key}@{a.version}",
            filename=a.filename,
            media_type=a.media_type,
            size=a.size,
            sha256=a.sha256,
            summary=a.summary,
            author_agent_id=a.author_agent_id,
            author_user_id=a.author_user_id,
            commit=a.commit,
            created_at=a.created_at,
        )


class ArtifactWithValue(ArtifactPublic):
    value: str | None  # text artifacts; a file's bytes come from /content


class ArtifactPage(BaseModel):
    items: list[ArtifactPublic]
    total: int


class NewArtifact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project_id: str | None = Field(default=None, max_length=36)
    kind: str = Field(min_length=1, max_length=40)
    key: str = Field(min_length=1, max_length=200)
    value: str = Field(max_length=MAX_VALUE_CHARS)
    summary: str = Field(default="", max_length=MAX_SUMMARY_CHARS)


class CommitPublic(BaseModel):
    sha: str
    message: str
    time: str


@router.get("/artifacts", operation_id="listArtifacts")
async def list_artifacts(
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    project_id: Annotated[str | None, Query(max_length=36)] = None,
    playbook_run_id: Annotated[str | None, Query(max_length=36)] = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    key: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ArtifactPage:
    rows, total = await platform.vault.artifacts(
        db,
        actor.org_id,
        project_id=project_id,
        playbook_run_id=playbook_run_id,
        kind=kind,
        key=key,
        limit=limit,
        offset=offset,
    )
    return ArtifactPage(items=[ArtifactPublic.of(a) for a in rows], total=total)


@router.post("/artifacts", status_code=201, operation_id="deliverArtifact")
async def deliver_artifact(
    body: NewArtifact,
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> ArtifactWithValue:
    """A person delivers a text artifact (the next version when the key exists)."""
    if body.project_id is not None:
        project = await db.get(Project, body.project_id)
        if project is None or project.org_id != actor.org_id:
            raise NotFound("project not found")
    artifact = await platform.vault.deliver(
        db,
        org_id=actor.org_id,
        project_id=body.project_id,
        kind=body.kind,
        key=body.key,
        value=body.value,
        summary=body.summary,
        author_user_id=actor.user_id,
    )
    await db.commit()
    platform.audit.record(
        "vault.artifact.deliver",
        actor=actor,
        resource_type="artifact",
        resource_id=artifact.id,
        request=info,
        detail={"key": artifact.key, "version": artifact.version, "kind": artifact.kind},
    )
    return ArtifactWithValue(**ArtifactPublic.of(artifact).model_dump(), value=artifact.value)


@router.get("/artifacts/{artifact_id}", operation_id="getArtifact")
async def get_artifact(
    artifact_id: str, actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> ArtifactWithValue:
    artifact = await platform.vault.get(db, actor.org_id, artifact_id)
    return ArtifactWithValue(**ArtifactPublic.of(artifact).model_dump(), value=artifact.value)


@router.get(
    "/artifacts/{artifact_id}/content",
    operation_id="getArtifactContent",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def get_artifact_content(
    artifact_id: str, actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> Response:
    artifact = await platform.vault.get(db, actor.org_id, artifact_id)
    content = await platform.vault.read(artifact)
    data = content.encode() if isinstance(content, str) else content
    name = artifact.filename or artifact.key.rsplit("/", 1)[-1]
    return Response(
        data,
        media_type=artifact.media_type,
        # A download, never a page of this site: an uploaded HTML artifact must not run here.
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
        },
    )


@router.get("/manifests/{playbook_run_id}", operation_id="getDeliveryManifest")
async def get_manifest(
    playbook_run_id: str, actor: CurrentActor, db: DbSession, platform: PlatformDep
) -> dict[str, Any]:
    """Every artifact a playbook run delivered."""
    run = await db.get(PlaybookRun, playbook_run_id)
    if run is None or run.org_id != actor.org_id:
        raise NotFound("playbook run not found")
    manifest = await platform.vault.manifest(db, actor.org_id, playbook_run_id)
    return manifest.as_json()


@router.get("/history", operation_id="vaultHistory")
async def vault_history(
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    project_id: Annotated[str | None, Query(max_length=36)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[CommitPublic]:
    """The vault's commits, newest first (a git vault; a local one has none)."""
    if project_id is not None:
        known = await db.scalar(
            select(Project.id).where(Project.id == project_id, Project.org_id == actor.org_id)
        )
        if known is None:
            raise NotFound("project not found")
    commits = await platform.vault.history(actor.org_id, project_id, limit)
    return [CommitPublic(sha=c.sha, message=c.message, time=c.time) for c in commits]
