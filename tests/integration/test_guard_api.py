"""`POST /api/admin/guard/check` over real HTTP, on both backends: admins only, scoped to the
org's own agents, paths judged inside the named agent's workspace."""

from __future__ import annotations

import httpx

from tests.support.api import assert_problem, login, ok
from tests.support.server import RunningServer

URL = "/api/admin/guard/check"


def test_shell_command_verdicts(admin: httpx.Client) -> None:
    blocked = ok(admin.post(URL, json={"kind": "shell", "input": "cat ~/.ssh/id_rsa"}))
    assert blocked["verdict"] == "block" and blocked["danger"] == "critical"
    assert blocked["reasons"][0]["rule"] == "file.denied"
    allowed = ok(admin.post(URL, json={"kind": "shell", "input": "git status"}))
    assert allowed == {"verdict": "allow", "danger": "safe", "reasons": []}
    approval = ok(admin.post(URL, json={"kind": "shell", "input": "sudo apt-get update"}))
    assert approval["verdict"] == "approval"


def test_paths_are_relative_to_the_agents_workspace(admin: httpx.Client) -> None:
    agent = ok(admin.post("/api/agents", json={"name": "guarded"}), 201)
    body = {"kind": "path", "agent_id": agent["id"]}
    inside = ok(admin.post(URL, json={**body, "input": "notes/todo.md"}))
    assert inside["verdict"] == "allow"
    written = ok(admin.post(URL, json={**body, "input": "notes/todo.md", "write": True}))
    assert [r["rule"] for r in written["reasons"]] == ["file.write"]
    config = ok(admin.post(URL, json={**body, "input": "../agent.yaml"}))
    assert [r["rule"] for r in config["reasons"]] == ["file.protected"]
    outside = ok(admin.post(URL, json={**body, "input": "../../../../../etc/hostname"}))
    assert outside["verdict"] == "block"
    assert outside["reasons"][0]["rule"] in {"file.outside_workspace", "file.protected"}
    env = ok(admin.post(URL, json={**body, "input": ".env"}))
    assert env["reasons"][0]["rule"] == "file.denied"


def test_another_orgs_agent_is_not_found(
    server: RunningServer, admin: httpx.Client, anon: httpx.Client
) -> None:
    org = ok(admin.post("/api/admin/orgs", json={"name": "globex"}), 201)
    user = {"username": "globex-admin", "password": "password-123", "role": "admin"}
    ok(admin.post("/api/admin/users", json={**user, "org_id": org["id"]}), 201)
    with server.client(login(anon, "globex-admin", "password-123")) as globex:
        theirs = ok(globex.post("/api/agents", json={"name": "theirs"}), 201)
        mine = ok(globex.post(URL, json={"kind": "path", "input": "a", "agent_id": theirs["id"]}))
        assert mine["verdict"] == "allow"
    body = {"kind": "path", "input": "a.txt", "agent_id": theirs["id"]}
    assert_problem(admin.post(URL, json=body), 404)


def test_only_admins_may_ask(
    server: RunningServer, admin: httpx.Client, anon: httpx.Client
) -> None:
    user = {"username": "op", "password": "password-123", "role": "operator"}
    ok(admin.post("/api/admin/users", json=user), 201)
    with server.client(login(anon, "op", "password-123")) as operator:
        assert_problem(operator.post(URL, json={"kind": "shell", "input": "ls"}), 403)
    assert_problem(anon.post(URL, json={"kind": "shell", "input": "ls"}), 401)


def test_input_is_validated_and_size_limited(admin: httpx.Client) -> None:
    assert_problem(admin.post(URL, json={"kind": "shell", "input": "x" * 70_000}), 422)
    assert_problem(admin.post(URL, json={"kind": "perl", "input": "1"}), 422)
    assert_problem(admin.post(URL, json={"kind": "shell", "input": ""}), 422)


def test_python_programs(admin: httpx.Client) -> None:
    code = "import shutil\nshutil.rmtree('/')\n"
    assert ok(admin.post(URL, json={"kind": "python", "input": code}))["verdict"] == "block"
