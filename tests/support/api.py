"""Short helpers for talking to the API in tests."""

from __future__ import annotations

from typing import Any

import httpx

ADMIN_PASSWORD = "admin-password-1"


def login(client: httpx.Client, username: str, password: str) -> str:
    response = client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    return response.json() if response.content else None


def assert_problem(response: httpx.Response, status: int, detail_contains: str = "") -> None:
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert detail_contains.lower() in body["detail"].lower(), body["detail"]
