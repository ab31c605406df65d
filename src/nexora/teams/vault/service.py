"""The vault service: deliver a new version of an artifact, find it by reference, read it, and
keep a delivery manifest per playbook run.

Order of a delivery: the file (and its git commit) is written first, under the vault's lock,
then the row is added to the caller's transaction. If that transaction fails, a file version
(and commit) no row names is left behind, and that version number is skipped. The reverse
order could leave a row naming content that was never stored, which a reader would fail on.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.config import Settings
from nexora.errors import ContentTooLarge, InvalidInput, NotFound
from nexora.storage.base import new_id, utcnow
from nexora.storage.models import Artifact
from nexora.storage.models.vault import DEFAULT_PROJECT
from nexora.teams.vault.backends import Commit, VaultBackend, backend_named
from nexora.teams.vault.keys import check_key, check_kind, parse_ref

MAX_SUMMARY_CHARS = 4000
MANIFESTS = "manifests"


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    id: str
    ref: str
    kind: str
    key: str
    version: int
    stage: str | None
    author_agent_id: str | None
    author_user_id: str | None
    summary: str
    sha256: str
    size: int
    commit: str | None


@dataclass(frozen=True, slots=True)
class Manifest:
    playbook_run_id: str
    artifacts: list[ManifestEntry]
    commit: str | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class Vault:
    def __init__(self, settings: Settings, backend: VaultBackend | None = None) -> None:
        self.settings = settings
        self.backend = backend or backend_named(settings.vault_backend)
        self.root = settings.home / "vaults"
        # One writer per vault in this process; the file lock covers other processes.
        self._locks: defaultdict[Path, asyncio.Lock] = defaultdict(asyncio.Lock)
        # The last version handed out per (vault, key): a delivery whose row is not committed
        # yet is invisible to another session, which must not take the same number.
        self._issued: dict[tuple[Path, str], int] = {}

    def folder(self, org_id: str, project_key: str) -> Path:
        return self.root / org_id / project_key

    async def deliver(
        self,
        session: AsyncSession,
        *,
        org_id: str,
        project_id: str | None,
        kind: str,
        key: str,
        summary: str,
        value: str | None = None,
        content: bytes | None = None,
        filename: str | None = None,
        media_type: str | None = None,
        stage: str | None = None,
        playbook_run_id: str | None = None,
        author_agent_id: str | None = None,
        author_user_id: str | None = None,
    ) -> Artifact:
        """Stores the next version of `key`; the caller commits the row."""
        check_kind(kind)
        check_key(key)
        if (value is None) == (content is None):
            raise InvalidInput("an artifact is either a text value or a file's content")
        if len(summary) > MAX_SUMMARY_CHARS:
            raise InvalidInput(f"summary: at most {MAX_SUMMARY_CHARS} characters")
        data = value.encode() if value is not None else content or b""
        if len(data) > self.settings.vault_max_artifact_bytes:
            raise ContentTooLarge(
                f"artifact: larger than {self.settings.vault_max_artifact_bytes} bytes"
            )
        project_key = project_id or DEFAULT_PROJECT
        folder = self.folder(org_id, project_key)
        async with self._locks[folder]:
            stored = await session.scalar(
                select(func.coalesce(func.max(Artifact.version), 0)).where(
                    Artifact.org_id == org_id,
                    Artifact.project_key == project_key,
                    Artifact.key == key,
                )
            )
            version = 1 + max(stored or 0, self._issued.get((folder, key), 0))
            self._issued[(folder, key)] = version
            message = f"{kind}: {key}@{version}" + (f" (stage {stage})" if stage else "")
            author = (author_agent_id and f"agent {author_agent_id}") or f"user {author_user_id}"
            commit = await asyncio.to_thread(
                self._write, folder, key, version, data, f"{message}\n\nby {author}"
            )
            artifact = Artifact(
                id=new_id(),
                org_id=org_id,
                project_id=project_id,
                project_key=project_key,
                playbook_run_id=playbook_run_id,
                stage=stage,
                kind=kind,
                key=key,
                version=version,
                value=value,
                filename=filename,
                media_type=media_type or _default_media_type(value),
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                summary=summary,
                author_agent_id=author_agent_id,
                author_user_id=author_user_id,
                commit=commit,
                created_at=utcnow(),
            )
            session.add(artifact)
            await session.flush()  # a concurrent delivery of the same version fails here
        return artifact

    def _write(self, folder: Path, key: str, version: int, data: bytes, message: str) -> str | None:
        folder.mkdir(parents=True, exist_ok=True)
        # Other processes on this machine (`nexora worker`) write to the same vaults.
        with open(str(folder) + ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return self.backend.write(folder, key, version, data, message)

    async def get(self, session: AsyncSession, org_id: str, artifact_id: str) -> Artifact:
        artifact = await session.get(Artifact, artifact_id)
        if artifact is None or artifact.org_id != org_id:
            raise NotFound("artifact not found")
        return artifact

    async def find(
        self, session: AsyncSession, org_id: str, project_id: str | None, ref: str
    ) -> Artifact:
        """By id, by `key` (the latest version) or by `key@version`, within one project."""
        by_id = await session.get(Artifact, ref.strip())
        if by_id is not None and by_id.org_id == org_id:
            return by_id
        parsed = parse_ref(ref)
        query = select(Artifact).where(
            Artifact.org_id == org_id,
            Artifact.project_key == (project_id or DEFAULT_PROJECT),
            Artifact.key == parsed.key,
        )
        if parsed.version is not None:
            query = query.where(Artifact.version == parsed.version)
        found = await session.scalar(query.order_by(Artifact.version.desc()).limit(1))
        if found is None:
            raise NotFound(f"no artifact {ref!r} in this project's vault")
        return found

    async def read(self, artifact: Artifact) -> str | bytes:
        if artifact.value is not None:
            return artifact.value
        folder = self.folder(artifact.org_id, artifact.project_key)
        return await asyncio.to_thread(
            self.backend.read, folder, artifact.key, artifact.version, artifact.commit
        )

    async def artifacts(
        self,
        session: AsyncSession,
        org_id: str,
        *,
        project_id: str | None = None,
        playbook_run_id: str | None = None,
        kind: str | None = None,
        key: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[Sequence[Artifact], int]:
        conditions = [Artifact.org_id == org_id]
        if project_id is not None:
            conditions.append(Artifact.project_id == project_id)
        if playbook_run_id is not None:
            conditions.append(Artifact.playbook_run_id == playbook_run_id)
        if kind is not None:
            conditions.append(Artifact.kind == kind)
        if key is not None:
            conditions.append(Artifact.key == key)
        total = await session.scalar(select(func.count()).select_from(Artifact).where(*conditions))
        rows = await session.scalars(
            select(Artifact)
            .where(*conditions)
            .order_by(Artifact.created_at.desc(), Artifact.key, Artifact.version.desc())
            .limit(limit)
            .offset(offset)
        )
        return list(rows), total or 0

    async def manifest(self, session: AsyncSession, org_id: str, playbook_run_id: str) -> Manifest:
        rows = await session.scalars(
            select(Artifact)
            .where(Artifact.org_id == org_id, Artifact.playbook_run_id == playbook_run_id)
            .order_by(Artifact.created_at, Artifact.key, Artifact.version)
        )
        return Manifest(playbook_run_id, [_entry(a) for a in rows])

    async def write_manifest(
        self, session: AsyncSession, org_id: str, playbook_run_id: str
    ) -> Manifest:
        """Stores the run's manifest in its vault too (`manifests/<run>.json`, committed)."""
        manifest = await self.manifest(session, org_id, playbook_run_id)
        project_key = await session.scalar(
            select(Artifact.project_key)
            .where(Artifact.org_id == org_id, Artifact.playbook_run_id == playbook_run_id)
            .limit(1)
        )
        if project_key is None:
            return manifest  # nothing was delivered: no vault to write into
        folder = self.folder(org_id, project_key)
        body = json.dumps(manifest.as_json(), indent=2, ensure_ascii=False).encode()
        async with self._locks[folder]:
            commit = await asyncio.to_thread(
                self._write,
                folder,
                f"{MANIFESTS}/{playbook_run_id}.json",
                1,
                body,
                f"manifest of playbook run {playbook_run_id}",
            )
        return Manifest(manifest.playbook_run_id, manifest.artifacts, commit)

    async def history(self, org_id: str, project_id: str | None, limit: int = 50) -> list[Commit]:
        folder = self.folder(org_id, project_id or DEFAULT_PROJECT)
        return await asyncio.to_thread(self.backend.history, folder, limit)


def _entry(artifact: Artifact) -> ManifestEntry:
    return ManifestEntry(
        id=artifact.id,
        ref=f"{artifact.key}@{artifact.version}",
        kind=artifact.kind,
        key=artifact.key,
        version=artifact.version,
        stage=artifact.stage,
        author_agent_id=artifact.author_agent_id,
        author_user_id=artifact.author_user_id,
        summary=artifact.summary,
        sha256=artifact.sha256,
        size=artifact.size,
        commit=artifact.commit,
    )


def _default_media_type(value: str | None) -> str:
    return "text/markdown" if value is not None else "application/octet-stream"
