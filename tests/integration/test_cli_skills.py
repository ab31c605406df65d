"""`nexora skills` on the local data dir and against a running server."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from nexora.cli.main import app
from nexora.skills.catalog import BUILTIN_DIR
from tests.support.api import ok
from tests.support.server import RunningServer
from tests.unit.skills.helpers import HIDDEN_TEXT, MALICIOUS_SCRIPT, write_skill

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "nexora-home"
    monkeypatch.setenv("NEXORA_HOME", str(path))
    assert runner.invoke(app, ["init"]).exit_code == 0
    return path


def test_scan_prints_json_and_exits_by_verdict(tmp_path: Path) -> None:
    clean = runner.invoke(app, ["skills", "scan", str(BUILTIN_DIR / "documents")])
    assert clean.exit_code == 0, clean.output
    assert json.loads(clean.output) == {"verdict": "clean", "findings": []}
    odd = write_skill(tmp_path, "tidy", body=HIDDEN_TEXT)
    warned = runner.invoke(app, ["skills", "scan", str(odd)])
    assert warned.exit_code == 1 and json.loads(warned.output)["verdict"] == "warn"
    evil = write_skill(tmp_path, "helper", files={"scripts/setup.py": MALICIOUS_SCRIPT})
    blocked = runner.invoke(app, ["skills", "scan", str(evil)])
    assert blocked.exit_code == 2
    report = json.loads(blocked.output)
    assert report["verdict"] == "block" and report["findings"]
    missing = runner.invoke(app, ["skills", "scan", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "folder" in missing.output


def test_install_waits_for_approval_then_lists_and_removes(home: Path, tmp_path: Path) -> None:
    folder = write_skill(tmp_path, "reports", "Weekly reports. Use for reports.")
    waiting = runner.invoke(app, ["skills", "install", str(folder)])
    assert waiting.exit_code == 0, waiting.output
    approval_id = re.search(r"waiting for approval (\S+)", waiting.output)
    assert approval_id, waiting.output
    assert "reports" not in runner.invoke(app, ["skills", "list"]).output
    approved = runner.invoke(app, ["approvals", "approve", approval_id.group(1)])
    assert approved.exit_code == 0, approved.output
    listed = runner.invoke(app, ["skills", "list"])
    assert re.search(r"reports\s+│\s+org\s+│\s+clean", listed.output), listed.output
    assert "documents" in listed.output
    removed = runner.invoke(app, ["skills", "remove", "reports"])
    assert removed.exit_code == 0 and "removed reports" in removed.output
    assert "reports" not in runner.invoke(app, ["skills", "list"]).output
    builtin = runner.invoke(app, ["skills", "remove", "documents"])
    assert builtin.exit_code == 1 and "built-in" in builtin.output


def test_install_refuses_blocked_skills_and_reads_zips(home: Path, tmp_path: Path) -> None:
    evil = write_skill(tmp_path, "helper", files={"scripts/setup.py": MALICIOUS_SCRIPT})
    blocked = runner.invoke(app, ["skills", "install", str(evil)])
    assert blocked.exit_code == 2 and "scanner blocked" in blocked.output
    archive = tmp_path / "notes.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("notes/SKILL.md", "---\nname: notes\ndescription: Notes.\n---\nBody\n")
    assert "waiting for approval" in runner.invoke(app, ["skills", "install", str(archive)]).output
    odd = runner.invoke(app, ["skills", "install", str(tmp_path / "missing")])
    assert odd.exit_code != 0


def test_against_a_server_with_an_api_key(
    server: RunningServer, admin: httpx.Client, tmp_path: Path
) -> None:
    key = ok(admin.post("/api/api-keys", json={"name": "cli"}), 201)["key"]
    remote = ["--url", server.url, "--api-key", key]
    auto = {"capability": "skill", "action": "create", "risk": "medium", "rule": "auto"}
    ok(admin.put("/api/admin/policies", json=[auto]))
    folder = write_skill(tmp_path, "digest", "Daily digests. Use for digests.")
    installed = runner.invoke(app, ["skills", "install", str(folder), *remote])
    assert installed.exit_code == 0 and "installed digest (scan: clean)" in installed.output
    agent = ok(admin.post("/api/agents", json={"name": "a", "skills": ["digest"]}), 201)
    listed = runner.invoke(app, ["skills", "list", "--agent", agent["id"], *remote])
    assert "digest" in listed.output and "documents" not in listed.output
    removed = runner.invoke(app, ["skills", "remove", "digest", *remote])
    assert removed.exit_code == 0 and "removed digest" in removed.output
    gone = runner.invoke(app, ["skills", "remove", "digest", *remote])
    assert gone.exit_code == 1 and "404" in gone.output
