from __future__ import annotations

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
async def readyz(platform: PlatformDep) -> dict[str, str]:
    """The database answers."""
    try:
        await platform.db.ping()
    except Exception as exc:
        raise ServiceUnavailable(f"database unavailable: {exc.__class__.__name__}") from exc
    return {"status": "ready"}
