"""A tool context around a real file guard on a temporary workspace."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nexora.agents.config import SandboxSettings
from nexora.config import Settings
from nexora.security.file_guard import FileGuard
from nexora.tools.base import ToolContext

MakeContext = Callable[..., ToolContext]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "home" / "agents" / "a1" / "workspace"
    path.mkdir(parents=True)
    return path


@pytest.fixture
def make_context(tmp_path: Path, workspace: Path) -> MakeContext:
    def make(**overrides: Any) -> ToolContext:
        settings = overrides.pop("settings", None) or Settings(home=tmp_path / "home")
        fields: dict[str, Any] = {
            "org_id": "org-1",
            "user_id": "user-1",
            "agent_id": "a1",
            "run_id": "run-1",
            "workspace": workspace,
            "files": FileGuard(workspace, protected=(settings.home,)),
            "sandbox": SandboxSettings(timeout_seconds=10),
            "settings": settings,
        }
        fields.update(overrides)
        return ToolContext(**fields)

    return make


@pytest.fixture
def context(make_context: MakeContext) -> ToolContext:
    return make_context()
