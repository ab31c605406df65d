"""`nexora worker` processes for tests that kill and restart workers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from nexora.config import Settings


def start_worker(
    settings: Settings, tool_log: Path, extra_env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """A worker process on the test's database and fake model, with a counting `add` tool."""
    env = {
        **os.environ,
        "NEXORA_HOME": str(settings.home),
        "NEXORA_DB_URL": settings.database_url,
        "NEXORA_DEFAULT_MODEL": "openai:fake-model",
        "OPENAI_BASE_URL": str(settings.openai_base_url),
        "OPENAI_API_KEY": "sk-test",
        "NEXORA_RUN_LEASE_SECONDS": "2",
        "NEXORA_DETECT_LOCAL_MODELS": "false",
        "NEXORA_MEMORY_AUTO_EXTRACT": "false",
        "NEXORA_WORKER_CONCURRENCY": "2",
        "NEXORA_TEST_TOOL_LOG": str(tool_log),
        **(extra_env or {}),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.worker_main"],
        env=env,
        cwd=Path(__file__).parents[2],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")
