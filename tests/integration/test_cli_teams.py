"""`nexora roles` and `nexora teams` on the local data dir."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from nexora.cli.main import app
from nexora.config import load_settings
from nexora.storage.db import Database
from nexora.storage.models import Org
from nexora.teams.vault.service import Vault

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "nexora-home"
    monkeypatch.setenv("NEXORA_HOME", str(path))
    assert runner.invoke(app, ["init"]).exit_code == 0
    for name in ("planner", "coder"):
        assert runner.invoke(app, ["agents", "create", name]).exit_code == 0
    assert (
        runner.invoke(app, ["users", "create", "olga", "--password", "password-123"]).exit_code == 0
    )
    return path


def said(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def test_roles_and_teams_are_managed_from_the_command_line(home: Path) -> None:
    assert "created role developer" in said(
        ["roles", "create", "developer", "--capability", "code", "--block", "shell"]
    )
    assert "developer" in said(["roles", "list"]) and "code" in said(["roles", "list"])
    assert "created team delivery" in said(
        ["teams", "create", "delivery", "--lead", "planner", "--member", "coder:developer"]
    )
    shown = said(["teams", "show", "delivery"])
    assert "planner" in shown and "coder │ developer" in shown and "yes" in shown
    assert "delivery" in said(["teams", "list"])
    assert "olga may use team delivery" in said(["teams", "grant", "delivery", "olga"])

    held = runner.invoke(app, ["roles", "delete", "developer"])
    assert held.exit_code != 0 and "held by 1" in " ".join(held.output.split())
    assert "deleted team delivery" in said(["teams", "delete", "delivery"])
    assert "deleted role developer" in said(["roles", "delete", "developer"])
    missing = runner.invoke(app, ["teams", "show", "delivery"])
    assert missing.exit_code != 0 and "not found" in missing.output


def test_vault_artifacts_and_history_from_the_command_line(home: Path) -> None:
    async def deliver() -> None:
        settings = load_settings()
        db = Database(settings.database_url)
        vault = Vault(settings)
        try:
            async with db.session() as session:
                org_id = (await session.scalars(select(Org.id))).one()
                for text in ("# v1", "# v2"):
                    await vault.deliver(
                        session,
                        org_id=org_id,
                        project_id=None,
                        kind="doc",
                        key="guide.md",
                        value=text,
                        summary="the guide",
                    )
                    await session.commit()
        finally:
            await db.dispose()

    asyncio.run(deliver())
    listed = said(["vault", "list"])
    assert "guide.md@2" in listed and "guide.md@1" in listed
    assert said(["vault", "show", "guide.md@1"]) == "# v1"
    assert said(["vault", "show", "guide.md"]) == "# v2"
    assert "doc: guide.md@2" in said(["vault", "history"])
