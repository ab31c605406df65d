"""A team run whose worker is killed after its first member: the next worker skips that member
(its model call is not repeated), redoes the interrupted one, and the lead decides."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from nexora.config import Settings
from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.api import ADMIN_PASSWORD, login, ok
from tests.support.runs import events_of, wait_for_run
from tests.support.server import RunningServer, run_server
from tests.support.teams import add_team
from tests.support.workers import start_worker, wait_until


@pytest.fixture
def api_only(settings: Settings) -> Iterator[RunningServer]:
    with run_server(settings.model_copy(update={"worker_concurrency": 0})) as running:
        yield running


@pytest.mark.slow
def test_killed_team_run_resumes_after_its_finished_members(
    api_only: RunningServer, settings: Settings, llm: FakeOpenAIServer, tmp_path: Path
) -> None:
    llm.reply_text("Research: 42.", usage=(20, 5))
    llm.reply_slow(60)  # the critic's call, during which the worker is killed
    with api_only.client() as anon:
        admin = api_only.client(login(anon, "admin", ADMIN_PASSWORD))
    org_id = ok(admin.get("/api/auth/me"))["org_id"]
    agents = {
        name: ok(admin.post("/api/agents", json={"name": name, "persona": persona}), 201)["id"]
        for name, persona in (
            ("lead", "You lead the team."),
            ("researcher", "You research."),
            ("critic", "You criticise."),
        )
    }
    group = add_team(
        settings.database_url,
        org_id,
        "team",
        lead=agents["lead"],
        members=[(agents["researcher"], None), (agents["critic"], None)],
    )
    run = ok(admin.post(f"/api/groups/{group}/runs", json={"input": "What is 40+2?"}), 201)

    first = start_worker(settings, tmp_path / "tools.log")
    try:
        wait_until(lambda: len(llm.chat_requests) >= 2, 30, "the critic's model call")
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert ok(admin.get(f"/api/runs/{run['id']}"))["status"] == "running"

    llm.reply_text("Critique: 42 holds.", usage=(30, 6))
    llm.reply_text("Decided: 42.", usage=(40, 7))
    second = start_worker(settings, tmp_path / "tools.log")
    try:
        done = wait_for_run(admin, run["id"], seconds=30)
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=30)
    assert done["status"] == "completed", done
    assert done["output"] == "Decided: 42." and done["attempts"] == 2
    asked = [json.dumps(r.json["messages"]) for r in llm.chat_requests]
    assert len(asked) == 4
    assert sum("You research." in text for text in asked) == 1  # not asked again
    assert "Research: 42." in asked[2] and "Research: 42." in asked[3]
    # The run's usage: the researcher, the critic's second call and the lead (the killed
    # call never answered).
    assert done["usage"]["prompt_tokens"] == 90

    events = events_of(admin, run["id"])
    resumed = next(e for e in events if e["type"] == "run.resumed")
    assert resumed["payload"]["from_step"] == 1
    tasks = [e["payload"]["agent"] for e in events if e["type"] == "message.task"]
    assert tasks == ["researcher", "critic", "critic", "lead"]
    children = ok(admin.get(f"/api/runs/{run['id']}/children"))["items"]
    assert [(c["agent_id"], c["status"]) for c in children] == [
        (agents["researcher"], "completed"),
        (agents["critic"], "failed"),
        (agents["critic"], "completed"),
        (agents["lead"], "completed"),
    ]
    assert "interrupted" in children[1]["error"]
    admin.close()
