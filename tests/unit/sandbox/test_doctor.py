"""`nexora doctor` says which sandbox shell and Python tools run in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nexora.cli.main import app
from nexora.sandbox import bubblewrap, sandbox_status


def test_doctor_reports_the_sandbox_in_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEXORA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    output = runner.invoke(app, ["doctor"]).output
    row = next(line for line in output.splitlines() if re.search(r"\bsandbox\b", line))
    status = sandbox_status()
    assert status.mode in row and ("ok" if status.mode == "bubblewrap" else "warn") in row

    missing = bubblewrap.BwrapStatus(False, "bwrap is not installed (apt-get install bubblewrap)")
    monkeypatch.setattr(bubblewrap, "probe", lambda: missing)
    degraded = runner.invoke(app, ["doctor"]).output
    row = next(line for line in degraded.splitlines() if re.search(r"\bsandbox\b", line))
    assert "warn" in row and "process" in row
    assert "make sandbox" in degraded
