"""The `nexora` command line in process: a fresh data dir, and what a command said."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from nexora.cli.main import app

runner = CliRunner()


def init_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *agents: str) -> Path:
    """`nexora init` in a new data dir, with these agents created."""
    path = tmp_path / "nexora-home"
    monkeypatch.setenv("NEXORA_HOME", str(path))
    assert runner.invoke(app, ["init"]).exit_code == 0
    for name in agents:
        assert runner.invoke(app, ["agents", "create", name]).exit_code == 0
    return path


def said(args: list[str], code: int = 0) -> str:
    """The command's output on one line, after checking its exit code."""
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output
    return " ".join(result.output.split())
