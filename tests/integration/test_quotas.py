"""Quotas on both backends: administration, refusal before a run, and a stop between steps."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.storage.models import AuditEvent, RuntimeConfig, TokenUsage
from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.api import assert_problem, auth, login, ok
from tests.support.db import eventually, query
from tests.support.runs import Counter, counting_tool, events_of, wait_for_run
from tests.support.server import RunningServer

PASSWORD = "password-123"


class Team:
    """The default org's admin, an operator `olga` granted the agent `helper`, and ids."""

    def __init__(
        self, server: RunningServer, admin: httpx.Client, anon: httpx.Client, tool: Counter
    ) -> None:
        self.tool = tool
        self.admin = admin
        self.url = server.platform.settings.database_url
        self.org_id: str = ok(admin.get("/api/auth/me"))["org_id"]
        self.agent_id: str = ok(
            admin.post("/api/agents", json={"name": "helper", "tools": ["add"]}), 201
        )["id"]
        body = {"username": "olga", "password": PASSWORD}
        self.olga_id: str = ok(admin.post("/api/admin/users", json=body), 201)["id"]
        grant = {"user_id": self.olga_id, "agent_id": self.agent_id}
        ok(admin.post("/api/admin/grants", json=grant), 201)
        self.olga = httpx.Client(base_url=server.url, headers=auth(login(anon, "olga", PASSWORD)))

    def run(self, client: httpx.Client) -> dict[str, Any]:
        body = {"agent_id": self.agent_id, "input": "go"}
        run = ok(client.post("/api/runs", json=body), 201)
        return wait_for_run(client, run["id"])

    def usage_rows(self, count: int) -> None:
        async def rows(session: AsyncSession) -> int:
            return int(await session.scalar(select(func.count()).select_from(TokenUsage)) or 0)

        assert eventually(self.url, rows, lambda n: n >= count) >= count

    def audit(self, action: str, count: int = 1) -> list[AuditEvent]:
        async def events(session: AsyncSession) -> list[AuditEvent]:
            return list(
                await session.scalars(select(AuditEvent).where(AuditEvent.action == action))
            )

        return eventually(self.url, events, lambda found: len(found) >= count)


@pytest.fixture
def team(
    server: RunningServer, admin: httpx.Client, anon: httpx.Client, llm: FakeOpenAIServer
) -> Iterator[Team]:
    with counting_tool() as tool:
        created = Team(server, admin, anon, tool)
        yield created
        created.olga.close()


def test_quota_administration_is_scoped_and_audited(team: Team, anon: httpx.Client) -> None:
    admin, path = team.admin, f"/api/admin/quotas/users/{team.olga_id}"
    empty = ok(admin.get(path))
    assert (empty["daily_tokens"], empty["monthly_tokens"], empty["monthly_cost"]) == (None,) * 3
    assert empty["scope"] == "user" and empty["used"]["daily_tokens"] == 0

    set_ = ok(admin.put(path, json={"daily_tokens": 1000, "monthly_cost": 2.5}))
    assert (set_["daily_tokens"], set_["monthly_tokens"], set_["monthly_cost"]) == (1000, None, 2.5)
    assert set_["daily_resets_at"].endswith(("T00:00:00Z", "T00:00:00+00:00"))
    # Limits left out are kept; null removes one.
    again = ok(admin.put(path, json={"monthly_tokens": 20_000, "monthly_cost": None}))
    assert (again["daily_tokens"], again["monthly_tokens"], again["monthly_cost"]) == (
        1000,
        20_000,
        None,
    )
    assert ok(admin.get(path))["monthly_tokens"] == 20_000
    assert_problem(admin.put(path, json={"daily_tokens": -1}), 422, "daily_tokens")

    org_path = f"/api/admin/quotas/orgs/{team.org_id}"
    org = ok(admin.put(org_path, json={"monthly_tokens": 1_000_000}))
    assert org["scope"] == "org" and org["user_id"] is None and org["org_id"] == team.org_id

    # Another org's admin and an operator of this one get nowhere.
    other_org = ok(admin.post("/api/admin/orgs", json={"name": "acme"}), 201)
    body = {"username": "acme-admin", "password": PASSWORD, "role": "admin"}
    ok(admin.post("/api/admin/users", json={**body, "org_id": other_org["id"]}), 201)
    other = auth(login(anon, "acme-admin", PASSWORD))
    for method in ("GET", "PUT", "DELETE"):
        for target in (path, org_path):
            sent = anon.request(method, target, json={"daily_tokens": 1}, headers=other)
            assert_problem(sent, 404, "not found")
        assert_problem(team.olga.request(method, path, json={"daily_tokens": 1}), 403)
    assert ok(admin.get(path))["daily_tokens"] == 1000
    assert_problem(admin.get("/api/admin/quotas/users/nobody"), 404)

    assert admin.delete(path).status_code == 204
    assert ok(admin.get(path))["daily_tokens"] is None
    assert admin.delete(org_path).status_code == 204
    updates = team.audit("quota.update", 3)
    assert len(updates) == 3
    assert {e.resource_type for e in updates} == {"user_quota", "org_quota"}
    assert {tuple(e.detail["changed"]) for e in updates if e.resource_id == team.olga_id} == {
        ("daily_tokens", "monthly_cost"),
        ("monthly_cost", "monthly_tokens"),
    }
    deletes = team.audit("quota.delete", 2)
    assert {(e.resource_id, e.detail["existed"]) for e in deletes} == {
        (team.olga_id, True),
        (team.org_id, True),
    }


