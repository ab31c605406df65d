"""The audit trail: coverage, queries and export, the hash chain, and a failing store."""

from __future__ import annotations

import csv
import io
import json
import time

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from nexora.cli.main import app
from nexora.config import Settings
from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.api import assert_problem, auth, login, ok
from tests.support.db import query
from tests.support.server import RunningServer
from tests.support.sse import stream

runner = CliRunner()


def _actions(admin: httpx.Client, **params: str) -> list[str]:
    return [e["action"] for e in ok(admin.get("/api/admin/audit", params=params))["items"]]


def test_significant_actions_are_audited(admin: httpx.Client, anon: httpx.Client) -> None:
    anon.post("/api/auth/login", json={"username": "admin", "password": "wrong-password"})
    user = ok(
        admin.post("/api/admin/users", json={"username": "zed", "password": "password-123"}), 201
    )
    ok(admin.patch(f"/api/admin/users/{user['id']}", json={"role": "admin"}))
    admin.post(f"/api/admin/users/{user['id']}/password", json={"password": "password-456"})
    agent = ok(admin.post("/api/agents", json={"name": "audited"}), 201)
    ok(admin.put(f"/api/agents/{agent['id']}", json={"name": "audited", "description": "d"}))
    grant = ok(
        admin.post("/api/admin/grants", json={"user_id": user["id"], "agent_id": agent["id"]}), 201
    )
    admin.delete(f"/api/admin/grants/{grant['id']}")
    admin.delete(f"/api/agents/{agent['id']}")
    admin.delete(f"/api/admin/users/{user['id']}")
    zed_token = None
    actions = _actions(admin, limit="200")
    for expected in (
        "auth.login",
        "user.create",
        "user.role_change",
        "user.password_reset",
        "agent.create",
        "agent.update",
        "agent.grant",
        "agent.revoke",
        "agent.delete",
        "user.delete",
    ):
        assert expected in actions, (expected, actions)
    failures = ok(
        admin.get("/api/admin/audit", params={"action": "auth.login", "status": "failure"})
    )["items"]
    assert failures and failures[0]["detail"]["username"] == "admin"
    assert zed_token is None


def test_denials_are_audited(admin: httpx.Client, anon: httpx.Client) -> None:
    ok(admin.post("/api/admin/users", json={"username": "op", "password": "password-123"}), 201)
    operator = auth(login(anon, "op", "password-123"))
    assert_problem(anon.get("/api/admin/users", headers=operator), 403)
    assert_problem(anon.get("/api/agents"), 401)
    denied = ok(admin.get("/api/admin/audit", params={"status": "denied"}))["items"]
    reasons = {(e["resource_id"], e["detail"]["status"]) for e in denied}
    assert ("GET /api/admin/users", 403) in reasons and ("GET /api/agents", 401) in reasons


def test_filters_pagination_and_export(admin: httpx.Client, anon: httpx.Client) -> None:
    for i in range(5):
        ok(admin.post("/api/agents", json={"name": f"a{i}"}), 201)
    page1 = ok(admin.get("/api/admin/audit", params={"action": "agent.*", "limit": 3}))
    page2 = ok(
        admin.get(
            "/api/admin/audit",
            params={"action": "agent.*", "limit": 3, "cursor": page1["next_cursor"]},
        )
    )
    seqs = [e["seq"] for e in page1["items"] + page2["items"]]
    assert len(seqs) == 5 and seqs == sorted(seqs, reverse=True)
    assert ok(admin.get("/api/admin/audit", params={"actor": "admin", "action": "agent.create"}))[
        "items"
    ]
    assert ok(admin.get("/api/admin/audit", params={"actor": "nobody"}))["items"] == []

    jsonl = admin.get("/api/admin/audit/export", params={"format": "jsonl", "action": "agent.*"})
    assert jsonl.status_code == 200 and "attachment" in jsonl.headers["content-disposition"]
    rows = [json.loads(line) for line in jsonl.text.splitlines()]
    assert [r["seq"] for r in rows] == sorted(seqs)
    exported = admin.get("/api/admin/audit/export", params={"format": "csv"})
    table = list(csv.DictReader(io.StringIO(exported.text)))
    assert {"seq", "action", "hash", "detail"} <= set(table[0])
    assert_problem(admin.get("/api/admin/audit", params={"status": "maybe"}), 422, "status")


