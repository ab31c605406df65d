"""The MCP server registry: validated configuration, added and removed through the policy."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.api import assert_problem, auth, login, ok

STDIO = {"name": "files", "transport": "stdio", "command": "mcp-files"}
HTTP = {"name": "search", "transport": "http", "url": "https://mcp.example.com/sse"}
AUTO = {"capability": "mcp", "action": "create", "risk": "medium", "rule": "auto"}


def _headers(admin: httpx.Client, anon: httpx.Client, name: str, role: str) -> dict[str, str]:
    body = {"username": name, "password": "password-123", "role": role}
    ok(admin.post("/api/admin/users", json=body), 201)
    return auth(login(anon, name, "password-123"))


INVALID: list[tuple[dict[str, Any], str]] = [
    ({**STDIO, "command": None}, "needs a command"),
    ({**STDIO, "url": "https://x.example"}, "not a url"),
    ({**HTTP, "url": None}, "needs a url"),
    ({**HTTP, "url": "ftp://files.example"}, "http:// or https://"),
    ({**HTTP, "url": "https://"}, "with a host"),
    ({**HTTP, "command": "x"}, "not a command"),
    ({**STDIO, "name": "Files"}, "name"),
    ({**STDIO, "name": "-files"}, "name"),
    ({**STDIO, "name": "f" * 65}, "name"),
    ({**STDIO, "transport": "websocket"}, "transport"),
    ({**STDIO, "secret_env": {"LD_PRELOAD": "evil"}}, "may not be set"),
    ({**STDIO, "secret_env": {"1BAD": "token"}}, "environment variable"),
    ({**STDIO, "secret_env": {"TOKEN": "no spaces"}}, "secret name"),
    ({**STDIO, "secret_env": {f"K{i}": "s" for i in range(33)}}, "secret_env"),
    ({**STDIO, "args": ["a"] * 65}, "args"),
    ({**STDIO, "args": ["a" * 2001]}, "args"),
    ({**STDIO, "timeout_seconds": 0}, "timeout_seconds"),
    ({**STDIO, "extra": True}, "extra"),
    ({**STDIO, "secret_headers": {"X-Token": "t"}}, "not secret_headers"),
    ({**HTTP, "secret_env": {"TOKEN": "t"}}, "not secret_env"),
    ({**HTTP, "secret_headers": {"Host": "t"}}, "may not be set"),
    ({**HTTP, "secret_headers": {"Bad Header": "t"}}, "header name"),
    ({**STDIO, "danger": "extreme"}, "danger"),
]


def test_invalid_configuration_is_422(admin: httpx.Client) -> None:
    for body, detail in INVALID:
        assert_problem(admin.post("/api/mcp-servers", json=body), 422, detail)


def test_roles_agents_and_duplicates(admin: httpx.Client, anon: httpx.Client) -> None:
    viewer = _headers(admin, anon, "vic", "viewer")
    assert_problem(anon.post("/api/mcp-servers", json=STDIO, headers=viewer), 403)

    agent = ok(admin.post("/api/agents", json={"name": "coder", "mcp_servers": ["files"]}), 201)
    assert agent["mcp_servers"] == ["files"]
    assert_problem(
        admin.post("/api/agents", json={"name": "x", "mcp_servers": "files"}), 422, "mcp_servers"
    )
    missing = admin.post("/api/mcp-servers", json={**STDIO, "agent_id": "nope"})
    assert_problem(missing, 404, "agent not found")

    ok(admin.put("/api/admin/policies", json=[AUTO]))
    created = ok(admin.post("/api/mcp-servers", json={**STDIO, "agent_id": agent["id"]}), 201)
    assert created["agent_id"] == agent["id"] and created["enabled"] is True
    with_key = {**HTTP, "secret_headers": {"X-Token": "search-key"}}
    ok(admin.post("/api/mcp-servers", json=with_key), 201)
    assert_problem(admin.post("/api/mcp-servers", json=STDIO), 409, "already exists")

    listed = ok(anon.get("/api/mcp-servers", headers=viewer))
    assert [(s["name"], s["transport"]) for s in listed] == [("files", "stdio"), ("search", "http")]
    assert listed[1]["secret_headers"] == {"X-Token": "search-key"} and listed[1]["command"] is None
    scoped = ok(admin.get("/api/mcp-servers", params={"agent_id": agent["id"]}))
    assert [s["name"] for s in scoped] == ["files"]
    assert ok(anon.get(f"/api/mcp-servers/{created['id']}", headers=viewer))["name"] == "files"
    assert_problem(anon.delete(f"/api/mcp-servers/{created['id']}", headers=viewer), 403)


def test_delete_waits_when_policy_says_so(admin: httpx.Client, anon: httpx.Client) -> None:
    delete_rule = {"capability": "mcp", "action": "delete", "risk": "medium", "rule": "approve"}
    ok(admin.put("/api/admin/policies", json=[AUTO, delete_rule]))
    server = ok(admin.post("/api/mcp-servers", json=HTTP), 201)

    operator = _headers(admin, anon, "olga", "operator")
    pending = ok(anon.delete(f"/api/mcp-servers/{server['id']}", headers=operator), 202)
    assert pending["status"] == "pending" and pending["risk"] == "medium"
    assert ok(admin.get(f"/api/mcp-servers/{server['id']}"))["name"] == "search"

    approval = ok(admin.post(f"/api/admin/approvals/{pending['approval_id']}/approve"))
    assert approval["result"] == {"mcp_server_id": server["id"], "name": "search", "deleted": True}
    assert_problem(admin.get(f"/api/mcp-servers/{server['id']}"), 404, "MCP server not found")


def test_approval_that_can_no_longer_apply_stays_pending(admin: httpx.Client) -> None:
    approval_id = ok(admin.post("/api/mcp-servers", json=STDIO), 202)["approval_id"]
    # Meanwhile the same name is taken directly, under a looser rule.
    ok(admin.put("/api/admin/policies", json=[AUTO]))
    ok(admin.post("/api/mcp-servers", json=STDIO), 201)

    refused = admin.post(f"/api/admin/approvals/{approval_id}/approve")
    assert_problem(refused, 409, "already exists")
    assert ok(admin.get(f"/api/admin/approvals/{approval_id}"))["status"] == "pending"
    ok(admin.post(f"/api/admin/approvals/{approval_id}/reject", json={"reason": "duplicate"}))
    assert len(ok(admin.get("/api/mcp-servers"))) == 1


def test_other_org_cannot_see_or_delete(admin: httpx.Client, anon: httpx.Client) -> None:
    ok(admin.put("/api/admin/policies", json=[AUTO]))
    server = ok(admin.post("/api/mcp-servers", json=STDIO), 201)
    org = ok(admin.post("/api/admin/orgs", json={"name": "acme"}), 201)
    body = {"username": "boss", "password": "password-123", "role": "admin", "org_id": org["id"]}
    ok(admin.post("/api/admin/users", json=body), 201)
    other = auth(login(anon, "boss", "password-123"))
    assert ok(anon.get("/api/mcp-servers", headers=other)) == []
    assert_problem(anon.get(f"/api/mcp-servers/{server['id']}", headers=other), 404)
    assert_problem(anon.delete(f"/api/mcp-servers/{server['id']}", headers=other), 404)
    # The name is free in the other org, and its own policy (the default) applies there.
    assert ok(anon.post("/api/mcp-servers", json=STDIO, headers=other), 202)["risk"] == "high"