def test_daily_user_quota_refuses_runs_chat_and_openai(
    team: Team, llm: FakeOpenAIServer, anon: httpx.Client
) -> None:
    ok(team.admin.put(f"/api/admin/quotas/users/{team.olga_id}", json={"daily_tokens": 100}))
    llm.reply_text("fine", usage=(80, 40))
    assert team.run(team.olga)["status"] == "completed"
    team.usage_rows(1)
    assert ok(team.admin.get(f"/api/admin/quotas/users/{team.olga_id}"))["used"] == {
        "daily_tokens": 120,
        "monthly_tokens": 120,
        "monthly_cost": 0.0,
    }

    requests_before = len(llm.chat_requests)
    refused = team.olga.post("/api/runs", json={"agent_id": team.agent_id, "input": "again"})
    assert_problem(refused, 429, "token quota exceeded: daily limit of 100 tokens for user olga")
    assert "resets at" in refused.json()["detail"] and int(refused.headers["Retry-After"]) >= 1
    chat = team.olga.post("/api/chat", json={"agent_id": team.agent_id, "message": "hi"})
    assert_problem(chat, 429, "daily limit of 100 tokens")
    key = ok(team.olga.post("/api/api-keys", json={"name": "sdk"}), 201)["key"]
    completion = anon.post(
        "/v1/chat/completions",
        json={"model": "helper", "messages": [{"role": "user", "content": "hi"}]},
        headers=auth(key),
    )
    assert completion.status_code == 429, completion.text
    assert "daily limit of 100 tokens" in completion.text
    assert len(llm.chat_requests) == requests_before
    # A refused chat leaves no empty session behind.
    assert ok(team.olga.get("/api/sessions"))["total"] == 0

    denied = team.audit("quota.exceeded", 3)
    assert len(denied) >= 3 and {e.status for e in denied} == {"denied"}
    assert denied[0].actor_id == team.olga_id and denied[0].detail["limit"] == "daily_tokens"
    # The admin has no quota of their own.
    llm.reply_text("still fine")
    assert team.run(team.admin)["status"] == "completed"


def test_org_quota_applies_to_every_user(team: Team, llm: FakeOpenAIServer) -> None:
    ok(team.admin.put(f"/api/admin/quotas/orgs/{team.org_id}", json={"monthly_tokens": 50}))
    llm.reply_text("big", usage=(50, 10))
    assert team.run(team.admin)["status"] == "completed"
    team.usage_rows(1)
    refused = team.olga.post("/api/runs", json={"agent_id": team.agent_id, "input": "x"})
    assert_problem(refused, 429, "monthly limit of 50 tokens for org default")
    assert_problem(
        team.admin.post("/api/runs", json={"agent_id": team.agent_id, "input": "x"}), 429, "org"
    )
    assert (
        ok(team.admin.get(f"/api/admin/quotas/orgs/{team.org_id}"))["used"]["monthly_tokens"] == 60
    )


def test_cost_quota_uses_the_org_prices(team: Team, llm: FakeOpenAIServer) -> None:
    async def prices(session: AsyncSession) -> None:
        value = {"fake-model": {"prompt_per_million": 1000.0, "completion_per_million": 1000.0}}
        session.add(RuntimeConfig(org_id=team.org_id, key="model_prices", value=value))
        await session.commit()

    query(team.url, prices)
    ok(team.admin.put(f"/api/admin/quotas/users/{team.olga_id}", json={"monthly_cost": 0.1}))
    llm.reply_text("costly", usage=(90, 10))  # 100 tokens at $0.001 each: $0.10
    assert team.run(team.olga)["status"] == "completed"
    team.usage_rows(1)
    refused = team.olga.post("/api/runs", json={"agent_id": team.agent_id, "input": "x"})
    assert_problem(refused, 429, "cost quota exceeded: monthly limit of $0.10 (estimated)")


def test_run_crossing_its_quota_stops_after_the_step(team: Team, llm: FakeOpenAIServer) -> None:
    ok(team.admin.put(f"/api/admin/quotas/users/{team.olga_id}", json={"daily_tokens": 50}))
    llm.reply_tool_call("add", {"a": 1, "b": 2}, usage=(80, 20))
    llm.reply_text("never sent")
    done = team.run(team.olga)
    assert done["status"] == "failed", done
    assert done["error"].startswith(
        "token quota exceeded: daily limit of 50 tokens for user olga reached"
    )
    assert len(llm.chat_requests) == 1 and team.tool.calls == []
    assert done["usage"]["total_tokens"] == 100
    final = events_of(team.olga, done["id"])[-1]
    assert final["type"] == "run.failed"
    assert final["payload"]["usage"]["total_tokens"] == 100
    stopped = team.audit("quota.exceeded")
    assert stopped[0].resource_type == "run" and stopped[0].resource_id == done["id"]


def test_final_answer_crossing_the_quota_is_kept(team: Team, llm: FakeOpenAIServer) -> None:
    ok(team.admin.put(f"/api/admin/quotas/users/{team.olga_id}", json={"daily_tokens": 50}))
    llm.reply_text("a long answer", usage=(80, 20))
    done = team.run(team.olga)
    assert done["status"] == "completed" and done["output"] == "a long answer"
