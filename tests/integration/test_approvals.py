"""Capability changes wait for an admin when the policy says so, and only then take effect."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from nexora.cli._local import local_actor
from nexora.cli.main import app
from nexora.config import load_settings
from nexora.governance import mcp_registry
from nexora.governance.approvals import Approvals
from nexora.governance.audit import AuditLog, RequestContext
from nexora.governance.mcp_registry import McpServerSpec
from nexora.governance.records import RecordSink
from nexora.platform import Platform
from nexora.storage.base import utcnow
from nexora.storage.db import Database
from nexora.storage.models import Approval, AuditEvent, Org, RuntimeConfig
from tests.support.api import assert_problem, auth, login, ok
from tests.support.db import eventually, query

UA = "approvals-test/1.0"
SERVER = {"name": "files", "transport": "stdio", "command": "mcp-files", "args": ["--ro"]}


def _user(
    admin: httpx.Client, anon: httpx.Client, name: str, role: str = "operator"
) -> dict[str, str]:
    body = {"username": name, "password": "password-123", "role": role}
    ok(admin.post("/api/admin/users", json=body), 201)
    return {**auth(login(anon, name, "password-123")), "User-Agent": UA}


def _request(client: httpx.Client, headers: dict[str, str] | None = None, **spec: Any) -> str:
    pending = ok(client.post("/api/mcp-servers", json={**SERVER, **spec}, headers=headers), 202)
    assert pending["status"] == "pending" and pending["risk"] == "high"
    approval_id: str = pending["approval_id"]
    return approval_id


def _server_names(client: httpx.Client) -> list[str]:
    return [s["name"] for s in ok(client.get("/api/mcp-servers"))]


def _set_policy(admin: httpx.Client, *rules: dict[str, str]) -> None:
    ok(admin.put("/api/admin/policies", json=list(rules)))


def _audit(db_url: str, ready: int, *actions: str) -> list[AuditEvent]:
    async def work(db: AsyncSession) -> list[AuditEvent]:
        rows = await db.scalars(
            select(AuditEvent).where(AuditEvent.action.in_(actions)).order_by(AuditEvent.seq)
        )
        return list(rows)

    return eventually(db_url, work, lambda rows: len(rows) >= ready)


def test_high_risk_change_waits_for_approval_then_applies(
    admin: httpx.Client, anon: httpx.Client, db_url: str
) -> None:
    operator = _user(admin, anon, "olga")
    approval_id = _request(anon, operator)
    assert _server_names(admin) == []

    pending = ok(admin.get(f"/api/admin/approvals/{approval_id}"))
    assert pending["status"] == "pending" and pending["capability"] == "mcp"
    assert pending["findings"] == [] and pending["payload"]["command"] == "mcp-files"
    assert pending["request_context"]["ip"] == "127.0.0.1"
    assert pending["request_context"]["user_agent"] == UA
    assert_problem(anon.post(f"/api/admin/approvals/{approval_id}/approve", headers=operator), 403)

    approved = ok(admin.post(f"/api/admin/approvals/{approval_id}/approve"))
    assert approved["status"] == "approved" and approved["decided_by"] is not None
    assert _server_names(admin) == ["files"]
    server = ok(admin.get(f"/api/mcp-servers/{approved['result']['mcp_server_id']}"))
    assert server["args"] == ["--ro"] and server["created_by"] == pending["requester_id"]
    again = admin.post(f"/api/admin/approvals/{approval_id}/approve")
    assert_problem(again, 409, "already approved")
    assert_problem(
        admin.post(f"/api/admin/approvals/{approval_id}/reject", json={"reason": "x"}), 409
    )

    events = _audit(db_url, 3, "approval.requested", "approval.approved", "mcp.create")
    assert [(e.action, e.status) for e in events] == [
        ("approval.requested", "success"),
        ("mcp.create", "success"),
        ("approval.approved", "success"),
    ]
    assert (events[0].ip, events[0].user_agent) == ("127.0.0.1", UA)
    assert events[2].detail["requester_user_agent"] == UA
    assert events[2].detail["requester_ip"] == "127.0.0.1"


def test_rejected_change_never_applies(
    admin: httpx.Client, anon: httpx.Client, db_url: str
) -> None:
    operator = _user(admin, anon, "olga")
    approval_id = _request(anon, operator)
    assert_problem(admin.post(f"/api/admin/approvals/{approval_id}/reject", json={}), 422, "reason")
    rejected = ok(
        admin.post(f"/api/admin/approvals/{approval_id}/reject", json={"reason": "unvetted"})
    )
    assert rejected["status"] == "rejected" and rejected["reason"] == "unvetted"
    assert_problem(admin.post(f"/api/admin/approvals/{approval_id}/approve"), 409, "rejected")
    assert _server_names(admin) == []

    events = _audit(db_url, 3, "approval.requested", "approval.rejected", "mcp.create")
    assert [(e.action, e.status) for e in events] == [
        ("approval.requested", "success"),
        ("approval.rejected", "success"),
        ("mcp.create", "denied"),
    ]
    assert events[1].detail["reason"] == "unvetted"
    assert events[1].detail["requester_user_agent"] == UA
    # The same change may be asked for again once the earlier request is decided.
    _request(anon, operator)


def _expire(db_url: str, approval_id: str) -> None:
    async def work(db: AsyncSession) -> None:
        past = utcnow() - timedelta(minutes=1)
        await db.execute(update(Approval).where(Approval.id == approval_id).values(expires_at=past))
        await db.commit()

    query(db_url, work)


def test_expired_request_is_refused(admin: httpx.Client, anon: httpx.Client, db_url: str) -> None:
    operator = _user(admin, anon, "olga")
    approval_id = _request(anon, operator)
    _expire(db_url, approval_id)

    assert_problem(admin.post(f"/api/admin/approvals/{approval_id}/approve"), 409, "expired")
    assert ok(admin.get(f"/api/admin/approvals/{approval_id}"))["status"] == "expired"
    expired = ok(admin.get("/api/admin/approvals", params={"status": "expired"}))["items"]
    assert [a["id"] for a in expired] == [approval_id]
    assert ok(admin.get("/api/admin/approvals", params={"status": "pending"}))["items"] == []
    assert _server_names(admin) == []

    events = _audit(db_url, 1, "approval.expired")
    assert len(events) == 1 and events[0].actor_id is None
    assert (events[0].ip, events[0].user_agent) == ("127.0.0.1", UA)
    denied = _audit(db_url, 1, "mcp.create")
    assert [e.status for e in denied] == ["denied"]


def test_sweep_expires_overdue_requests_once(admin: httpx.Client, db_url: str) -> None:
    first, second = _request(admin), _request(admin, name="other")
    _expire(db_url, first)

    async def sweep() -> int:
        db = Database(db_url)
        audit = AuditLog(RecordSink(db))
        audit.writer.start()
        try:
            async with db.session() as session:
                return await Approvals(db, audit).expire_due(session)
        finally:
            await audit.writer.stop()
            await db.dispose()

    assert asyncio.run(sweep()) == 1
    assert asyncio.run(sweep()) == 0
    assert ok(admin.get(f"/api/admin/approvals/{first}"))["status"] == "expired"
    assert ok(admin.get(f"/api/admin/approvals/{second}"))["status"] == "pending"
    assert len(_audit(db_url, 1, "approval.expired")) == 1


def test_expiry_comes_from_runtime_config(admin: httpx.Client, db_url: str) -> None:
    async def configure(db: AsyncSession) -> None:
        org_id = await db.scalar(select(Org.id).where(Org.name == "default"))
        assert org_id is not None
        db.add(RuntimeConfig(org_id=org_id, key="approval_expiry_hours", value=0.5))
        await db.commit()

    default = ok(admin.get(f"/api/admin/approvals/{_request(admin, name='one')}"))
    query(db_url, configure)
    short = ok(admin.get(f"/api/admin/approvals/{_request(admin, name='two')}"))

    def lifetime(approval: dict[str, Any]) -> float:
        created = datetime.fromisoformat(approval["created_at"])
        return (datetime.fromisoformat(approval["expires_at"]) - created).total_seconds()

    assert lifetime(default) == pytest.approx(72 * 3600, abs=5)
    assert lifetime(short) == pytest.approx(1800, abs=5)


def test_low_and_medium_risk_follow_the_policy(
    admin: httpx.Client, anon: httpx.Client, db_url: str
) -> None:
    medium = {"capability": "mcp", "action": "create", "risk": "medium"}
    _set_policy(admin, {**medium, "rule": "approve"})
    pending = ok(admin.post("/api/mcp-servers", json=SERVER), 202)
    assert pending["risk"] == "medium" and _server_names(admin) == []

    _set_policy(admin, {**medium, "rule": "auto"})
    created = ok(admin.post("/api/mcp-servers", json={**SERVER, "name": "auto"}), 201)
    assert created["name"] == "auto" and _server_names(admin) == ["auto"]

    # Deleting is low risk by default: it applies at once, for an operator too, and is audited.
    operator = _user(admin, anon, "olga")
    assert anon.delete(f"/api/mcp-servers/{created['id']}", headers=operator).status_code == 204
    assert _server_names(admin) == []
    events = _audit(db_url, 2, "mcp.create", "mcp.delete")
    assert [(e.action, e.status, e.detail["risk"]) for e in events] == [
        ("mcp.create", "success", "medium"),
        ("mcp.delete", "success", "low"),
    ]
    assert events[1].detail["approval_id"] is None and events[1].user_agent == UA


def test_policy_table_is_validated_and_replaced(admin: httpx.Client) -> None:
    table = ok(admin.get("/api/admin/policies"))
    assert table["environment"] == "default" and table["rules"] == []
    defaults = {(r["capability"], r["action"]): (r["risk"], r["rule"]) for r in table["defaults"]}
    assert defaults[("mcp", "create")] == ("high", "approve")
    assert defaults[("plugin", "install")] == ("high", "approve")
    assert defaults[("skill", "create")] == ("medium", "approve")
    assert defaults[("skill", "delete")] == ("low", "allow")

    high_auto = {"capability": "mcp", "action": "create", "risk": "high", "rule": "auto"}
    assert_problem(admin.put("/api/admin/policies", json=[high_auto]), 422, "approval")
    rule = {"capability": "skill", "action": "create", "risk": "medium", "rule": "auto"}
    assert_problem(admin.put("/api/admin/policies", json=[rule, rule]), 422, "more than one")
    bad = {**rule, "capability": "widget"}
    assert_problem(admin.put("/api/admin/policies", json=[bad]), 422)

    staging = {**rule, "environment": "staging"}
    saved = ok(admin.put("/api/admin/policies", json=[rule, staging]))
    assert len(saved["rules"]) == 2
    assert ok(admin.put("/api/admin/policies", json=[]))["rules"] == []


def test_environment_rule_wins_over_default(admin: httpx.Client, db_url: str) -> None:
    async def configure(db: AsyncSession) -> None:
        org_id = await db.scalar(select(Org.id).where(Org.name == "default"))
        assert org_id is not None
        db.add(RuntimeConfig(org_id=org_id, key="capability_environment", value="prod"))
        await db.commit()

    base = {"capability": "mcp", "action": "create", "risk": "medium"}
    _set_policy(admin, {**base, "rule": "auto"}, {**base, "rule": "approve", "environment": "prod"})
    ok(admin.post("/api/mcp-servers", json={**SERVER, "name": "before"}), 201)
    query(db_url, configure)
    ok(admin.post("/api/mcp-servers", json={**SERVER, "name": "after"}), 202)
    assert ok(admin.get("/api/admin/policies"))["environment"] == "prod"


def test_other_org_sees_no_approvals(admin: httpx.Client, anon: httpx.Client) -> None:
    approval_id = _request(admin)
    org = ok(admin.post("/api/admin/orgs", json={"name": "acme"}), 201)
    body = {"username": "boss", "password": "password-123", "role": "admin", "org_id": org["id"]}
    ok(admin.post("/api/admin/users", json=body), 201)
    other = auth(login(anon, "boss", "password-123"))
    assert_problem(anon.get(f"/api/admin/approvals/{approval_id}", headers=other), 404)
    assert_problem(anon.post(f"/api/admin/approvals/{approval_id}/approve", headers=other), 404)
    reject = anon.post(
        f"/api/admin/approvals/{approval_id}/reject", json={"reason": "no"}, headers=other
    )
    assert_problem(reject, 404)
    assert ok(anon.get("/api/admin/approvals", headers=other))["items"] == []
    assert ok(admin.get(f"/api/admin/approvals/{approval_id}"))["status"] == "pending"


def test_list_pages_newest_first(admin: httpx.Client) -> None:
    ids = [_request(admin, name=f"s{i}") for i in range(3)]
    first = ok(admin.get("/api/admin/approvals", params={"limit": 2}))
    assert [a["id"] for a in first["items"]] == ids[::-1][:2]
    rest = ok(
        admin.get("/api/admin/approvals", params={"limit": 2, "cursor": first["next_cursor"]})
    )
    assert [a["id"] for a in rest["items"]] == ids[:1] and rest["next_cursor"] is None
    assert_problem(admin.get("/api/admin/approvals", params={"cursor": "junk"}), 422, "cursor")


def test_duplicate_pending_request_is_409(admin: httpx.Client) -> None:
    approval_id = _request(admin)
    assert_problem(admin.post("/api/mcp-servers", json=SERVER), 409, approval_id)


def test_cli_lists_approves_and_rejects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXORA_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0

    async def request(name: str) -> str:
        platform = Platform.from_settings(load_settings())
        await platform.start(workers=False)
        try:
            async with platform.db.session() as db:
                actor = await local_actor(db, "default")
                spec = McpServerSpec.model_validate({**SERVER, "name": name})
                context = RequestContext(ip="10.0.0.9", user_agent=UA)
                outcome = await mcp_registry.request_create(
                    db, actor, spec, context, platform.audit
                )
                assert outcome.approval_id is not None
                return outcome.approval_id
        finally:
            await platform.stop()

    keep, drop = asyncio.run(request("keep")), asyncio.run(request("drop"))
    listed = runner.invoke(app, ["approvals", "list", "--status", "pending"])
    assert listed.exit_code == 0 and keep in listed.output and drop in listed.output

    approved = runner.invoke(app, ["approvals", "approve", keep])
    assert approved.exit_code == 0 and "approved" in approved.output, approved.output
    rejected = runner.invoke(app, ["approvals", "reject", drop, "--reason", "not needed"])
    assert rejected.exit_code == 0 and "rejected" in rejected.output, rejected.output
    twice = runner.invoke(app, ["approvals", "approve", drop])
    assert twice.exit_code == 1 and "already rejected" in twice.output
    assert keep not in runner.invoke(app, ["approvals", "list", "--status", "pending"]).output
