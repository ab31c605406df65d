"""Ingestion into archival memory: `POST /api/memory/archival/ingest` starts a background job
(files uploaded as multipart, or a URL as JSON) and answers 202 with its id; `GET
/api/memory/jobs/{job_id}` and `GET /api/memory/jobs` follow progress.

The caller must be able to use the agent (granted, or an admin). Uploads are held to the
org's `max_upload_mb` while they are read, as agent file uploads are."""

from __future__ import annotations

import re
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, UploadFile

from nexora.agents.uploads import MAX_FILES_PER_REQUEST, MULTIPART_OVERHEAD, safe_name
from nexora.api.deps import CurrentActor, DbSession, PlatformDep, RequestInfo
from nexora.api.limits import LargerBody, limit_body
from nexora.auth.actor import Actor
from nexora.errors import ContentTooLarge, InvalidInput, NotFound, UnsupportedMediaType
from nexora.governance.runtime_config import MAX_UPLOAD_MB, MAX_UPLOAD_MB_CEILING, get_config
from nexora.memory.ingest.jobs import get_job, list_jobs
from nexora.memory.ingest.limits import MIB
from nexora.memory.ingest.runner import UPLOADS_PREFIX, IngestRequest
from nexora.memory.scope import Owner
from nexora.platform import Platform
from nexora.storage.models import MemoryJob

if TYPE_CHECKING:
    from nexora.memory.ingest.sources import FileInput

router = APIRouter(prefix="/api/memory", tags=["memory"])

UPLOAD_BODY = LargerBody(
    "POST",
    re.compile(r"/api/memory/archival/ingest"),
    MAX_UPLOAD_MB_CEILING * MIB + MULTIPART_OVERHEAD,
)
JSON_MAX_BYTES = 64 * 1024


class IngestUrl(BaseModel):
    """A web page or document by URL, or a Feishu document (`feishu:docx/ID` or its URL)."""

    model_config = ConfigDict(extra="forbid")

    agent_id: str = Field(min_length=1, max_length=36)
    url: str = Field(min_length=1, max_length=8192)
    private: bool = Field(default=False, description="Only the caller's own memory of it.")


_REQUEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["agent_id", "files"],
                    "properties": {
                        "agent_id": {"type": "string"},
                        "private": {"type": "boolean"},
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    },
                }
            },
            # Inline: the route reads the body itself, so FastAPI never adds IngestUrl to the
            # components and a $ref to it would dangle (the typed client generator rejects it).
            "application/json": {"schema": IngestUrl.model_json_schema()},
        },
    }
}


class IngestAccepted(BaseModel):
    job_id: str
    status: str
    total: int
    source: str | None


class JobPublic(BaseModel):
    id: str
    agent_id: str | None
    kind: str
    source: str | None
    status: str
    total: int
    done: int
    added: int
    duplicates: int
    retired: int
    current: str | None
    error: str | None
    failures: list[dict[str, str]]
    created_by: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, job: MemoryJob) -> JobPublic:
        return cls(
            id=job.id,
            agent_id=job.agent_id,
            kind=job.kind,
            source=job.source,
            status=job.status,
            total=job.total,
            done=job.done,
            added=job.added,
            duplicates=job.duplicates,
            retired=int(job.meta.get("retired") or 0),
            current=job.meta.get("current"),
            error=job.error,
            failures=list(job.meta.get("failures") or []),
            created_by=job.created_by,
            created_at=job.created_at,
            updated_at=job.updated_at,
        )


class JobList(BaseModel):
    jobs: list[JobPublic]


