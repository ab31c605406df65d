"""`POST /api/memory/archival/ingest` and the jobs API over real HTTP, on both backends: every
file type, a URL, dedup on a second upload, progress, failures, the org's upload limit,
grants, tenancy and the audit event."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from nexora.config import Settings
from nexora.storage.db import Database
from nexora.storage.models import MemoryItem
from tests.fakes.web_site import LoopbackSite, Reply
from tests.support.api import assert_problem, login, ok
from tests.support.server import RunningServer
from tests.unit.skills import office_files

URL = "/api/memory/archival/ingest"
MIB = 1024 * 1024


@pytest.fixture
def site() -> Iterator[LoopbackSite]:
    with LoopbackSite() as running:
        yield running


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The test web site is on loopback, which the network guard refuses unless allowed.
    return settings.model_copy(update={"web_allowed_hosts": ["127.0.0.1"]})


def _agent(client: httpx.Client, name: str = "librarian") -> dict[str, Any]:
    agent: dict[str, Any] = ok(client.post("/api/agents", json={"name": name}), 201)
    return agent


def _finished(client: httpx.Client, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        job: dict[str, Any] = ok(client.get(f"/api/memory/jobs/{job_id}"))
        if job["status"] in ("completed", "failed"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def _items(server: RunningServer, agent_id: str) -> list[MemoryItem]:
    async def read() -> list[MemoryItem]:
        db = Database(server.platform.settings.database_url)
        try:
            async with db.session() as session:
                rows = await session.scalars(
                    select(MemoryItem)
                    .where(MemoryItem.agent_id == agent_id, MemoryItem.status == "active")
                    .order_by(MemoryItem.source, MemoryItem.position)
                )
                return list(rows)
        finally:
            await db.dispose()

    return asyncio.run(read())


def _every_type(folder: Path) -> list[tuple[str, tuple[str, bytes, str]]]:
    folder.mkdir()
    made = [
        office_files.pdf(folder / "manual.pdf", ["Pump manual page one", "Page two"]),
        office_files.docx(folder / "report.docx"),
        office_files.xlsx(folder / "budget.xlsx"),
        office_files.pptx(folder / "deck.pptx", {1: "Roadmap slide"}),
    ]
    extra = {
        "notes.md": b"# Notes\n\nShip on Fridays.",
        "page.html": b"<html><body><h1>Help</h1><p>Call support.</p></body></html>",
        "plain.txt": "纯文本里的中文内容".encode(),
    }
    files = [("files", (p.name, p.read_bytes(), "application/octet-stream")) for p in made]
    files += [("files", (name, body, "text/plain")) for name, body in extra.items()]
    return files


def test_every_file_type_is_ingested_once_and_audited(
    server: RunningServer, admin: httpx.Client, tmp_path: Path
) -> None:
    agent = _agent(admin)
    files = _every_type(tmp_path / "upload")
    accepted = ok(admin.post(URL, data={"agent_id": agent["id"]}, files=files), 202)
    assert accepted["status"] == "queued" and accepted["total"] == 7
    job = _finished(admin, accepted["job_id"])
    assert (job["status"], job["done"], job["total"], job["error"]) == ("completed", 7, 7, None)
    items = _items(server, agent["id"])
    assert job["added"] == len(items) == 8
    by_source: dict[str, list[str]] = {}
    for item in items:
        by_source.setdefault(item.source or "", []).append(item.text)
    assert by_source == {
        "budget.xlsx": ["Quarter\tAmount\nQ1\t1500.5\tTRUE"],
        "deck.pptx": ["Roadmap slide"],
        "manual.pdf": ["Pump manual page one", "Page two"],
        "notes.md": ["# Notes\n\nShip on Fridays."],
        "page.html": ["# Help\n\nCall support."],
        "plain.txt": ["纯文本里的中文内容"],
        "report.docx": [
            "# Annual report\n\nRevenue grew 12 percent.\n\n| Region | Sales |\n| North | 420 |"
        ],
    }
    again = ok(admin.post(URL, data={"agent_id": agent["id"]}, files=files), 202)
    repeat = _finished(admin, again["job_id"])
    assert (repeat["added"], repeat["duplicates"]) == (0, 8)
    assert len(_items(server, agent["id"])) == 8
    listed = ok(admin.get("/api/memory/jobs", params={"agent_id": agent["id"]}))["jobs"]
    assert [j["id"] for j in listed] == [again["job_id"], accepted["job_id"]]
    events = ok(admin.get("/api/admin/audit", params={"action": "memory.ingest"}))["items"]
    assert {e["detail"]["job_id"] for e in events} == {accepted["job_id"], again["job_id"]}
    assert events[0]["resource_id"] == agent["id"]


def test_a_url_is_fetched_and_a_broken_file_fails_the_job(
    server: RunningServer, admin: httpx.Client, site: LoopbackSite
) -> None:
    agent = _agent(admin)
    site.route(
        "/faq", Reply(body=b"<h2>Returns</h2><p>Within 30 days.</p>", content_type="text/html")
    )
    accepted = ok(admin.post(URL, json={"agent_id": agent["id"], "url": site.url("/faq")}), 202)
    job = _finished(admin, accepted["job_id"])
    assert (job["status"], job["added"], job["source"]) == ("completed", 1, site.url("/faq"))
    (item,) = _items(server, agent["id"])
    assert item.text == "## Returns\n\nWithin 30 days." and item.source == site.url("/faq")
    broken = ok(
        admin.post(URL, data={"agent_id": agent["id"]}, files=[("files", ("bad.xlsx", b"nope"))]),
        202,
    )
    failed = _finished(admin, broken["job_id"])
    assert failed["status"] == "failed"
    assert failed["error"] == "bad.xlsx is not a valid Office file: File is not a zip file"
    assert failed["failures"] == [{"source": "bad.xlsx", "error": failed["error"]}]
    assert_problem(admin.post(URL, json={"agent_id": agent["id"], "url": "/etc/passwd"}), 422)
    assert_problem(admin.post(URL, json={"agent_id": agent["id"]}), 422)
    assert_problem(admin.post(URL, content=b"x", headers={"content-type": "text/plain"}), 415)
    huge = b'{"agent_id": "' + b"x" * (2 * MIB) + b'"}'
    assert_problem(admin.post(URL, content=huge, headers={"content-type": "application/json"}), 413)


def test_the_orgs_upload_limit_applies(admin: httpx.Client) -> None:
    agent = _agent(admin)
    ok(admin.put("/api/admin/config/max_upload_mb", json={"value": 1}))
    big = ("files", ("big.txt", b"x" * (MIB + 1), "text/plain"))
    assert_problem(admin.post(URL, data={"agent_id": agent["id"]}, files=[big]), 413)
    ok(admin.put("/api/admin/config/max_upload_mb", json={"value": 2}))
    accepted = ok(admin.post(URL, data={"agent_id": agent["id"]}, files=[big]), 202)
    assert _finished(admin, accepted["job_id"])["status"] == "completed"


def test_grants_and_tenancy(server: RunningServer, admin: httpx.Client, anon: httpx.Client) -> None:
    agent = _agent(admin)
    note = [("files", ("a.md", b"# A\n\nShared note."))]
    mine = ok(admin.post(URL, data={"agent_id": agent["id"]}, files=note), 202)["job_id"]
    org = ok(admin.post("/api/admin/orgs", json={"name": "globex"}), 201)
    other = {"username": "globex-admin", "password": "password-123", "role": "admin"}
    ok(admin.post("/api/admin/users", json={**other, "org_id": org["id"]}), 201)
    with server.client(login(anon, "globex-admin", "password-123")) as globex:
        theirs = _agent(globex, "theirs")
        assert_problem(globex.get(f"/api/memory/jobs/{mine}"), 404)
        assert_problem(globex.post(URL, data={"agent_id": agent["id"]}, files=note), 404)
        assert ok(globex.get("/api/memory/jobs"))["jobs"] == []
    assert_problem(admin.post(URL, data={"agent_id": theirs["id"]}, files=note), 404)
    assert_problem(admin.get("/api/memory/jobs", params={"agent_id": theirs["id"]}), 404)

    ids = {}
    for name, role in (("op", "operator"), ("viewer", "viewer")):
        user = {"username": name, "password": "password-123", "role": role}
        ids[name] = ok(admin.post("/api/admin/users", json=user), 201)["id"]
    with server.client(login(anon, "op", "password-123")) as operator:
        assert_problem(operator.post(URL, data={"agent_id": agent["id"]}, files=note), 403)
        assert_problem(operator.get(f"/api/memory/jobs/{mine}"), 403)
        assert ok(operator.get("/api/memory/jobs"))["jobs"] == []
        ok(
            admin.post("/api/admin/grants", json={"user_id": ids["op"], "agent_id": agent["id"]}),
            201,
        )
        assert ok(operator.get(f"/api/memory/jobs/{mine}"))["id"] == mine
        private = ok(
            operator.post(URL, data={"agent_id": agent["id"], "private": "true"}, files=note), 202
        )
        job = _finished(operator, private["job_id"])
        assert job["added"] == 1  # the shared copy is someone else's memory
    owners = {(i.user_id, i.created_by) for i in _items(server, agent["id"])}
    assert owners == {(None, ok(admin.get("/api/auth/me"))["user_id"]), (ids["op"], ids["op"])}
    with server.client(login(anon, "viewer", "password-123")) as viewer:
        assert_problem(viewer.post(URL, data={"agent_id": agent["id"]}, files=note), 403)
    assert_problem(anon.get(f"/api/memory/jobs/{mine}"), 401)
