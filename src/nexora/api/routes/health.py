from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from nexora import __version__
from nexora.api.deps import PlatformDep
from nexora.errors import ServiceUnavailable

router = APIRouter(tags=["health"])


@router.get("/healthz", operation_id="healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok", "version": __version__}


@router.get("/readyz", operation_id="readyz")
async def readyz(platform: PlatformDep) -> dict[str, Any]:
    """The database answers; also how the background writers are doing (dropped or failed
    audit and usage records mean the trail has gaps: `nexora doctor` reports them)."""
    try:
        await platform.db.ping()
    except Exception as exc:
        raise ServiceUnavailable(f"database unavailable: {exc.__class__.__name__}") from exc
    return {
        "status": "ready",
        "writers": {"records": asdict(platform.audit.writer.stats)},
    }
