"""Token usage reports on both backends: grouping, labels, cost, time bounds and tenancy."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.storage.base import new_id
from nexora.storage.models import RuntimeConfig, TokenUsage
from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.api import assert_problem, auth, login, ok
from tests.support.db import eventually, query
from tests.support.runs import wait_for_run
from tests.support.server import RunningServer

PASSWORD = "password-123"
# Prices that make small token counts visible: $0.001 per prompt token, $0.002 per completion.
PRICES = {"openai:fake-model": {"prompt_per_million": 1000.0, "completion_per_million": 2000.0}}


def _user(admin: httpx.Client, name: str, *agent_ids: str, org_id: str | None = None) -> str:
    body = {"username": name, "password": PASSWORD, "org_id": org_id}
    user_id: str = ok(admin.post("/api/admin/users", json=body), 201)["id"]
    for agent_id in agent_ids:
        ok(admin.post("/api/admin/grants", json={"user_id": user_id, "agent_id": agent_id}), 201)
    return user_id


def _run(client: httpx.Client, agent_id: str) -> None:
    run = ok(client.post("/api/runs", json={"agent_id": agent_id, "input": "x"}), 201)
    assert wait_for_run(client, run["id"])["status"] == "completed"


def _set_config(url: str, org_id: str, key: str, value: Any) -> None:
    """Writes `runtime_config` the way the config API stores it."""

    async def write(session: AsyncSession) -> None:
        session.add(RuntimeConfig(org_id=org_id, key=key, value=value))
        await session.commit()

    query(url, write)


def _wait_for_usage_rows(url: str, count: int) -> None:
    async def rows(session: AsyncSession) -> int:
        return int(await session.scalar(select(func.count()).select_from(TokenUsage)) or 0)

    assert eventually(url, rows, lambda n: n >= count) >= count


def _by_key(report: dict[str, Any]) -> dict[str | None, dict[str, Any]]:
    return {g["key"]: g for g in report["groups"]}


def test_org_report_groups_labels_and_costs(
    server: RunningServer, admin: httpx.Client, anon: httpx.Client, llm: FakeOpenAIServer
) -> None:
    url = server.platform.settings.database_url
    me = ok(admin.get("/api/auth/me"))
    _set_config(url, me["org_id"], "model_prices", PRICES)
    writer = ok(admin.post("/api/agents", json={"name": "writer"}), 201)["id"]
    coder = ok(admin.post("/api/agents", json={"name": "coder"}), 201)["id"]
    olga_id = _user(admin, "olga", writer, coder)
    olga = httpx.Client(base_url=server.url, headers=auth(login(anon, "olga", PASSWORD)))

    llm.reply_text("a", usage=(100, 20))
    _run(admin, writer)
    llm.reply_text("b", usage=(50, 10))
    _run(olga, writer)
    llm.reply_text("c", usage=(30, 5))
    _run(olga, coder)
    _wait_for_usage_rows(url, 3)

    by_user = ok(admin.get("/api/admin/token-usage", params={"group_by": "user"}))
    assert by_user["currency"] == "USD" and by_user["cost_is_estimate"] is True
    users = _by_key(by_user)
    assert users[me["user_id"]]["label"] == "admin"
    assert users[me["user_id"]]["total_tokens"] == 120
    assert users[olga_id]["label"] == "olga"
    assert (users[olga_id]["prompt_tokens"], users[olga_id]["completion_tokens"]) == (80, 15)
    assert users[olga_id]["requests"] == 2
    assert users[olga_id]["estimated_cost"] == pytest.approx(0.080 + 0.030)
    total = by_user["total"]
    assert (total["prompt_tokens"], total["completion_tokens"], total["total_tokens"]) == (
        180,
        35,
        215,
    )
    assert total["estimated_cost"] == pytest.approx(0.180 + 0.070)
    assert total["priced"] is True and by_user["unpriced_models"] == []
    # The biggest consumer first.
    assert [g["label"] for g in by_user["groups"]] == ["admin", "olga"]

    agents = _by_key(ok(admin.get("/api/admin/token-usage", params={"group_by": "agent"})))
    assert {k: (g["label"], g["total_tokens"]) for k, g in agents.items()} == {
        writer: ("writer", 180),
        coder: ("coder", 35),
    }
    models = ok(admin.get("/api/admin/token-usage", params={"group_by": "model"}))
    assert [(g["key"], g["total_tokens"]) for g in models["groups"]] == [("openai:fake-model", 215)]

    # An operator sees their own usage only, and not the org's.
    mine = ok(olga.get("/api/me/token-usage", params={"group_by": "agent"}))
    assert {g["label"]: g["total_tokens"] for g in mine["groups"]} == {"writer": 60, "coder": 35}
    assert mine["total"]["total_tokens"] == 95
    assert mine["total"]["estimated_cost"] == pytest.approx(0.110)
    assert_problem(olga.get("/api/admin/token-usage"), 403)
    assert_problem(olga.get("/api/me/token-usage", params={"group_by": "user"}), 422)

    # Another org sees none of it.
    org = ok(admin.post("/api/admin/orgs", json={"name": "acme"}), 201)
    body = {"username": "acme-admin", "password": PASSWORD, "role": "admin", "org_id": org["id"]}
    ok(admin.post("/api/admin/users", json=body), 201)
    other = auth(login(anon, "acme-admin", PASSWORD))
    for group_by in ("user", "agent", "model", "day"):
        report = ok(
            anon.get("/api/admin/token-usage", params={"group_by": group_by}, headers=other)
        )
        assert report["groups"] == [] and report["total"]["total_tokens"] == 0
    assert ok(anon.get("/api/me/token-usage", headers=other))["groups"] == []
    olga.close()


def _rows(
    url: str, org_id: str, user_id: str, rows: Iterable[tuple[str, str, str, int, int]]
) -> None:
    """Inserts usage rows: (ISO time, provider, model, prompt tokens, completion tokens)."""

    async def write(session: AsyncSession) -> None:
        for at, provider, model, prompt, completion in rows:
            session.add(
                TokenUsage(
                    id=new_id(),
                    org_id=org_id,
                    user_id=user_id,
                    agent_id=None,
                    run_id=None,
                    provider=provider,
                    model=model,
                    prompt_tokens=prompt,
                    completion_tokens=completion,
                    total_tokens=prompt + completion,
                    created_at=datetime.fromisoformat(at).astimezone(UTC),
                )
            )
        await session.commit()

    query(url, write)


def test_days_bounds_default_prices_and_unpriced_models(
    server: RunningServer, admin: httpx.Client, anon: httpx.Client
) -> None:
    url = server.platform.settings.database_url
    me = ok(admin.get("/api/auth/me"))
    org = ok(admin.post("/api/admin/orgs", json={"name": "acme"}), 201)
    stranger = _user(admin, "stranger", org_id=org["id"])
    _rows(
        url,
        me["org_id"],
        me["user_id"],
        [
            ("2025-03-01T23:59:59+00:00", "openai", "gpt-4o-mini", 1_000_000, 0),
            # 01:30 in Paris is still 1 March in UTC.
            ("2025-03-02T00:30:00+01:00", "openai", "gpt-4o-mini-2024-07-18", 0, 1_000_000),
            ("2025-03-02T00:00:00+00:00", "ollama", "my-local-model", 7, 3),
            ("2025-03-03T12:00:00+00:00", "openai", "gpt-4o-mini", 10, 0),
        ],
    )
    _rows(url, org["id"], stranger, [("2025-03-02T10:00:00+00:00", "openai", "gpt-4o", 99, 1)])

    days = ok(admin.get("/api/admin/token-usage", params={"group_by": "day"}))
    assert [(g["key"], g["total_tokens"]) for g in days["groups"]] == [
        ("2025-03-01", 2_000_000),
        ("2025-03-02", 10),
        ("2025-03-03", 10),
    ]
    first = days["groups"][0]
    # Built-in estimates: gpt-4o-mini at $0.15 / $0.60 per million; dated variants alike.
    assert first["estimated_cost"] == pytest.approx(0.15 + 0.60) and first["priced"] is True
    assert days["groups"][1]["priced"] is False and days["groups"][1]["estimated_cost"] == 0
    assert days["total"]["priced"] is False
    assert days["unpriced_models"] == ["ollama:my-local-model"]

    bounded = ok(
        admin.get(
            "/api/admin/token-usage",
            params={"group_by": "day", "since": "2025-03-02", "until": "2025-03-03T12:00:00Z"},
        )
    )
    assert [(g["key"], g["total_tokens"]) for g in bounded["groups"]] == [("2025-03-02", 10)]
    assert bounded["since"].startswith("2025-03-02T00:00:00")
    # An org's price overrides the default, by `provider:model` or by model alone.
    _set_config(
        url,
        me["org_id"],
        "model_prices",
        {
            "gpt-4o-mini": {"prompt_per_million": 1.0, "completion_per_million": 1.0},
            "my-local-model": {"prompt_per_million": 0, "completion_per_million": 0},
            "broken": {"prompt_per_million": "free"},
        },
    )
    repriced = ok(admin.get("/api/admin/token-usage", params={"group_by": "model"}))
    costs = {g["key"]: (g["estimated_cost"], g["priced"]) for g in repriced["groups"]}
    assert costs["openai:gpt-4o-mini"] == (pytest.approx(1.0 + 0.00001), True)
    # Not overridden: the dated variant keeps the default price of its family.
    assert costs["openai:gpt-4o-mini-2024-07-18"] == (pytest.approx(0.60), True)
    assert costs["ollama:my-local-model"] == (0, True)
    assert repriced["unpriced_models"] == []

    assert_problem(
        admin.get("/api/admin/token-usage", params={"since": "2025-03-02", "until": "2025-03-01"}),
        422,
        "since",
    )
    assert_problem(admin.get("/api/admin/token-usage", params={"group_by": "planet"}), 422)
