"""Ingestion jobs on SQLite and PostgreSQL: progress, dedup, changed documents, failures,
connectors with credentials from the secret store, URLs through the guarded client, and jobs
a dead process left behind."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from nexora.auth.actor import Actor, Role
from nexora.config import Settings
from nexora.governance.audit import AuditLog
from nexora.governance.records import RecordSink
from nexora.governance.secret_store import SecretOwner, SecretStore
from nexora.governance.secrets import SecretBox
from nexora.memory.ingest.jobs import JobProgress, create_job, fail_orphaned
from nexora.memory.ingest.limits import IngestLimits
from nexora.memory.ingest.runner import Ingestion, IngestRequest
from nexora.memory.ingest.sources import resolve_target
from nexora.memory.scope import Owner
from nexora.memory.service import Memory
from nexora.storage.base import utcnow
from nexora.storage.models import MemoryChange, MemoryItem, MemoryJob
from tests.fakes.feishu_api import FakeFeishu, heading, text
from tests.fakes.mineru_api import FakeMinerU
from tests.fakes.web_site import LoopbackSite, Reply
from tests.unit.memory.conftest import World
from tests.unit.skills import office_files


@pytest.fixture
def site() -> Iterator[LoopbackSite]:
    with LoopbackSite() as running:
        yield running


def _ingestion(world: World, tmp_path: Path, **settings: Any) -> Ingestion:
    config = Settings(
        home=tmp_path / "home", detect_local_models=False, embedder="none", **settings
    )
    store = SecretStore(SecretBox.from_keys_dir(tmp_path / "keys"))
    return Ingestion(
        world.db, config, store, Memory(config), AuditLog(RecordSink(world.db), enabled=False)
    )


async def _ingest(
    ingestion: Ingestion, world: World, target: str, seen: list[JobProgress] | None = None
) -> MemoryJob:
    owner = Owner(world.org_id, agent_id=world.agent_id)
    limits = IngestLimits()
    request = IngestRequest(owner, resolve_target(target, limits), world.user_id, limits)
    actor = Actor(world.user_id, "ann", world.org_id, Role.OPERATOR, False, "token")
    job = await ingestion.create(request, target, actor=actor, request_info=None)
    assert job.status == "queued"
    snapshots = seen if seen is not None else []
    return await ingestion.run(
        job.id,
        request,
        lambda p: snapshots.append(JobProgress(p.job_id, p.total, p.done, p.added, p.duplicates)),
    )


async def _items(world: World) -> list[MemoryItem]:
    async with world.db.session() as session:
        rows = await session.scalars(
            select(MemoryItem)
            .where(MemoryItem.org_id == world.org_id)
            .order_by(MemoryItem.source, MemoryItem.position)
        )
        return list(rows)


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "kb"
    folder.mkdir()
    office_files.pdf(folder / "manual.pdf", ["Install the pump first.", "Then open the valve."])
    office_files.docx(folder / "report.docx")
    (folder / "faq.md").write_text("# FAQ\n\nShipping takes 3 days.\n", encoding="utf-8")
    (folder / ".hidden.md").write_text("secret notes", encoding="utf-8")
    return folder


async def test_a_folder_is_ingested_with_progress_and_positions(
    world: World, tmp_path: Path
) -> None:
    seen: list[JobProgress] = []
    job = await _ingest(_ingestion(world, tmp_path), world, str(_folder(tmp_path)), seen)
    assert (job.status, job.total, job.done, job.error) == ("completed", 3, 3, None)
    items = await _items(world)
    assert job.added == len(items) == 4 and job.duplicates == 0
    assert [s.done for s in seen][-1] == 3 and [s.done for s in seen] == sorted(
        s.done for s in seen
    )
    by_source = {Path(i.source or "").name: i for i in items if i.position == 0}
    pdf_items = [i for i in items if (i.source or "").endswith("manual.pdf")]
    assert [(i.position, i.meta["page"], i.text) for i in pdf_items] == [
        (0, 1, "Install the pump first."),
        (1, 2, "Then open the valve."),
    ]
    assert by_source["faq.md"].meta["section"] == "FAQ"
    assert all(
        (i.layer, i.kind, i.origin, i.agent_id, i.created_by)
        == ("archival", "chunk", "ingest", world.agent_id, world.user_id)
        for i in items
    )
    assert not any(".hidden" in (i.source or "") for i in items)
    async with world.db.session() as session:
        stored = await session.get(MemoryJob, job.id)
    assert stored is not None and stored.status == "completed" and stored.added == 4


async def test_the_same_files_again_add_nothing(world: World, tmp_path: Path) -> None:
    ingestion = _ingestion(world, tmp_path)
    folder = _folder(tmp_path)
    await _ingest(ingestion, world, str(folder))
    again = await _ingest(ingestion, world, str(folder))
    assert (again.status, again.added, again.duplicates) == ("completed", 0, 4)
    assert len(await _items(world)) == 4


async def test_a_changed_document_retires_what_it_no_longer_says(
    world: World, tmp_path: Path
) -> None:
    ingestion = _ingestion(world, tmp_path)
    path = office_files.pdf(tmp_path / "policy.pdf", ["Leave is 20 days.", "Ask your manager."])
    await _ingest(ingestion, world, str(path))
    office_files.pdf(path, ["Leave is 25 days.", "Ask your manager."])
    job = await _ingest(ingestion, world, str(path))
    assert (job.added, job.duplicates, job.meta["retired"]) == (1, 1, 1)
    items = await _items(world)
    assert {(i.text, i.status) for i in items} == {
        ("Leave is 20 days.", "retired"),
        ("Leave is 25 days.", "active"),
        ("Ask your manager.", "active"),
    }
    async with world.db.session() as session:
        actions = await session.scalars(
            select(MemoryChange.action).order_by(MemoryChange.created_at)
        )
        assert sorted(actions) == ["create", "create", "create", "retire"]


async def test_unreadable_documents_are_listed_and_fail_the_job_only_when_all_do(
    world: World, tmp_path: Path
) -> None:
    ingestion = _ingestion(world, tmp_path)
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "broken.docx").write_bytes(b"not a zip")
    (folder / "good.txt").write_text("A readable note.", encoding="utf-8")
    job = await _ingest(ingestion, world, str(folder))
    assert (job.status, job.added, job.error) == ("completed", 1, None)
    assert job.meta["failures"] == [
        {
            "source": str((folder / "broken.docx").resolve()),
            "error": "broken.docx is not a valid Office file: File is not a zip file",
        }
    ]
    only_bad = await _ingest(ingestion, world, str(folder / "broken.docx"))
    assert only_bad.status == "failed"
    assert only_bad.error == "broken.docx is not a valid Office file: File is not a zip file"


async def test_feishu_documents_use_the_orgs_secrets(
    world: World, tmp_path: Path, site: LoopbackSite
) -> None:
    fake = FakeFeishu(site)
    fake.add_document(
        "doxcnPolicy001", "Travel policy", [heading(1, "Trains"), text("Book second class.")]
    )
    ingestion = _ingestion(world, tmp_path, feishu_base_url=site.url(""))
    missing = await _ingest(ingestion, world, "feishu:docx/doxcnPolicy001")
    assert missing.status == "failed" and "FEISHU_APP_ID and FEISHU_APP_SECRET" in (
        missing.error or ""
    )
    async with world.db.session() as session:
        org = SecretOwner(world.org_id, None)
        await ingestion.secrets.put(session, org, "FEISHU_APP_ID", fake.app_id)
        await ingestion.secrets.put(session, org, "FEISHU_APP_SECRET", "outdated")
    refused = await _ingest(ingestion, world, "feishu:docx/doxcnPolicy001")
    assert refused.status == "failed" and "app secret invalid" in (refused.error or "")
    async with world.db.session() as session:
        # The person asking has their own secret: it wins over the org's.
        mine = SecretOwner(world.org_id, world.user_id)
        await ingestion.secrets.put(session, mine, "FEISHU_APP_SECRET", fake.app_secret)
    job = await _ingest(ingestion, world, "feishu:docx/doxcnPolicy001")
    assert (job.status, job.added) == ("completed", 1)
    (item,) = [i for i in await _items(world)]
    assert item.source == "feishu:docx/doxcnPolicy001"
    assert item.text == "# Trains\n\nBook second class."
    assert item.meta["title"] == "Travel policy" and item.meta["section"] == "Trains"


async def test_urls_go_through_the_network_guard(
    world: World, tmp_path: Path, site: LoopbackSite
) -> None:
    site.route(
        "/guide.html",
        Reply(body=b"<h1>Guide</h1><p>Press the red button.</p>", content_type="text/html"),
    )
    refused = await _ingest(_ingestion(world, tmp_path), world, site.url("/guide.html"))
    assert refused.status == "failed" and "loopback" in (refused.error or "")
    allowed = _ingestion(world, tmp_path, web_allowed_hosts=["127.0.0.1"])
    job = await _ingest(allowed, world, site.url("/guide.html"))
    assert (job.status, job.added) == ("completed", 1)
    (item,) = await _items(world)
    assert item.source == site.url("/guide.html")
    assert item.text == "# Guide\n\nPress the red button."


async def test_jobs_a_dead_process_left_are_marked_failed(world: World) -> None:
    owner = Owner(world.org_id, agent_id=world.agent_id)
    alive = await create_job(world.db, owner, "mine", 1, None)
    dead = await create_job(world.db, owner, "dead pid", 1, None)
    elsewhere_stale = await create_job(world.db, owner, "other host, silent", 1, None)
    elsewhere_fresh = await create_job(world.db, owner, "other host, busy", 1, None)
    async with world.db.session() as session:
        rows = {j.id: j for j in await session.scalars(select(MemoryJob))}
        rows[alive.id].status = "running"
        rows[alive.id].meta = {"runner": {"host": socket.gethostname(), "pid": os.getppid()}}
        rows[dead.id].status = "running"
        rows[dead.id].meta = {"runner": {"host": socket.gethostname(), "pid": 2**22 + 17}}
        rows[elsewhere_stale.id].meta = {"runner": {"host": "other-node", "pid": 1}}
        rows[elsewhere_stale.id].updated_at = utcnow() - timedelta(hours=2)
        rows[elsewhere_fresh.id].meta = {"runner": {"host": "other-node", "pid": 1}}
        await session.commit()
    assert await fail_orphaned(world.db, stale_seconds=600) == 2
    async with world.db.session() as session:
        after = {j.source: j for j in await session.scalars(select(MemoryJob))}
    assert after["mine"].status == "running"
    assert after["other host, busy"].status == "queued"
    for name in ("dead pid", "other host, silent"):
        assert after[name].status == "failed"
        assert "interrupted: the process running this ingestion stopped" in (
            after[name].error or ""
        )


async def test_pdfs_go_to_mineru_when_configured(
    world: World, tmp_path: Path, site: LoopbackSite
) -> None:
    fake = FakeMinerU(site, markdown="# Scanned\n\nThe table says 42.")
    ingestion = _ingestion(
        world,
        tmp_path,
        ingest_pdf_parser="mineru",
        mineru_base_url=site.url(""),
        mineru_poll_seconds=0.01,
    )
    pdf = office_files.pdf(tmp_path / "scan.pdf", ["unused local text"])
    missing = await _ingest(ingestion, world, str(pdf))
    assert missing.status == "failed" and "MINERU_API_TOKEN" in (missing.error or "")
    async with world.db.session() as session:
        await ingestion.secrets.put(
            session, SecretOwner(world.org_id, None), "MINERU_API_TOKEN", fake.token
        )
    job = await _ingest(ingestion, world, str(pdf))
    assert (job.status, job.added) == ("completed", 1)
    (item,) = await _items(world)
    assert item.text == "# Scanned\n\nThe table says 42." and item.meta["media"] == "pdf"
    assert fake.uploads[0].body == pdf.read_bytes()


async def test_stopping_the_process_fails_its_running_jobs(
    world: World, tmp_path: Path, site: LoopbackSite
) -> None:
    fake = FakeFeishu(site, slow_seconds=2.0)
    fake.add_document("doxcnSlowDoc01", "Slow", [text("late")])
    ingestion = _ingestion(world, tmp_path, feishu_base_url=site.url(""))
    async with world.db.session() as session:
        owner = SecretOwner(world.org_id, None)
        await ingestion.secrets.put(session, owner, "FEISHU_APP_ID", fake.app_id)
        await ingestion.secrets.put(session, owner, "FEISHU_APP_SECRET", fake.app_secret)
    limits = IngestLimits()
    request = IngestRequest(
        Owner(world.org_id, agent_id=world.agent_id),
        resolve_target("feishu:docx/doxcnSlowDoc01", limits),
        None,
        limits,
    )
    actor = Actor(world.user_id, "ann", world.org_id, Role.OPERATOR, False, "token")
    job = await ingestion.create(request, "feishu", actor=actor, request_info=None)
    ingestion.start(job, request)
    for _ in range(200):  # until the job is inside the slow call
        if any(s.path.endswith("/blocks") for s in site.requests):
            break
        await asyncio.sleep(0.01)
    await ingestion.stop()
    async with world.db.session() as session:
        stopped = await session.get(MemoryJob, job.id)
    assert stopped is not None and stopped.status == "failed"
    assert stopped.error == "stopped: the server shut down during the job"


async def test_a_document_without_text_is_a_failure_not_an_empty_version(
    world: World, tmp_path: Path
) -> None:
    ingestion = _ingestion(world, tmp_path)
    path = tmp_path / "notes.txt"
    path.write_text("Keep this fact.", encoding="utf-8")
    await _ingest(ingestion, world, str(path))
    path.write_text("   \n", encoding="utf-8")
    job = await _ingest(ingestion, world, str(path))
    assert job.status == "failed" and "has no text to ingest" in (job.error or "")
    (item,) = await _items(world)
    assert (item.text, item.status) == ("Keep this fact.", "active")


async def test_recovery_removes_uploads_no_job_will_read(world: World, tmp_path: Path) -> None:
    ingestion = _ingestion(world, tmp_path)
    old, fresh = ingestion.uploads_dir / "ingest-old", ingestion.uploads_dir / "ingest-new"
    for folder in (old, fresh):
        (folder / "0").mkdir(parents=True)
        (folder / "0" / "a.txt").write_text("x", encoding="utf-8")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    assert await ingestion.recover() == 0
    assert not old.exists() and fresh.exists()
