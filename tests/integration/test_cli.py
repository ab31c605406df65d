"""The `nexora` command on a local data dir."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from nexora.cli.main import app
from tests.fakes.openai_server import FakeOpenAIServer

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "nexora-home"
    monkeypatch.setenv("NEXORA_HOME", str(path))
    return path


def test_init_prints_a_generated_password_once(home: Path) -> None:
    first = runner.invoke(app, ["init"])
    assert first.exit_code == 0, first.output
    match = re.search(r"password\s+(\S+)", first.output)
    assert match, first.output
    assert (home / "config.yaml").is_file() and (home / "nexora.db").is_file()
    second = runner.invoke(app, ["init"])
    assert second.exit_code == 0 and "password" not in second.output
    listed = runner.invoke(app, ["users", "list"])
    assert "admin" in listed.output


def test_users_and_agents_commands(home: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    made = runner.invoke(
        app, ["users", "create", "ana", "--role", "operator", "--password", "password-123"]
    )
    assert made.exit_code == 0, made.output
    short = runner.invoke(app, ["users", "create", "bo", "--password", "short"])
    assert short.exit_code == 1 and "at least 8" in short.output

    created = runner.invoke(
        app, ["agents", "create", "helper", "--description", "Helps", "--tool", "read_file"]
    )
    assert created.exit_code == 0, created.output
    shown = runner.invoke(app, ["agents", "show", "helper"])
    assert shown.exit_code == 0
    assert yaml.safe_load(shown.output.split("# workspace")[0])["tools"] == ["read_file"]
    assert "helper" in runner.invoke(app, ["agents", "list"]).output
    missing = runner.invoke(app, ["agents", "show", "nobody"])
    assert missing.exit_code == 1 and "not found" in missing.output


def test_reload_reports_a_broken_file_and_keeps_going(home: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert runner.invoke(app, ["agents", "create", "a1"]).exit_code == 0
    assert runner.invoke(app, ["agents", "create", "a2"]).exit_code == 0
    broken = next((home / "agents").glob("*/agent.yaml"))
    broken.write_text("name: [oops\n")
    result = runner.invoke(app, ["agents", "reload"])
    assert result.exit_code == 1 and "not valid YAML" in result.output
    listed = runner.invoke(app, ["agents", "list"])
    assert "a1" in listed.output and "a2" in listed.output


def test_reload_indexes_restored_agent_folders(home: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert runner.invoke(app, ["agents", "create", "keeper"]).exit_code == 0
    backup = tmp_path / "backup"
    import shutil

    shutil.copytree(home / "agents", backup)
    (home / "nexora.db").unlink()
    for extra in home.glob("nexora.db-*"):
        extra.unlink()
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert "keeper" not in runner.invoke(app, ["agents", "list"]).output
    result = runner.invoke(app, ["agents", "reload"])
    # The old org id no longer exists after the database was recreated: reported, not fatal.
    assert "organization" in result.output


def test_doctor_reports_and_says_what_to_fix(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXORA_DETECT_LOCAL_MODELS", "false")
    monkeypatch.setenv("NEXORA_MEMORY_AUTO_EXTRACT", "false")
    fresh = runner.invoke(app, ["doctor"])
    assert fresh.exit_code == 1 and "nexora init" in fresh.output
    assert runner.invoke(app, ["init"]).exit_code == 0
    no_model = runner.invoke(app, ["doctor"])
    assert no_model.exit_code == 1 and "NEXORA_DEFAULT_MODEL" in no_model.output
    with FakeOpenAIServer() as llm:
        monkeypatch.setenv("OPENAI_BASE_URL", llm.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("NEXORA_DEFAULT_MODEL", "openai:fake-model")
        healthy = runner.invoke(app, ["doctor"])
    assert healthy.exit_code == 0, healthy.output
    assert "openai:fake-model" in healthy.output
    monkeypatch.setenv("NEXORA_DB_URL", "postgresql://nobody@127.0.0.1:1/none")
    broken = runner.invoke(app, ["doctor"])
    assert broken.exit_code == 1 and "NEXORA_DB_URL" in broken.output


def test_bad_config_is_a_clear_error(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXORA_PORT", "many")
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 2 and "port" in result.output


def test_installed_command_help() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "nexora", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("init", "serve", "doctor", "users", "agents", "db"):
        assert command in out.stdout


def test_allow_and_deny_bind_an_agent_to_its_resources(home: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert runner.invoke(app, ["agents", "create", "bound", "--tool", "read_file"]).exit_code == 0
    allowed = runner.invoke(
        app, ["agents", "allow", "bound", "--tool", "shell", "--skill", "pdf", "--mcp", "github"]
    )
    assert allowed.exit_code == 0, allowed.output
    assert "tools=['read_file', 'shell']" in allowed.output
    denied = runner.invoke(
        app, ["agents", "deny", "bound", "--tool", "read_file", "--mcp", "github"]
    )
    assert "tools=['shell']" in denied.output and "mcp_servers=[]" in denied.output
    config = yaml.safe_load(runner.invoke(app, ["agents", "show", "bound"]).output.split("#")[0])
    assert config["tools"] == ["shell"] and config["skills"] == ["pdf"]
    missing = runner.invoke(app, ["agents", "allow", "ghost", "--tool", "x"])
    assert missing.exit_code == 1 and "not found" in missing.output
