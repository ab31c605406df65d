"""A worker killed with SIGKILL mid-run: another one resumes from the last checkpoint."""

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
from tests.support.api import ok
from tests.support.runs import events_of, wait_for_run
from tests.support.server import RunningServer, run_server
from tests.support.sse import stream
from tests.support.worker_proc import start_worker


@pytest.fixture
def api_only(settings: Settings) -> Iterator[RunningServer]:
    """The API without in-process workers: only the worker processes execute runs."""
    with run_server(settings.model_copy(update={"worker_concurrency": 0})) as running:
        yield running


def _wait(condition: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
def test_killed_worker_run_resumes_without_repeating_steps(
    api_only: RunningServer, settings: Settings, llm: FakeOpenAIServer, tmp_path: Path
) -> None:
    tool_log = tmp_path / "tool-calls.log"
    tool_log.touch()
    llm.reply_tool_call("add", {"a": 40, "b": 2}, usage=(20, 5))
    llm.reply_slow(60)  # the worker is killed while it waits for this answer
    llm.reply_text("The answer is 42.", usage=(30, 6))

    with httpx.Client(base_url=api_only.url) as anon:
        token = ok(
            anon.post("/api/auth/login", json={"username": "admin", "password": "admin-password-1"})
        )
    admin = api_only.client(token["access_token"])
    agent = ok(admin.post("/api/agents", json={"name": "calc", "tools": ["add"]}), 201)
    run = ok(admin.post("/api/runs", json={"agent_id": agent["id"], "input": "40+2?"}), 201)

    first = start_worker(settings, tool_log)
    try:
        _wait(lambda: len(llm.chat_requests) >= 2, 30, "the second model call")
        assert tool_log.read_text().splitlines() == ["40+2"]
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        assert ok(admin.get(f"/api/runs/{run['id']}"))["status"] == "running"
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)

    second = start_worker(settings, tool_log)
    try:
        done = wait_for_run(admin, run["id"], seconds=30)
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=30)
    assert done["status"] == "completed", done
    assert done["output"] == "The answer is 42."
    # The tool ran once; the completed first model call was not repeated.
    assert tool_log.read_text().splitlines() == ["40+2"]
    assert len(llm.chat_requests) == 3
    last = llm.chat_requests[2].json["messages"]
    assert last[-1]["role"] == "tool" and last[-1]["content"] == "42"
    assert done["attempts"] == 2
    assert done["usage"] == {"prompt_tokens": 50, "completion_tokens": 11, "total_tokens": 61}
    events = events_of(admin, run["id"])
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(set(seqs))
    types = [e["type"] for e in events]
    assert types.count("tool.called") == 1 and types.count("run.resumed") == 1
    assert types[-1] == "run.completed"
    admin.close()


@pytest.mark.slow
def test_events_and_cancel_cross_processes(
    api_only: RunningServer, settings: Settings, llm: FakeOpenAIServer, tmp_path: Path
) -> None:
    """A run executing in a worker process streams through the API process and is cancelled
    from it (LISTEN/NOTIFY on PostgreSQL, polling on SQLite)."""
    words = [f"w{i} " for i in range(20)]
    llm.reply_text("".join(words), chunks=words)
    llm.reply_slow(60)
    with httpx.Client(base_url=api_only.url) as anon:
        token = ok(
            anon.post("/api/auth/login", json={"username": "admin", "password": "admin-password-1"})
        )
    admin = api_only.client(token["access_token"])
    agent = ok(admin.post("/api/agents", json={"name": "remote"}), 201)
    worker = start_worker(settings, tmp_path / "tools.log")
    try:
        run = ok(admin.post("/api/runs", json={"agent_id": agent["id"], "input": "go"}), 201)
        events = stream(admin, "GET", f"/api/runs/{run['id']}/stream")
        assert events[-1].event == "run.completed"
        text = "".join(e.json["payload"]["delta"] for e in events if e.event == "llm.token")
        assert text == "".join(words)

        slow = ok(admin.post("/api/runs", json={"agent_id": agent["id"], "input": "slow"}), 201)
        _wait(lambda: len(llm.chat_requests) >= 2, 30, "the slow model call")
        started = time.monotonic()
        ok(admin.post(f"/api/runs/{slow['id']}/cancel"))
        done = wait_for_run(admin, slow["id"], seconds=10)
        assert done["status"] == "cancelled"
        assert time.monotonic() - started < 1.5
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
        admin.close()
