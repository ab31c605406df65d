"""Agent Skills over real HTTP: install through the capability policy, scanner refusals,
tenancy, limits, and every machine's copy of the org's skills."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.config import Settings
from nexora.skills.catalog import SkillCatalog
from nexora.skills.store import sync_org
from nexora.storage.models import AuditEvent
from tests.support.api import assert_problem, auth, login, ok
from tests.support.db import eventually, query
from tests.support.server import RunningServer
from tests.unit.skills.helpers import HIDDEN_TEXT, MALICIOUS_SCRIPT, skill_md

AUTO = {"capability": "skill", "action": "create", "risk": "medium", "rule": "auto"}
REPORTS = {
    "name": "reports",
    "files": {
        "SKILL.md": skill_md("reports", "Write weekly reports. Use when asked for a report."),
        "references/template.md": "# Week N\n",
    },
}


def _zip(folder: str, files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, text in files.items():
            archive.writestr(f"{folder}/{path}", text)
    return buffer.getvalue()


def _names(client: httpx.Client, **params: str) -> dict[str, str]:
    listing = ok(client.get("/api/skills", params=params))
    return {s["name"]: s["source"] for s in listing["skills"]}


def _org_id(admin: httpx.Client) -> str:
    org_id: str = ok(admin.get("/api/auth/me"))["org_id"]
    return org_id


def _user(
    admin: httpx.Client, anon: httpx.Client, name: str, role: str, **extra: str
) -> dict[str, str]:
    body = {"username": name, "password": "password-123", "role": role, **extra}
    ok(admin.post("/api/admin/users", json=body), 201)
    return auth(login(anon, name, "password-123"))


def test_built_in_skills_are_listed_with_their_details(admin: httpx.Client) -> None:
    assert _names(admin) == {
        "documents": "builtin",
        "file-organizer": "builtin",
        "web-research": "builtin",
    }
    detail = ok(admin.get("/api/skills/documents"))
    assert detail["manifest"]["name"] == "documents"
    assert {"SKILL.md", "scripts/extract_text.py"} <= {f["path"] for f in detail["files"]}
    assert "extract_text.py" in detail["instructions"]
    assert_problem(admin.get("/api/skills/nothing"), 404, "no skill named")


def test_install_waits_for_approval_then_is_listed_and_removed(
    admin: httpx.Client, anon: httpx.Client, server: RunningServer
) -> None:
    operator = _user(admin, anon, "olga", "operator")
    pending = ok(anon.post("/api/skills", json=REPORTS, headers=operator), 202)
    assert pending["status"] == "pending" and pending["risk"] == "medium"
    assert "reports" not in _names(admin)
    # The admin sees what they approve: manifest, files and the scanner's report.
    approval = ok(admin.get(f"/api/admin/approvals/{pending['approval_id']}"))
    assert (approval["capability"], approval["action"], approval["target"]) == (
        "skill",
        "create",
        "reports",
    )
    payload = approval["payload"]
    assert payload["manifest"]["description"].startswith("Write weekly reports")
    assert [f["path"] for f in payload["files"]] == ["SKILL.md", "references/template.md"]
    assert payload["scan"]["verdict"] == "clean" and approval["findings"] == []
    assert_problem(anon.post("/api/skills", json=REPORTS, headers=operator), 409, "waiting")

    ok(admin.post(f"/api/admin/approvals/{pending['approval_id']}/approve"))
    assert _names(admin)["reports"] == "org"
    detail = ok(anon.get("/api/skills/reports", headers=operator))
    assert detail["scan_verdict"] == "clean" and detail["source"] == "org"
    folder = server.platform.settings.skills_dir / _org_id(admin) / "reports"
    assert (folder / "references" / "template.md").read_text() == "# Week N\n"
    assert_problem(admin.post("/api/skills", json=REPORTS), 409, "already installed")

    # Removing is low risk by default: it applies at once.
    assert admin.delete("/api/skills/reports").status_code == 204
    assert "reports" not in _names(admin) and not folder.exists()
    assert_problem(admin.delete("/api/skills/reports"), 404, "no installed skill")
    assert_problem(admin.delete("/api/skills/documents"), 409, "built-in")


def test_zip_upload_applies_at_once_under_an_auto_policy(admin: httpx.Client) -> None:
    ok(admin.put("/api/admin/policies", json=[AUTO]))
    files = {"SKILL.md": skill_md("charts", "Draw charts. Use for plots."), "assets/x.bin": "ab"}
    response = admin.post(
        "/api/skills", content=_zip("charts", files), headers={"Content-Type": "application/zip"}
    )
    created = ok(response, 201)
    assert created["name"] == "charts" and created["source"] == "org"
    assert _names(admin)["charts"] == "org"
    # The folder name in the archive must be the skill's name, as the format requires.
    wrong = _zip("other", {"SKILL.md": skill_md("misnamed", "Wrong folder. Use never.")})
    refused = admin.post("/api/skills", content=wrong, headers={"Content-Type": "application/zip"})
    assert_problem(refused, 422, "must match its folder")


def test_the_scanner_blocks_a_malicious_skill_with_its_findings(
    admin: httpx.Client, db_url: str
) -> None:
    ok(admin.put("/api/admin/policies", json=[AUTO]))
    evil = {
        "name": "helper",
        "files": {
            "SKILL.md": skill_md("helper", "Helps. Use always."),
            "scripts/setup.py": MALICIOUS_SCRIPT,
        },
    }
    refused = admin.post("/api/skills", json=evil)
    assert_problem(refused, 422, "scanner blocked 'helper'")
    findings = refused.json()["findings"]
    assert findings and {f["severity"] for f in findings} & {"high", "critical"}
    assert all(f["file"] for f in findings)
    assert "helper" not in _names(admin)
    assert ok(admin.get("/api/admin/approvals"))["items"] == []

    async def blocked(db: AsyncSession) -> list[AuditEvent]:
        rows = await db.scalars(select(AuditEvent).where(AuditEvent.action == "skill.create"))
        return list(rows)

    (event,) = eventually(db_url, blocked, lambda rows: len(rows) >= 1)
    assert event.status == "denied" and event.detail["findings"]


def test_scanner_warnings_make_the_install_high_risk(admin: httpx.Client) -> None:
    """Even where the org lets skills install at once, warnings put an admin in the loop."""
    ok(admin.put("/api/admin/policies", json=[AUTO]))
    body = {
        "name": "tidy",
        "files": {"SKILL.md": skill_md("tidy", "Tidies. Use to tidy.", HIDDEN_TEXT)},
    }
    pending = ok(admin.post("/api/skills", json=body), 202)
    assert pending["risk"] == "high"
    approval = ok(admin.get(f"/api/admin/approvals/{pending['approval_id']}"))
    assert [f["rule"] for f in approval["findings"]] == ["markdown.hidden_text"]
    assert approval["payload"]["scan"]["verdict"] == "warn"
    ok(admin.post(f"/api/admin/approvals/{pending['approval_id']}/approve"))
    detail = ok(admin.get("/api/skills/tidy"))
    assert detail["scan_verdict"] == "warn" and detail["findings"][0]["line"] == 7


def test_other_orgs_neither_see_nor_remove_skills(admin: httpx.Client, anon: httpx.Client) -> None:
    ok(admin.put("/api/admin/policies", json=[AUTO]))
    ok(admin.post("/api/skills", json=REPORTS), 201)
    agent = ok(admin.post("/api/agents", json={"name": "writer"}), 201)
    org = ok(admin.post("/api/admin/orgs", json={"name": "acme"}), 201)
    other = _user(admin, anon, "boss", "admin", org_id=org["id"])
    listed = ok(anon.get("/api/skills", headers=other))["skills"]
    assert "reports" not in {s["name"] for s in listed}
    assert_problem(anon.get("/api/skills/reports", headers=other), 404)
    assert_problem(anon.delete("/api/skills/reports", headers=other), 404)
    assert_problem(anon.get("/api/skills", params={"agent_id": agent["id"]}, headers=other), 404)
    viewer = _user(admin, anon, "vic", "viewer")
    assert_problem(anon.post("/api/skills", json=REPORTS, headers=viewer), 403)
    assert_problem(anon.delete("/api/skills/reports", headers=viewer), 403)


def test_agent_view_restriction_and_own_skills(admin: httpx.Client, server: RunningServer) -> None:
    agent = ok(admin.post("/api/agents", json={"name": "reader", "skills": ["documents"]}), 201)
    assert _names(admin, agent_id=agent["id"]) == {"documents": "builtin"}
    free = ok(admin.post("/api/agents", json={"name": "free"}), 201)
    workspace = server.platform.settings.agents_dir / free["id"] / "workspace"
    own = workspace / "skills" / "web-research"
    own.mkdir(parents=True)
    (own / "SKILL.md").write_text(skill_md("web-research", "The agent's own research way."))
    broken = workspace / "skills" / "broken"
    broken.mkdir()
    (broken / "SKILL.md").write_text("no front matter")
    listing = ok(admin.get("/api/skills", params={"agent_id": free["id"]}))
    sources = {s["name"]: s["source"] for s in listing["skills"]}
    assert sources == {"documents": "builtin", "file-organizer": "builtin", "web-research": "agent"}
    assert [(p["name"], p["source"]) for p in listing["invalid"]] == [("broken", "agent")]
    assert_problem(admin.get("/api/skills", params={"agent_id": "nope"}), 404)


def test_bad_uploads_are_refused_clearly(admin: httpx.Client, settings: Settings) -> None:
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"name": "x", "files": {"README.md": "hi"}}, 422, "needs a SKILL.md"),
        ({**REPORTS, "files": {**REPORTS["files"], "../up.md": "x"}}, 422, "leaves the skill"),
        ({**REPORTS, "name": "other"}, 422, "must match"),
        ({**REPORTS, "name": "Bad Name"}, 422, "name"),
        ({"name": "x", "files": {"SKILL.md": "no front matter"}}, 422, "front matter"),
        (
            {**REPORTS, "files": {**REPORTS["files"], "big.md": "x" * settings.skill_max_bytes}},
            413,
            "at most",
        ),
    ]
    for body, status, detail in cases:
        assert_problem(admin.post("/api/skills", json=body), status, detail)
    assert_problem(
        admin.post("/api/skills", content=b"x", headers={"Content-Type": "text/plain"}), 415, "zip"
    )
    assert_problem(
        admin.post(
            "/api/skills", content=b"not a zip", headers={"Content-Type": "application/zip"}
        ),
        422,
        "not a zip",
    )
    assert_problem(
        admin.post("/api/skills", content=b"{", headers={"Content-Type": "application/json"}),
        422,
        "malformed JSON",
    )
    too_big = b"x" * (settings.max_body_bytes + 1)
    assert (
        admin.post(
            "/api/skills", content=too_big, headers={"Content-Type": "application/zip"}
        ).status_code
        == 413
    )


def test_every_machine_rebuilds_its_copy_from_the_database(
    admin: httpx.Client, server: RunningServer, tmp_path: Path
) -> None:
    ok(admin.put("/api/admin/policies", json=[AUTO]))
    ok(admin.post("/api/skills", json=REPORTS), 201)
    org_id = _org_id(admin)
    elsewhere = SkillCatalog(tmp_path / "machine-2")
    query(server.platform.settings.database_url, lambda db: sync_org(db, elsewhere, org_id))
    assert elsewhere.for_org(org_id).by_name()["reports"].scan_verdict == "clean"
    # A copy lost or edited by hand on this machine is restored on the next listing.
    local = server.platform.settings.skills_dir / org_id / "reports"
    (local / ".nexora-install.json").write_text('{"digest": "stale"}')
    assert _names(admin)["reports"] == "org"
    assert "stale" not in (local / ".nexora-install.json").read_text()
    assert admin.delete("/api/skills/reports").status_code == 204
    query(server.platform.settings.database_url, lambda db: sync_org(db, elsewhere, org_id))
    assert "reports" not in elsewhere.for_org(org_id).by_name()
