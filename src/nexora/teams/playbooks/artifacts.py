"""What the playbook engine needs of the project vault, and how it cites an artifact."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession


class ArtifactStore(Protocol):
    """`nexora.teams.vault.service.Vault` (`Platform.vault`) provides this."""

    async def deliver(
        self,
        session: AsyncSession,
        *,
        org_id: str,
        project_id: str | None,
        kind: str,
        key: str,
        value: str | None = None,
        summary: str,
        stage: str | None = None,
        playbook_run_id: str | None = None,
        author_agent_id: str | None = None,
        author_user_id: str | None = None,
    ) -> Any: ...

    async def find(
        self, session: AsyncSession, org_id: str, project_id: str | None, ref: str
    ) -> Any: ...

    async def read(self, artifact: Any) -> Any: ...

    async def write_manifest(
        self, session: AsyncSession, org_id: str, playbook_run_id: str
    ) -> Any: ...


def ref_of(artifact: Any) -> dict[str, Any]:
    """The reference a stage hands on: enough to name and open the artifact, not its body."""
    return {
        "id": artifact.id,
        "kind": artifact.kind,
        "key": artifact.key,
        "version": artifact.version,
        "summary": artifact.summary,
    }
