"""`POST /api/agents/{agent_id}/files`: files people attach in the chat, put in the agent's
workspace so its file tools can read them.

The form is parsed here rather than declared as parameters, so the caller is authenticated
and the agent and the org's size limit are known before a byte of the body is read."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.datastructures import UploadFile

from nexora.agents.uploads import (
    MAX_FILES_PER_REQUEST,
    MULTIPART_OVERHEAD,
    Upload,
    store_uploads,
)
from nexora.api.deps import CurrentActor, DbSession, PlatformDep, RequestInfo
from nexora.api.limits import LargerBody, limit_body
from nexora.errors import UnsupportedMediaType
from nexora.governance.runtime_config import MAX_UPLOAD_MB, MAX_UPLOAD_MB_CEILING, get_config
from nexora.security.file_guard import file_guard_for

router = APIRouter(prefix="/api/agents", tags=["agents"])

MIB = 1024 * 1024
# The global body limit lets uploads through up to the largest size any org may allow;
# the route then holds each request to its own org's `max_upload_mb`.
UPLOAD_BODY = LargerBody(
    "POST", re.compile(r"/api/agents/[^/]+/files"), MAX_UPLOAD_MB_CEILING * MIB + MULTIPART_OVERHEAD
)

_MULTIPART_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}}
                    },
                }
            }
        },
    }
}


class StoredFile(BaseModel):
    path: str
    size: int


class UploadedFiles(BaseModel):
    files: list[StoredFile]


@router.post(
    "/{agent_id}/files",
    status_code=201,
    operation_id="uploadAgentFiles",
    openapi_extra=_MULTIPART_BODY,
)
async def upload_files(
    agent_id: str,
    request: Request,
    actor: CurrentActor,
    db: DbSession,
    platform: PlatformDep,
    info: RequestInfo,
) -> UploadedFiles:
    """Stores the files under `uploads/` in the agent's workspace, renamed when a name is
    unsafe or taken; the answer says where each one went."""
    view = await platform.agents.get(db, actor, agent_id)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise UnsupportedMediaType("send the files as multipart/form-data")
    max_bytes = await get_config(db, actor.org_id, MAX_UPLOAD_MB) * MIB
    limited = limit_body(request, max_bytes + MULTIPART_OVERHEAD)
    async with limited.form(max_files=MAX_FILES_PER_REQUEST, max_fields=0) as form:
        uploads = [
            Upload(item.filename or "file", item.size or 0, item.file)
            for item in form.getlist("files")
            if isinstance(item, UploadFile)
        ]
        guard = file_guard_for(platform.settings, view.workspace)
        stored = await store_uploads(guard, uploads, max_bytes)
    platform.audit.record(
        "agent.file.upload",
        actor=actor,
        resource_type="agent",
        resource_id=view.record.id,
        request=info,
        detail={"files": [{"path": s.path, "size": s.size} for s in stored]},
    )
    return UploadedFiles(files=[StoredFile(path=s.path, size=s.size) for s in stored])
