"""A worker killed mid-stage: the run recovery resumes the stage and the playbook completes."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from nexora.config import Settings
from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.api import ADMIN_PASSWORD, login, ok
from tests.support.playbooks import StageReply, play_stages, wait_for_playbook
from tests.support.server import RunningServer, run_server
from tests.support.workers import start_worker


@pytest.fixture
def api_only(settings: Settings) -> Iterator[RunningServer]:
    """The API without in-process workers: only the worker processes execute stages."""
    with run_server(settings.model_copy(update={"worker_concurrency": 0})) as running:
        yield running


@pytest.mark.slow
def test_a_stage_killed_mid_way_resumes_and_the_playbook_completes(
    api_only: RunningServer, settings: Settings, llm: FakeOpenAIServer, tmp_path: Path
) -> None:
    tool_log = tmp_path / "tool-calls.log"
    tool_log.touch()
    build_requests: list[int] = []

    def script(stage: str, attempt: int) -> StageReply:
        if stage != "build":
            return StageReply(answer="checked")
        build_requests.append(attempt)
        # The first worker is killed while it waits for the answer after its tool call.
        slow = 60.0 if len(build_requests) == 2 else 0.0
        return StageReply([("add", {"a": 40, "b": 2})], "built: 42", answer_delay=slow)

    play_stages(llm, script)
    with httpx.Client(base_url=api_only.url) as anon:
        admin = api_only.client(login(anon, "admin", ADMIN_PASSWORD))
    ok(admin.post("/api/agents", json={"name": "builder", "tools": ["add"]}), 201)
    ok(admin.post("/api/agents", json={"name": "checker"}), 201)
    text = (
        "name: crash\nstages:\n  - {name: build, agent: builder}\n"
        "  - {name: check, agent: checker}\n"
    )
    playbook = ok(admin.post("/api/playbooks", json={"yaml": text}), 201)
    run = ok(admin.post(f"/api/playbooks/{playbook['id']}/runs", json={"objective": "x"}), 201)

    first = start_worker(settings, tool_log)
    try:
        deadline = time.monotonic() + 30
        while len(build_requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert tool_log.read_text().splitlines() == ["40+2"]
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert ok(admin.get(f"/api/playbook-runs/{run['id']}"))["stages"][0]["status"] == "running"

    second = start_worker(settings, tool_log)
    try:
        done = wait_for_playbook(admin, run["id"], {"completed", "waiting_owner", "failed"}, 60)
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=30)
    assert done["status"] == "completed", done
    build, check = done["stages"]
    # One attempt of the stage, resumed by the run recovery: its tool ran once.
    assert (build["attempt"], build["status"], build["summary"]) == (1, "completed", "built: 42")
    assert ok(admin.get(f"/api/runs/{build['run_id']}"))["attempts"] == 2
    assert tool_log.read_text().splitlines() == ["40+2"]
    assert check["status"] == "completed"
    admin.close()
