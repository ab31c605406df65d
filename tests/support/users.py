"""More people than the bootstrap admin: a member of the default org, an admin of another."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.api import login, ok
from tests.support.server import RunningServer

PASSWORD = "password-123"


def add_user(admin: httpx.Client, username: str, role: str = "operator") -> dict[str, Any]:
    """A user in the admin's org; returns the created user."""
    user: dict[str, Any] = ok(
        admin.post(
            "/api/admin/users", json={"username": username, "password": PASSWORD, "role": role}
        ),
        201,
    )
    return user


def client_of(server: RunningServer, username: str) -> httpx.Client:
    with server.client() as anon:
        return server.client(login(anon, username, PASSWORD))


def other_org_admin(
    server: RunningServer, admin: httpx.Client, org: str = "globex"
) -> httpx.Client:
    created = ok(admin.post("/api/admin/orgs", json={"name": org}), 201)
    body = {"username": f"{org}-admin", "password": PASSWORD, "role": "admin"}
    ok(admin.post("/api/admin/users", json={**body, "org_id": created["id"]}), 201)
    return client_of(server, f"{org}-admin")
