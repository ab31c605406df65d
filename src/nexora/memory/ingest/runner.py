"""Runs an ingestion: each input loaded, chunked and stored in turn, the job's row updated
as it goes. The API starts it in the background; the CLI awaits it with a progress bar.

One document failing (unreadable, refused by a connector) does not stop the others: it is
listed in the job's failures, and the job fails only when no document could be read."""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nexora.auth.actor import Actor
from nexora.config import Settings
from nexora.errors import NexoraError
from nexora.governance.audit import AuditLog, RequestContext
from nexora.governance.secret_store import SecretStore
from nexora.memory.ingest.jobs import (
    JobProgress,
    create_job,
    fail_orphaned,
    finish_job,
    save_progress,
)
from nexora.memory.ingest.limits import MIB, IngestLimits
from nexora.memory.scope import Owner
from nexora.memory.service import Memory
from nexora.storage.db import Database
from nexora.storage.models import MemoryJob

if TYPE_CHECKING:
    from nexora.memory.ingest.loader import DocumentLoader
    from nexora.memory.ingest.sources import Input

log = logging.getLogger(__name__)

OnProgress = Callable[[JobProgress], None]
UPLOADS_PREFIX = "ingest-"


@dataclass(frozen=True, slots=True)
class IngestRequest:
    owner: Owner
    inputs: Sequence[Input]
    actor_id: str | None  # who asked: the items' created_by
    limits: IngestLimits
    cleanup: Path | None = None  # a folder of uploaded files, removed when the job ends


class Ingestion:
    """Ingestion jobs of one process: started, followed, and stopped with the process."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        secrets: SecretStore,
        memory: Memory,
        audit: AuditLog,
    ) -> None:
        self.db = db
        self.settings = settings
        self.secrets = secrets
        self.memory = memory
        self.audit = audit
        self._tasks: dict[str, asyncio.Task[MemoryJob]] = {}

    def limits(self, max_bytes: int | None = None) -> IngestLimits:
        """The limits for one ingestion: `max_bytes` per file, else the configured size."""
        return IngestLimits(max_bytes=max_bytes or self.settings.ingest_max_file_mb * MIB)

    @property
    def uploads_dir(self) -> Path:
        """Where the API keeps uploaded files until their job has read them."""
        return self.settings.home / "tmp"

    async def recover(self) -> int:
        """At start: jobs a dead process left unfinished are marked failed, and the uploads
        they never got to read are removed (only old ones: another process on the same data
        dir may be reading its own)."""
        cutoff = time.time() - self.settings.ingest_stale_seconds
        await asyncio.to_thread(_remove_uploads_before, self.uploads_dir, cutoff)
        return await fail_orphaned(self.db, self.settings.ingest_stale_seconds)

    async def create(
        self,
        request: IngestRequest,
        source: str,
        *,
        actor: Actor,
        request_info: RequestContext | None,
    ) -> MemoryJob:
        """The job, queued, and its audit event: who put which documents in whose memory."""
        job = await create_job(
            self.db, request.owner, source, len(request.inputs), request.actor_id
        )
        self.audit.record(
            "memory.ingest",
            actor=actor,
            resource_type="agent",
            resource_id=request.owner.agent_id,
            request=request_info,
            detail={
                "job_id": job.id,
                "source": source[:500],
                "documents": len(request.inputs),
                "user_id": request.owner.user_id,
            },
        )
        return job

    def start(self, job: MemoryJob, request: IngestRequest) -> None:
        """Runs the job in the background of this process."""
        task = asyncio.get_running_loop().create_task(self.run(job.id, request))
        self._tasks[job.id] = task
        task.add_done_callback(lambda _done: self._tasks.pop(job.id, None))

    async def wait(self, job_id: str) -> None:
        """Until the background job `job_id` of this process has ended (tests, shutdown)."""
        task = self._tasks.get(job_id)
        if task is not None:
            await asyncio.wait([task])

    async def stop(self) -> None:
        """Cancels this process's jobs; each is marked failed as it stops."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    async def run(
        self, job_id: str, request: IngestRequest, on_progress: OnProgress | None = None
    ) -> MemoryJob:
        # The readers and connectors load with a process's first job, not with every start.
        from nexora.memory.ingest.loader import DocumentLoader

        progress = JobProgress(job_id, total=len(request.inputs))
        try:
            await save_progress(self.db, progress)
            loader = DocumentLoader(
                self.settings,
                request.limits,
                self.db,
                self.secrets,
                request.owner.org_id,
                request.actor_id,  # their own credentials win over the org's
            )
            for item in request.inputs:
                await self._one(item, loader, request, progress, on_progress)
            error = None
            if progress.failures and len(progress.failures) == progress.total:
                error = progress.failures[0]["error"]
                if progress.total > 1:
                    error = f"no document could be read; the first: {error}"
            return await finish_job(self.db, progress, error)
        except asyncio.CancelledError:
            await asyncio.shield(
                finish_job(self.db, progress, "stopped: the server shut down during the job")
            )
            raise
        except Exception as exc:
            log.exception("ingestion job %s failed", job_id)
            return await finish_job(self.db, progress, f"internal error: {type(exc).__name__}")
        finally:
            if request.cleanup is not None:
                shutil.rmtree(request.cleanup, ignore_errors=True)

    async def _one(
        self,
        item: Input,
        loader: DocumentLoader,
        request: IngestRequest,
        progress: JobProgress,
        on_progress: OnProgress | None,
    ) -> None:
        from nexora.memory.ingest.pipeline import ingest_document
        from nexora.memory.ingest.sources import describe

        name = describe(item)
        progress.current = name
        if on_progress is not None:
            on_progress(progress)

        async def batch_done(added: int, duplicates: int) -> None:
            progress.added += added
            progress.duplicates += duplicates
            await save_progress(self.db, progress)
            if on_progress is not None:
                on_progress(progress)

        try:
            stored = await ingest_document(
                self.db, self.memory.items, self.settings, loader, item, request, batch_done
            )
            progress.retired += stored.retired
        except NexoraError as exc:
            progress.failures.append({"source": name, "error": exc.detail})
        progress.done += 1
        await save_progress(self.db, progress)
        if on_progress is not None:
            on_progress(progress)


def _remove_uploads_before(root: Path, cutoff: float) -> None:
    for folder in root.glob(f"{UPLOADS_PREFIX}*"):
        if folder.is_dir() and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
