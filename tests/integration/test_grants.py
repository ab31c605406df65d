"""An operator without a grant cannot use an agent by any entry point."""

from __future__ import annotations

import httpx
import openai

from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.api import assert_problem, auth, login, ok
from tests.support.server import RunningServer


def test_operator_needs_a_grant_everywhere(
    server: RunningServer, admin: httpx.Client, anon: httpx.Client, llm: FakeOpenAIServer
) -> None:
    agent = ok(admin.post("/api/agents", json={"name": "guarded"}), 201)
    ok(admin.post("/api/agents", json={"name": "other"}), 201)
    user = ok(
        admin.post("/api/admin/users", json={"username": "op", "password": "password-123"}), 201
    )
    op = auth(login(anon, "op", "password-123"))
    key = ok(anon.post("/api/api-keys", json={"name": "k"}, headers=op), 201)["key"]
    sdk = openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0)

    assert ok(anon.get("/api/agents", headers=op)) == []
    assert_problem(anon.get(f"/api/agents/{agent['id']}", headers=op), 403, "grant")
    assert_problem(
        anon.post("/api/runs", json={"agent_id": agent["id"], "input": "x"}, headers=op),
        403,
        "grant",
    )
    assert_problem(
        anon.post("/api/runs", json={"agent_id": "guarded", "input": "x"}, headers=op), 403, "grant"
    )
    assert_problem(
        anon.post("/api/chat", json={"agent_id": agent["id"], "message": "x"}, headers=op),
        403,
        "grant",
    )
    assert list(sdk.models.list()) == []
    try:
        sdk.chat.completions.create(model="guarded", messages=[{"role": "user", "content": "x"}])
        raise AssertionError("the ungranted agent answered")
    except openai.PermissionDeniedError:
        pass

    grant = ok(
        admin.post("/api/admin/grants", json={"user_id": user["id"], "agent_id": agent["id"]}), 201
    )
    assert [a["name"] for a in ok(anon.get("/api/agents", headers=op))] == ["guarded"]
    llm.reply_text("granted")
    assert (
        sdk.chat.completions.create(model="guarded", messages=[{"role": "user", "content": "x"}])
        .choices[0]
        .message.content
        == "granted"
    )
    assert [m.id for m in sdk.models.list()] == ["guarded"]
    listed = ok(admin.get("/api/admin/grants", params={"user_id": user["id"]}))
    assert [g["id"] for g in listed] == [grant["id"]]
    assert_problem(
        admin.post("/api/admin/grants", json={"user_id": user["id"], "agent_id": agent["id"]}), 409
    )

    assert admin.delete(f"/api/admin/grants/{grant['id']}").status_code == 204
    assert ok(anon.get("/api/agents", headers=op)) == []
    assert_problem(
        anon.post("/api/runs", json={"agent_id": agent["id"], "input": "x"}, headers=op), 403
    )
    denied = ok(admin.get("/api/admin/audit", params={"status": "denied"}))["items"]
    assert any("grant" in e["detail"].get("reason", "") for e in denied)


def test_grants_are_tenant_scoped(admin: httpx.Client, anon: httpx.Client) -> None:
    agent = ok(admin.post("/api/agents", json={"name": "mine"}), 201)
    org = ok(admin.post("/api/admin/orgs", json={"name": "elsewhere"}), 201)
    outsider = ok(
        admin.post(
            "/api/admin/users",
            json={
                "username": "out",
                "password": "password-123",
                "role": "admin",
                "org_id": org["id"],
            },
        ),
        201,
    )
    assert_problem(
        admin.post("/api/admin/grants", json={"user_id": outsider["id"], "agent_id": agent["id"]}),
        404,
        "user",
    )
    out = auth(login(anon, "out", "password-123"))
    inside = ok(
        admin.post("/api/admin/users", json={"username": "in", "password": "password-123"}), 201
    )
    grant = ok(
        admin.post("/api/admin/grants", json={"user_id": inside["id"], "agent_id": agent["id"]}),
        201,
    )
    assert ok(anon.get("/api/admin/grants", headers=out)) == []
    assert_problem(anon.delete(f"/api/admin/grants/{grant['id']}", headers=out), 404)
    assert_problem(
        anon.post(
            "/api/admin/grants",
            json={"user_id": inside["id"], "agent_id": agent["id"]},
            headers=out,
        ),
        404,
    )
