"""The vault on both databases and both backends: versions, refs, files, git history,
manifests, key checks, limits, tenancy and concurrent deliveries."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from nexora.config import Settings
from nexora.errors import ContentTooLarge, InvalidInput, NotFound
from nexora.storage import migrate
from nexora.storage.db import Database
from nexora.storage.models import Org
from nexora.teams.vault.service import Vault


@dataclass(frozen=True)
class Place:
    db: Database
    org_id: str
    other_org_id: str
    home: Path


@pytest.fixture
async def place(db_url: str, tmp_path: Path) -> AsyncIterator[Place]:
    db = Database(db_url)
    await migrate.upgrade(db)
    async with db.session() as session:
        org, other = Org(name="acme"), Org(name="globex")
        session.add_all([org, other])
        await session.commit()
        yield Place(db, org.id, other.id, tmp_path / "home")
    await db.dispose()


def vault_of(place: Place, backend: str, **limits: int) -> Vault:
    return Vault(Settings(home=place.home, vault_backend=backend, **limits))  # type: ignore[arg-type]


async def deliver(vault: Vault, place: Place, key: str, value: str, **extra: object) -> object:
    async with place.db.session() as session:
        artifact = await vault.deliver(
            session,
            org_id=extra.pop("org_id", place.org_id),  # type: ignore[arg-type]
            project_id=None,
            kind="design",
            key=key,
            value=value,
            summary=f"summary of {value}",
            **extra,  # type: ignore[arg-type]
        )
        await session.commit()
        return artifact


def git_log(folder: Path) -> list[str]:
    out = subprocess.run(
        ["git", "log", "--format=%s"], cwd=folder, capture_output=True, check=True, text=True
    )
    return out.stdout.splitlines()


async def test_git_vault_versions_each_delivery_in_one_commit(place: Place) -> None:
    vault = vault_of(place, "git")
    first = await deliver(vault, place, "design/api.md", "v1", stage="design")
    second = await deliver(vault, place, "design/api.md", "v2", stage="design")
    assert (first.version, second.version) == (1, 2)  # type: ignore[attr-defined]
    assert first.commit and second.commit and first.commit != second.commit  # type: ignore[attr-defined]
    folder = vault.folder(place.org_id, "default")
    assert git_log(folder) == [
        "design: design/api.md@2 (stage design)",
        "design: design/api.md@1 (stage design)",
    ]
    assert (folder / "design/api.md").read_text() == "v2"
    history = await vault.history(place.org_id, None)
    assert [c.sha for c in history] == [second.commit, first.commit]  # type: ignore[attr-defined]


@pytest.mark.parametrize("backend", ["git", "local"])
async def test_refs_resolve_and_files_read_back_by_version(place: Place, backend: str) -> None:
    vault = vault_of(place, backend)
    async with place.db.session() as session:
        for data in (b"\x00\x01old", b"\x00\x02new"):
            await vault.deliver(
                session,
                org_id=place.org_id,
                project_id=None,
                kind="code",
                key="impl/login.bin",
                content=data,
                filename="login.bin",
                summary="a binary",
            )
        await session.commit()
    async with place.db.session() as session:
        latest = await vault.find(session, place.org_id, None, "impl/login.bin")
        first = await vault.find(session, place.org_id, None, "impl/login.bin@1")
        by_id = await vault.find(session, place.org_id, None, first.id)
        assert (latest.version, first.version, by_id.id) == (2, 1, first.id)
        assert await vault.read(first) == b"\x00\x01old"
        assert await vault.read(latest) == b"\x00\x02new"
        with pytest.raises(NotFound):
            await vault.find(session, place.org_id, None, "impl/login.bin@3")
        with pytest.raises(NotFound):
            await vault.find(session, place.other_org_id, None, first.id)
        with pytest.raises(NotFound):
            await vault.get(session, place.other_org_id, first.id)


@pytest.mark.parametrize(
    "key", ["../escape.md", "/etc/passwd", ".git/config", "manifests/x.json", "a//b", "x" * 201]
)
async def test_keys_that_could_leave_the_vault_are_refused(place: Place, key: str) -> None:
    with pytest.raises(InvalidInput):
        await deliver(vault_of(place, "local"), place, key, "x")


async def test_kinds_sizes_and_value_shapes_are_checked(place: Place) -> None:
    vault = vault_of(place, "local", vault_max_artifact_bytes=1024)
    async with place.db.session() as session:
        common = {"org_id": place.org_id, "project_id": None, "key": "a.md", "summary": ""}
        with pytest.raises(InvalidInput):
            await vault.deliver(session, kind="Not A Slug", value="x", **common)  # type: ignore[arg-type]
        with pytest.raises(ContentTooLarge):
            await vault.deliver(session, kind="doc", value="x" * 2000, **common)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput):
            await vault.deliver(session, kind="doc", value="x", content=b"x", **common)  # type: ignore[arg-type]


async def test_concurrent_deliveries_to_one_key_get_distinct_versions(place: Place) -> None:
    vault = vault_of(place, "git")
    made = await asyncio.gather(*(deliver(vault, place, "notes.md", f"n{i}") for i in range(5)))
    assert sorted(a.version for a in made) == [1, 2, 3, 4, 5]  # type: ignore[attr-defined]
    assert len({a.commit for a in made}) == 5  # type: ignore[attr-defined]
    assert len(git_log(vault.folder(place.org_id, "default"))) == 5


async def test_manifest_lists_a_playbook_runs_artifacts_and_is_committed(place: Place) -> None:
    vault = vault_of(place, "git")
    await deliver(vault, place, "design.md", "d", playbook_run_id="run-1", stage="design")
    await deliver(vault, place, "code.diff", "c", playbook_run_id="run-1", stage="implement")
    await deliver(vault, place, "other.md", "o", playbook_run_id="run-2")
    async with place.db.session() as session:
        manifest = await vault.write_manifest(session, place.org_id, "run-1")
    assert [e.ref for e in manifest.artifacts] == ["design.md@1", "code.diff@1"]
    folder = vault.folder(place.org_id, "default")
    assert (folder / "manifests" / "run-1.json").exists()
    assert git_log(folder)[0] == "manifest of playbook run run-1"
    assert manifest.commit is not None