@router.post(
    "/archival/ingest",
    status_code=202,
    operation_id="ingestArchival",
    openapi_extra=_REQUEST_BODY,
)
async def ingest(
    request: Request,
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> IngestAccepted:
    """Starts ingesting the uploaded files, or the URL, into the agent's archival memory."""
    from nexora.memory.ingest.sources import Input, resolve_url  # the readers: on first use

    content_type = request.headers.get("content-type", "")
    max_bytes = await get_config(db, actor.org_id, MAX_UPLOAD_MB) * MIB
    limits = platform.ingestion.limits(max_bytes)
    folder: Path | None = None
    if content_type.startswith("application/json"):
        try:
            # The upload allowance of this path is not for JSON: a URL needs little room.
            body = IngestUrl.model_validate_json(await limit_body(request, JSON_MAX_BYTES).body())
        except ValidationError as exc:  # the same 422 as a declared body's
            raise RequestValidationError(exc.errors(include_url=False)) from exc
        agent_id, private = body.agent_id, body.private
        await platform.agents.get(db, actor, agent_id)
        inputs: list[Input] = [resolve_url(body.url)]
        source = body.url
    elif content_type.startswith("multipart/form-data"):
        limited = limit_body(request, max_bytes + MULTIPART_OVERHEAD)
        async with limited.form(max_files=MAX_FILES_PER_REQUEST, max_fields=4) as form:
            agent_id, private = _form_fields(form)
            await platform.agents.get(db, actor, agent_id)
            folder, files = await _keep_uploads(platform, form, max_bytes)
        inputs = list(files)
        source = ", ".join(f.name for f in files)
    else:
        raise UnsupportedMediaType("send files as multipart/form-data, or a URL as JSON")
    owner = Owner(actor.org_id, agent_id=agent_id, user_id=actor.user_id if private else None)
    work = IngestRequest(owner, inputs, actor.user_id, limits, cleanup=folder)
    job = await platform.ingestion.create(work, source, actor=actor, request_info=info)
    platform.ingestion.start(job, work)
    return IngestAccepted(job_id=job.id, status=job.status, total=job.total, source=job.source)


def _form_fields(form: FormData) -> tuple[str, bool]:
    agent_id = form.get("agent_id")
    if not isinstance(agent_id, str) or not agent_id:
        raise InvalidInput("name the agent in the 'agent_id' field")
    private = form.get("private", "false")
    return agent_id, isinstance(private, str) and private.lower() in ("1", "true", "yes")


async def _keep_uploads(
    platform: Platform, form: FormData, max_bytes: int
) -> tuple[Path, list[FileInput]]:
    """Copies the uploads where the background job can read them after this request ends;
    the job removes the folder when it finishes."""
    from nexora.memory.ingest.sources import FileInput

    uploads = [item for item in form.getlist("files") if isinstance(item, UploadFile)]
    if not uploads:
        raise InvalidInput("send at least one file in the 'files' field")
    if (total := sum(u.size or 0 for u in uploads)) > max_bytes:
        raise ContentTooLarge(f"the files add up to {total} bytes; the limit is {max_bytes}")
    root = platform.ingestion.uploads_dir
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = Path(tempfile.mkdtemp(prefix=UPLOADS_PREFIX, dir=root))
    files: list[FileInput] = []
    for number, upload in enumerate(uploads):
        name = safe_name(upload.filename or "file")
        # One folder per file: two uploads may share a name.
        path = folder / str(number) / name
        await anyio.to_thread.run_sync(_copy, upload, path)
        files.append(FileInput(path, name, name))
    return folder, files


def _copy(upload: UploadFile, path: Path) -> None:
    path.parent.mkdir()
    upload.file.seek(0)
    with path.open("xb") as out:
        shutil.copyfileobj(upload.file, out, MIB)


@router.get("/jobs/{job_id}", operation_id="getMemoryJob")
async def job(job_id: str, actor: CurrentActor, db: DbSession, platform: PlatformDep) -> JobPublic:
    """One job's progress: documents done of total, chunks added and already there."""
    found = await get_job(db, actor.org_id, job_id)
    await _check_visible(db, platform, actor, found)
    return JobPublic.of(found)


@router.get("/jobs", operation_id="listMemoryJobs")
async def jobs(
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    agent_id: str | None = None,
    limit: int = Query(default=50, ge=1, le=200),
) -> JobList:
    """Recent ingestion jobs of the agents the caller may use, newest first."""
    if agent_id is not None:
        await platform.agents.get(db, actor, agent_id)
    return JobList(jobs=[JobPublic.of(j) for j in await list_jobs(db, actor, agent_id, limit)])


async def _check_visible(
    db: AsyncSession, platform: Platform, actor: Actor, job: MemoryJob
) -> None:
    if job.agent_id is not None:
        await platform.agents.get(db, actor, job.agent_id)
    private_to = job.meta.get("user_id")
    if private_to is not None and private_to != actor.user_id and not actor.is_admin:
        raise NotFound("no such ingestion job")
