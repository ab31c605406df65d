"""Channels in tests: create one, map a platform user, wait for what a fake platform got."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from tests.support.api import ok

T = TypeVar("T")

# The generic webhook channel's shared secret in tests.
SECRET = "a-long-shared-webhook-secret"


def make_agent(admin: httpx.Client, name: str = "helper") -> str:
    agent: dict[str, Any] = ok(admin.post("/api/agents", json={"name": name}), 201)
    return str(agent["id"])


def create_channel(
    admin: httpx.Client, channel_type: str, config: dict[str, Any], agent_id: str, **extra: Any
) -> dict[str, Any]:
    body = {"type": channel_type, "name": f"{channel_type}-test", "agent_id": agent_id}
    channel: dict[str, Any] = ok(
        admin.post("/api/channels", json={**body, **extra, "config": config}), 201
    )
    return channel


def map_user(admin: httpx.Client, channel_id: str, external_id: str) -> None:
    """Maps the platform user `external_id` to the logged-in admin."""
    me = ok(admin.get("/api/auth/me"))
    body = {"external_id": external_id, "user_id": me["user_id"]}
    ok(admin.post(f"/api/channels/{channel_id}/identities", json=body), 201)


def wait_for(produce: Callable[[], T | None], seconds: float = 20, what: str = "it") -> T:
    """Polls until `produce` returns something, within a bound."""
    deadline = time.monotonic() + seconds
    while True:
        value = produce()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def agent_turns(llm: Any) -> list[Any]:
    """The model calls of agent runs, without the background ones naming a new session."""
    return [r for r in llm.chat_requests if "title only" not in str(r.body)]


def signed_post(url: str, payload: dict[str, Any], secret: str = SECRET) -> httpx.Response:
    body = json.dumps(payload).encode()
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Nexora-Signature": f"sha256={digest}"}
    return httpx.post(url, content=body, headers=headers, timeout=10)