def test_other_orgs_events_are_invisible(admin: httpx.Client, anon: httpx.Client) -> None:
    org = ok(admin.post("/api/admin/orgs", json={"name": "far"}), 201)
    ok(
        admin.post(
            "/api/admin/users",
            json={
                "username": "far-admin",
                "password": "password-123",
                "role": "admin",
                "org_id": org["id"],
            },
        ),
        201,
    )
    ok(admin.post("/api/agents", json={"name": "secret-agent"}), 201)
    far = auth(login(anon, "far-admin", "password-123"))
    items = ok(anon.get("/api/admin/audit", params={"limit": 1000}, headers=far))["items"]
    assert items and all(e["org_id"] == org["id"] for e in items)
    assert "agent.create" not in [e["action"] for e in items]


def _verify(settings: Settings) -> tuple[int, str]:
    result = runner.invoke(
        app,
        ["audit", "verify"],
        env={"NEXORA_HOME": str(settings.home), "NEXORA_DB_URL": settings.database_url},
    )
    return result.exit_code, result.output


def _drop_guard(session: AsyncSession, postgres: bool) -> list[str]:
    if postgres:
        return ["ALTER TABLE audit_events DISABLE TRIGGER USER"]
    return ["DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete"]


@pytest.mark.parametrize("tamper", ["modify", "delete", "reorder", "truncate_tail"])
def test_chain_detects_tampering(
    server: RunningServer, settings: Settings, admin: httpx.Client, tamper: str
) -> None:
    for i in range(4):
        ok(admin.post("/api/agents", json={"name": f"t{i}"}), 201)
    ok(admin.get("/api/admin/audit"))  # flushes the writer
    code, output = _verify(settings)
    assert code == 0 and "intact" in output, output

    url = settings.database_url
    postgres = url.startswith("postgresql")

    async def refused(session: AsyncSession) -> bool:
        try:
            await session.execute(text("UPDATE audit_events SET action = 'x' WHERE seq = 2"))
            await session.commit()
        except DBAPIError:
            return True
        return False

    assert query(url, refused), "the database let an audit event be changed"

    async def attack(session: AsyncSession) -> None:
        for statement in _drop_guard(session, postgres):
            await session.execute(text(statement))
        if tamper == "modify":
            await session.execute(
                text(
                    "UPDATE audit_events SET status = 'success', "
                    "action = 'agent.view' WHERE seq = 2"
                )
            )
        elif tamper == "delete":
            await session.execute(text("DELETE FROM audit_events WHERE seq = 2"))
        elif tamper == "reorder":
            await session.execute(text("UPDATE audit_events SET seq = -1 WHERE seq = 2"))
            await session.execute(text("UPDATE audit_events SET seq = 2 WHERE seq = 3"))
            await session.execute(text("UPDATE audit_events SET seq = 3 WHERE seq = -1"))
        else:
            await session.execute(
                text("DELETE FROM audit_events WHERE seq = (SELECT max(seq) FROM audit_events)")
            )
        await session.commit()

    query(url, attack)
    code, output = _verify(settings)
    assert code == 1 and "broken" in output, output


def test_failing_audit_store_does_not_fail_chat(
    server: RunningServer, admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    async def broken(batch: list[object]) -> None:
        raise ConnectionError("audit store is down")

    writer = server.platform.audit.writer
    writer._write_batch = broken  # type: ignore[method-assign]
    agent = ok(admin.post("/api/agents", json={"name": "resilient"}), 201)
    llm.reply_text("Still here.")
    events = stream(
        admin, "POST", "/api/chat", json_body={"agent_id": agent["id"], "message": "hi"}
    )
    assert events[-1].event == "run.completed"
    assert events[-1].json["payload"]["output"] == "Still here."
    # The writer lingers before each batch; its failure shows up a moment later.
    deadline = time.monotonic() + 10
    while ok(admin.get("/readyz"))["writers"]["records"]["failed"] < 1:
        assert time.monotonic() < deadline, "the failed audit write was not counted"
        time.sleep(0.1)
