"""Every route declares who may call it, and every route enforces it.

Anonymous callers get 401, roles below the route's policy 403, and another org's admin a 404
for objects of this org. A route added without a policy fails the first test.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
import pytest

from nexora.api.app import create_app
from nexora.auth.policy import ROUTE_POLICIES, Access
from nexora.config import Settings
from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.api import auth, login, ok
from tests.support.runs import wait_for_run
from tests.support.server import RunningServer

# Path parameters naming something scoped by org name or key rather than by id: another
# org has its own namespace for them, so "not found for the other org" does not apply.
NAMESPACED_PARAMS = {"name", "key"}


def _routes(settings: Settings) -> list[tuple[str, str]]:
    """Every (method, path) the application serves, as its OpenAPI document lists them."""
    paths = create_app(settings).openapi()["paths"]
    return sorted((method.upper(), path) for path, ops in paths.items() for method in ops)


def test_every_route_declares_a_policy(settings: Settings) -> None:
    routes = set(_routes(settings))
    undeclared = sorted(routes - set(ROUTE_POLICIES))
    stale = sorted(set(ROUTE_POLICIES) - routes)
    assert not undeclared, f"routes without an access policy: {undeclared}"
    assert not stale, f"policies for routes that do not exist: {stale}"


@dataclass
class World:
    ids: dict[str, str]
    operator: dict[str, str]
    viewer: dict[str, str]
    admin: dict[str, str]
    outsider: dict[str, str]


@pytest.fixture
def world(
    server: RunningServer,
    admin: httpx.Client,
    anon: httpx.Client,
    llm: FakeOpenAIServer,
    settings: Settings,
) -> World:
    me = ok(admin.get("/api/auth/me"))
    agent = ok(admin.post("/api/agents", json={"name": "policy-agent"}), 201)
    operator = ok(
        admin.post("/api/admin/users", json={"username": "op", "password": "password-1"}), 201
    )
    ok(
        admin.post(
            "/api/admin/users",
            json={"username": "viewer", "password": "password-1", "role": "viewer"},
        ),
        201,
    )
    grant = ok(
        admin.post("/api/admin/grants", json={"user_id": operator["id"], "agent_id": agent["id"]}),
        201,
    )
    project = ok(admin.post("/api/projects", json={"name": "p"}), 201)
    run = ok(admin.post("/api/runs", json={"agent_id": agent["id"], "input": "x"}), 201)
    wait_for_run(admin, run["id"])
    key = ok(admin.post("/api/api-keys", json={"name": "policy"}), 201)
    chat = ok(admin.get("/api/sessions"))
    session_id = chat["items"][0]["id"] if chat["items"] else None
    if session_id is None:
        from tests.support.sse import stream

        opening = stream(
            admin, "POST", "/api/chat", json_body={"agent_id": agent["id"], "message": "hi"}
        )
        session_id = opening[0].json["session_id"]
    # An MCP server is a high-risk capability: it waits for approval, then exists.
    pending = admin.post(
        "/api/mcp-servers",
        json={"name": "policy-mcp", "transport": "stdio", "command": "mcp-server"},
    )
    assert pending.status_code == 202, pending.text
    approval_id = pending.json()["approval_id"]
    ok(admin.post(f"/api/admin/approvals/{approval_id}/approve"))
    server_id = ok(admin.get("/api/mcp-servers"))[0]["id"]
    block = ok(
        admin.post("/api/memory/blocks", json={"agent_id": agent["id"], "label": "team"}), 201
    )
    item = ok(
        admin.post("/api/memory/archival", json={"agent_id": agent["id"], "text": "a fact"}), 201
    )
    change = ok(admin.get("/api/memory/changes", params={"agent_id": agent["id"]}))["items"][0]
    note = [("files", ("policy.md", b"# Policy\n\nA note."))]
    ingest = admin.post("/api/memory/archival/ingest", data={"agent_id": agent["id"]}, files=note)
    job_id = ok(ingest, 202)["job_id"]
    role = ok(admin.post("/api/roles", json={"name": "policy-role"}), 201)
    team = {"name": "policy-team", "members": [{"agent_id": agent["id"], "is_lead": True}]}
    group = ok(admin.post("/api/groups", json=team), 201)
    group_id = group["id"]
    entry = ok(admin.post(f"/api/groups/{group_id}/blackboard", json={"text": "a note"}), 201)
    artifact = ok(
        admin.post("/api/vault/artifacts", json={"kind": "doc", "key": "a.md", "value": "x"}), 201
    )
    playbook = ok(
        admin.post(
            "/api/playbooks",
            json={"name": "policy-playbook", "stages": [{"name": "do", "agent": "policy-agent"}]},
        ),
        201,
    )
    playbook_run = ok(
        admin.post(f"/api/playbooks/{playbook['id']}/runs", json={"objective": "x"}), 201
    )
    ok(admin.post("/api/agents", json={"name": "policy-fixer", "capabilities": ["fixing"]}), 201)
    dispatch = ok(
        admin.post("/api/dispatch", json={"objective": "x", "required_roles": ["fixing"]}), 201
    )
    hook = {"secret": "a-long-enough-secret-value", "callback_url": "https://hooks.example.com/x"}
    channel = ok(
        admin.post(
            "/api/channels",
            json={
                "type": "webhook",
                "name": "policy-hook",
                "agent_id": agent["id"],
                "config": hook,
            },
        ),
        201,
    )
    identity = ok(
        admin.post(
            f"/api/channels/{channel['id']}/identities",
            json={"external_id": "u-1", "user_id": operator["id"]},
        ),
        201,
    )
    org = ok(admin.post("/api/admin/orgs", json={"name": "outside"}), 201)
    ok(
        admin.post(
            "/api/admin/users",
            json={
                "username": "outsider",
                "password": "password-1",
                "role": "admin",
                "org_id": org["id"],
            },
        ),
        201,
    )

    def key_for(username: str) -> dict[str, str]:
        headers = auth(login(anon, username, "password-1"))
        return auth(ok(anon.post("/api/api-keys", json={"name": "t"}, headers=headers), 201)["key"])

    return World(
        ids={
            "agent_id": agent["id"],
            "user_id": operator["id"],
            "org_id": me["org_id"],
            "grant_id": grant["id"],
            "project_id": project["id"],
            "run_id": run["id"],
            "key_id": key["id"],
            "session_id": session_id,
            "approval_id": approval_id,
            "server_id": server_id,
            "block_id": block["id"],
            "item_id": item["id"],
            "change_id": change["id"],
            "job_id": job_id,
            "group_id": group_id,
            "role_id": role["id"],
            "member_id": group["members"][0]["id"],
            "memory_id": entry["id"],
            "artifact_id": artifact["id"],
            "playbook_id": playbook["id"],
            "playbook_run_id": playbook_run["id"],
            "dispatch_id": dispatch["id"],
            "channel_id": channel["id"],
            "identity_id": identity["id"],
        },
        operator=key_for("op"),
        viewer=key_for("viewer"),
        admin=auth(key["key"]),
        outsider=key_for("outsider"),
    )


def _path(template: str, ids: dict[str, str], real: bool) -> tuple[str, set[str]]:
    params: set[str] = set()
    path = template
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        param = path[start + 1 : end]
        params.add(param)
        value = ids.get(param) if real else None
        path = path[:start] + (value or f"x{uuid.uuid4().hex[:8]}") + path[end + 1 :]
    return path, params


def test_every_route_enforces_its_policy(
    settings: Settings, server: RunningServer, anon: httpx.Client, world: World
) -> None:
    problems: list[str] = []

    def call(method: str, path: str, headers: dict[str, str]) -> int:
        body = {} if method in ("POST", "PUT", "PATCH") else None
        with anon.stream(method, path, headers=headers, json=body, timeout=10) as response:
            return response.status_code

    for method, template in _routes(settings):
        access = ROUTE_POLICIES[(method, template)]
        fake_path, params = _path(template, world.ids, real=False)
        if access is not Access.PUBLIC and (status := call(method, fake_path, {})) != 401:
            problems.append(f"{method} {template}: anonymous got {status}, not 401")
        for role, headers in (("viewer", world.viewer), ("operator", world.operator)):
            status = call(method, fake_path, headers)
            denied = {Access.OPERATOR: role == "viewer", Access.ADMIN: True}.get(access, False)
            if denied and status != 403:
                problems.append(f"{method} {template}: {role} got {status}, not 403")
            if not denied and status in (401, 403):
                problems.append(f"{method} {template}: {role} was refused ({status})")
        if method != "DELETE" and (status := call(method, fake_path, world.admin)) in (401, 403):
            problems.append(f"{method} {template}: admin was refused ({status})")
        scoped = params - NAMESPACED_PARAMS
        if scoped and access is not Access.PUBLIC:
            real_path, _ = _path(template, world.ids, real=True)
            if not scoped <= set(world.ids):
                problems.append(f"{method} {template}: no object for {scoped - set(world.ids)}")
            else:
                # Another org's object must look exactly like one that does not exist.
                real = call(method, real_path, world.outsider)
                missing = call(method, _path(template, {}, real=False)[0], world.outsider)
                if real != missing or real < 400:
                    problems.append(
                        f"{method} {template}: another org's admin got {real} "
                        f"(a missing object gets {missing})"
                    )
    assert not problems, "\n".join(problems)
