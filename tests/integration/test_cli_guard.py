"""`nexora guard`: JSON on stdout, exit 0 / 1 / 2 for allow / approval / block."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nexora.cli.main import app

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "nexora-home"
    monkeypatch.setenv("NEXORA_HOME", str(path))
    return path


def _run(*args: str) -> tuple[int, dict[str, object]]:
    result = runner.invoke(app, ["guard", *args])
    return result.exit_code, json.loads(result.stdout)


def test_shell_exit_codes_follow_the_verdict(home: Path) -> None:
    code, body = _run("shell", "--", "ls -la")
    assert code == 0 and body["verdict"] == "allow"
    code, body = _run("shell", "--", "sudo apt-get install jq")
    assert code == 1 and body["verdict"] == "approval"
    code, body = _run("shell", "--", "cat ~/.ssh/id_rsa")
    assert code == 2 and body["verdict"] == "block"
    assert body["reasons"][0]["rule"] == "file.denied"  # type: ignore[index]


def test_path_in_an_agents_workspace(home: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert runner.invoke(app, ["agents", "create", "helper"]).exit_code == 0
    code, body = _run("path", "src/app.py", "--agent", "helper")
    assert code == 0, body
    code, body = _run("path", "../agent.yaml", "--agent", "helper")
    assert code == 2 and body["reasons"][0]["rule"] == "file.protected"  # type: ignore[index]
    code, body = _run("path", "/etc/hostname", "--agent", "helper", "--write")
    assert code == 2
    missing = runner.invoke(app, ["guard", "path", "x", "--agent", "nobody"])
    assert missing.exit_code == 1 and "not found" in missing.output


def test_path_without_an_agent_uses_the_current_directory(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _run("path", "notes.txt")[0] == 0
    assert _run("path", ".env")[0] == 2


def test_python_file(home: Path, tmp_path: Path) -> None:
    program = tmp_path / "wipe.py"
    program.write_text("import shutil\nshutil.rmtree('/')\n", encoding="utf-8")
    code, body = _run("python", str(program))
    assert code == 2 and body["verdict"] == "block"
