"""The agents folder: one directory per agent with its YAML and its workspace."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

AGENT_FILE = "agent.yaml"
WORKSPACE_DIR = "workspace"


class AgentFiles:
    def __init__(self, root: Path) -> None:
        self.root = root

    def dir(self, agent_id: str) -> Path:
        return self.root / agent_id

    def config_path(self, agent_id: str) -> Path:
        return self.dir(agent_id) / AGENT_FILE

    def workspace(self, agent_id: str) -> Path:
        return self.dir(agent_id) / WORKSPACE_DIR

    def write(self, agent_id: str, text: str) -> float:
        """Writes the YAML atomically (a reader never sees half a file); returns its mtime."""
        directory = self.dir(agent_id)
        self.workspace(agent_id).mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".agent-", suffix=".yaml", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        target = self.config_path(agent_id)
        os.replace(tmp, target)
        return target.stat().st_mtime

    def mtime(self, agent_id: str) -> float | None:
        try:
            return self.config_path(agent_id).stat().st_mtime
        except FileNotFoundError:
            return None

    def read(self, agent_id: str) -> str:
        return self.config_path(agent_id).read_text(encoding="utf-8")

    def remove(self, agent_id: str) -> None:
        shutil.rmtree(self.dir(agent_id), ignore_errors=True)

    def ids_on_disk(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / AGENT_FILE).is_file())
