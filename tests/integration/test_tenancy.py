"""Admins create orgs, users and agents over HTTP; another org sees none of it."""

from __future__ import annotations

import httpx

from tests.support.api import assert_problem, auth, login, ok
from tests.support.server import RunningServer


def _org_with_admin(admin: httpx.Client, name: str) -> tuple[dict[str, str], str]:
    org = ok(admin.post("/api/admin/orgs", json={"name": name}), 201)
    ok(
        admin.post(
            "/api/admin/users",
            json={
                "username": f"{name}-admin",
                "password": "password-123",
                "role": "admin",
                "org_id": org["id"],
            },
        ),
        201,
    )
    return org, f"{name}-admin"


def test_admin_creates_org_user_agent_and_other_org_gets_404(
    server: RunningServer, admin: httpx.Client, anon: httpx.Client
) -> None:
    agent = ok(admin.post("/api/agents", json={"name": "writer", "persona": "You write."}), 201)
    olga = ok(
        admin.post("/api/admin/users", json={"username": "olga", "password": "password-123"}), 201
    )
    ok(admin.post("/api/admin/grants", json={"user_id": olga["id"], "agent_id": agent["id"]}), 201)
    _, other_admin = _org_with_admin(admin, "acme")

    other = auth(login(anon, other_admin, "password-123"))
    assert_problem(anon.get(f"/api/agents/{agent['id']}", headers=other), 404, "agent not found")
    assert_problem(anon.put(f"/api/agents/{agent['id']}", json={"name": "x"}, headers=other), 404)
    assert_problem(anon.delete(f"/api/agents/{agent['id']}", headers=other), 404)
    assert ok(anon.get("/api/agents", headers=other)) == []

    # The same name is free in another org.
    ok(anon.post("/api/agents", json={"name": "writer"}, headers=other), 201)
    # The operator of the first org, granted the agent, sees it.
    operator = auth(login(anon, "olga", "password-123"))
    assert [a["name"] for a in ok(anon.get("/api/agents", headers=operator))] == ["writer"]


def test_org_admin_cannot_reach_other_orgs_users(admin: httpx.Client, anon: httpx.Client) -> None:
    acme, acme_admin = _org_with_admin(admin, "acme")
    globex, _ = _org_with_admin(admin, "globex")
    acme_headers = auth(login(anon, acme_admin, "password-123"))

    default_users = ok(admin.get("/api/admin/users"))
    admin_id = next(u["id"] for u in default_users if u["username"] == "admin")
    assert_problem(anon.get(f"/api/admin/users/{admin_id}", headers=acme_headers), 404)
    assert_problem(anon.delete(f"/api/admin/users/{admin_id}", headers=acme_headers), 404)
    assert_problem(
        anon.post(
            f"/api/admin/users/{admin_id}/password",
            json={"password": "hijacked-1"},
            headers=acme_headers,
        ),
        404,
    )
    assert_problem(
        anon.post(
            "/api/admin/users",
            json={"username": "sneaky", "password": "password-123", "org_id": globex["id"]},
            headers=acme_headers,
        ),
        404,
        "organization not found",
    )
    assert_problem(
        anon.get("/api/admin/users", params={"org_id": globex["id"]}, headers=acme_headers), 404
    )
    assert [o["name"] for o in ok(anon.get("/api/admin/orgs", headers=acme_headers))] == ["acme"]
    # Only the platform administrator creates organizations.
    assert_problem(anon.post("/api/admin/orgs", json={"name": "x"}, headers=acme_headers), 403)
    assert acme["name"] == "acme"


def test_operator_cannot_use_admin_routes(admin: httpx.Client, anon: httpx.Client) -> None:
    ok(admin.post("/api/admin/users", json={"username": "op", "password": "password-123"}), 201)
    operator = auth(login(anon, "op", "password-123"))
    assert_problem(anon.get("/api/admin/users", headers=operator), 403, "admin role")
    assert_problem(anon.post("/api/agents", json={"name": "x"}, headers=operator), 403)


def test_user_lifecycle(admin: httpx.Client, anon: httpx.Client) -> None:
    user = ok(
        admin.post("/api/admin/users", json={"username": "dan", "password": "password-123"}), 201
    )
    assert user["role"] == "operator"
    token = login(anon, "dan", "password-123")
    ok(admin.patch(f"/api/admin/users/{user['id']}", json={"disabled": True}))
    assert_problem(anon.get("/api/auth/me", headers=auth(token)), 401)
    assert_problem(
        anon.post("/api/auth/login", json={"username": "dan", "password": "password-123"}),
        401,
        "disabled",
    )
    ok(admin.patch(f"/api/admin/users/{user['id']}", json={"disabled": False, "role": "admin"}))
    assert (
        admin.post(
            f"/api/admin/users/{user['id']}/password", json={"password": "another-pass-1"}
        ).status_code
        == 204
    )
    assert (
        ok(anon.get("/api/auth/me", headers=auth(login(anon, "dan", "another-pass-1"))))["role"]
        == "admin"
    )
    assert admin.delete(f"/api/admin/users/{user['id']}").status_code == 204
    assert_problem(admin.get(f"/api/admin/users/{user['id']}"), 404)


def test_duplicate_username_is_409_and_self_delete_refused(admin: httpx.Client) -> None:
    ok(admin.post("/api/admin/users", json={"username": "eve", "password": "password-123"}), 201)
    dup = admin.post("/api/admin/users", json={"username": "eve", "password": "password-123"})
    assert_problem(dup, 409, "taken")
    me = ok(admin.get("/api/auth/me"))
    assert_problem(admin.delete(f"/api/admin/users/{me['user_id']}"), 409, "yourself")


def test_projects_are_scoped(admin: httpx.Client, anon: httpx.Client) -> None:
    project = ok(admin.post("/api/projects", json={"name": "website"}), 201)
    names = [p["name"] for p in ok(admin.get("/api/projects"))]
    assert names == ["default", "website"]
    _, acme_admin = _org_with_admin(admin, "acme")
    acme = auth(login(anon, acme_admin, "password-123"))
    assert_problem(anon.get(f"/api/projects/{project['id']}", headers=acme), 404)
    assert_problem(
        anon.post("/api/agents", json={"name": "a", "project_id": project["id"]}, headers=acme),
        404,
        "project not found",
    )
