"""Concurrency limits hold: a per-org limit of one runs an org's runs one after another."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest

from nexora.config import Settings
from tests.fakes.openai_server import FakeOpenAIServer, Reply
from tests.support.api import ADMIN_PASSWORD, auth, login, ok
from tests.support.runs import wait_for_run
from tests.support.server import RunningServer, run_server


@pytest.fixture
def limited(settings: Settings) -> Iterator[RunningServer]:
    with run_server(settings.model_copy(update={"max_running_runs_per_org": 1})) as running:
        yield running


def test_per_org_limit_serialises_runs(limited: RunningServer, llm: FakeOpenAIServer) -> None:
    for _ in range(3):
        llm.reply(Reply(text="done", delay=0.3))
    with limited.client() as anon:
        admin = auth(login(anon, "admin", ADMIN_PASSWORD))
        agent = ok(anon.post("/api/agents", json={"name": "a"}, headers=admin), 201)
        ids = [
            ok(
                anon.post(
                    "/api/runs", json={"agent_id": agent["id"], "input": str(i)}, headers=admin
                ),
                201,
            )["id"]
            for i in range(3)
        ]
        with httpx.Client(base_url=limited.url, headers=admin) as client:
            runs = [wait_for_run(client, run_id) for run_id in ids]
    assert all(r["status"] == "completed" for r in runs)
    spans = sorted(
        (datetime.fromisoformat(r["started_at"]), datetime.fromisoformat(r["finished_at"]))
        for r in runs
    )
    for (_, finished), (next_started, _) in itertools.pairwise(spans):
        assert next_started >= finished
