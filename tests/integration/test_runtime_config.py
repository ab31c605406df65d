"""Runtime configuration through a live server on both backends: typed, audited, per org."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.governance.runtime_config import APPROVAL_EXPIRY_HOURS, MODEL_PRICES, get_config
from nexora.storage.models import AuditEvent, RuntimeConfig
from tests.support.api import assert_problem, login, ok
from tests.support.db import eventually, query
from tests.support.server import RunningServer

PRICES = {"openai:gpt-4o": {"prompt_per_million": 2.5, "completion_per_million": 10}}


def _org_id(client: httpx.Client) -> str:
    org_id: str = ok(client.get("/api/auth/me"))["org_id"]
    return org_id


def _other_org_admin(server: RunningServer, admin: httpx.Client) -> httpx.Client:
    org = ok(admin.post("/api/admin/orgs", json={"name": "globex"}), 201)
    body = {"username": "globex-admin", "password": "password-123", "role": "admin"}
    ok(admin.post("/api/admin/users", json={**body, "org_id": org["id"]}), 201)
    with server.client() as anon:
        return server.client(login(anon, "globex-admin", "password-123"))


def test_lists_every_declared_key_with_its_default(admin: httpx.Client) -> None:
    entries = {e["key"]: e for e in ok(admin.get("/api/admin/config"))}
    assert {
        "model_prices",
        "approval_expiry_hours",
        "audit_retention_days",
        "max_upload_mb",
        "default_agent_model",
    } <= set(entries)
    hours = entries["approval_expiry_hours"]
    assert hours["value"] == hours["default"] == 72 and hours["is_default"] is True
    assert hours["description"] and hours["json_schema"]["maximum"] == 720
    assert entries["model_prices"]["value"] == {}
    assert entries["max_upload_mb"]["value"] == 25
    assert entries["audit_retention_days"]["value"] is None
    assert ok(admin.get("/api/admin/config/max_upload_mb"))["value"] == 25


def test_set_read_reset_and_audit(server: RunningServer, admin: httpx.Client) -> None:
    url = server.platform.settings.database_url
    me = ok(admin.get("/api/auth/me"))
    put = ok(admin.put("/api/admin/config/approval_expiry_hours", json={"value": 48}))
    assert put["value"] == 48 and put["is_default"] is False
    assert put["updated_by"] == me["user_id"] and put["updated_at"]
    ok(admin.put("/api/admin/config/model_prices", json={"value": PRICES}))
    ok(admin.put("/api/admin/config/audit_retention_days", json={"value": 90}))
    ok(admin.put("/api/admin/config/audit_retention_days", json={"value": None}))
    ok(admin.put("/api/admin/config/default_agent_model", json={"value": "ollama:qwen2.5:7b"}))
    assert ok(admin.get("/api/admin/config/approval_expiry_hours"))["value"] == 48

    async def typed(session: AsyncSession) -> tuple[Any, ...]:
        org_id = me["org_id"]
        return (
            await get_config(session, org_id, APPROVAL_EXPIRY_HOURS),
            await get_config(session, org_id, MODEL_PRICES),
            await get_config(session, org_id, "max_upload_mb"),
            await get_config(session, org_id, "audit_retention_days"),
        )

    hours, prices, upload, retention = query(url, typed)
    assert hours == 48 and upload == 25 and retention is None
    assert prices["openai:gpt-4o"].completion_per_million == 10.0

    # Other code reads the table directly: the stored value is the plain JSON.
    async def raw(session: AsyncSession) -> Any:
        return await session.scalar(
            select(RuntimeConfig.value).where(RuntimeConfig.key == "model_prices")
        )

    assert query(url, raw) == {
        "openai:gpt-4o": {"prompt_per_million": 2.5, "completion_per_million": 10.0}
    }

    assert admin.delete("/api/admin/config/approval_expiry_hours").status_code == 204
    back = ok(admin.get("/api/admin/config/approval_expiry_hours"))
    assert back["value"] == 72 and back["is_default"] is True and back["updated_by"] is None
    # Resetting a key that is already at its default is not a change.
    assert admin.delete("/api/admin/config/max_upload_mb").status_code == 204

    async def events(session: AsyncSession) -> list[AuditEvent]:
        rows = await session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.like("config.%"))
            .order_by(AuditEvent.created_at)
        )
        return list(rows)

    found = eventually(url, events, lambda e: len(e) >= 6)
    assert [(e.action, e.resource_id, e.detail["old"], e.detail["new"]) for e in found] == [
        ("config.update", "approval_expiry_hours", 72, 48),
        ("config.update", "model_prices", {}, query(url, raw)),
        ("config.update", "audit_retention_days", None, 90),
        ("config.update", "audit_retention_days", 90, None),
        ("config.update", "default_agent_model", None, "ollama:qwen2.5:7b"),
        ("config.delete", "approval_expiry_hours", 48, 72),
    ]
    assert all(e.actor_id == me["user_id"] for e in found)


@pytest.mark.parametrize(
    ("key", "value", "detail"),
    [
        ("approval_expiry_hours", 0, "approval_expiry_hours: Input should be greater than"),
        ("approval_expiry_hours", 721, "approval_expiry_hours: Input should be less than"),
        ("approval_expiry_hours", "72", "approval_expiry_hours: Input should be a valid integer"),
        ("approval_expiry_hours", True, "approval_expiry_hours: Input should be a valid integer"),
        ("approval_expiry_hours", None, "approval_expiry_hours"),
        ("max_upload_mb", 2048, "max_upload_mb: Input should be less than or equal to 1024"),
        ("audit_retention_days", 7, "audit_retention_days"),
        ("default_agent_model", "gpt-4o", "default_agent_model: String should match pattern"),
        ("model_prices", [], "model_prices: Input should be a valid dictionary"),
        (
            "model_prices",
            {"gpt-4o": {"prompt_per_million": -1, "completion_per_million": 1}},
            "model_prices.gpt-4o.prompt_per_million: Input should be greater than or equal to 0",
        ),
        (
            "model_prices",
            {"gpt-4o": {"prompt_per_million": 1}},
            "model_prices.gpt-4o.completion_per_million: Field required",
        ),
        (
            "model_prices",
            {"gpt-4o": {"prompt_per_million": 1, "completion_per_million": 1, "x": 1}},
            "model_prices.gpt-4o.x: Extra inputs are not permitted",
        ),
    ],
)
def test_invalid_values_are_422_naming_the_problem(
    admin: httpx.Client, key: str, value: object, detail: str
) -> None:
    assert_problem(admin.put(f"/api/admin/config/{key}", json={"value": value}), 422, detail)
    assert ok(admin.get(f"/api/admin/config/{key}"))["is_default"] is True


def test_unknown_keys_are_404_and_the_body_is_checked(admin: httpx.Client) -> None:
    assert_problem(admin.get("/api/admin/config/nope"), 404, "unknown configuration key")
    assert_problem(admin.put("/api/admin/config/nope", json={"value": 1}), 404, "nope")
    assert_problem(admin.delete("/api/admin/config/nope"), 404, "nope")
    assert_problem(admin.put("/api/admin/config/max_upload_mb", json={}), 422, "value")
    assert_problem(
        admin.put("/api/admin/config/max_upload_mb", json={"value": 1, "other": 2}), 422, "other"
    )


def test_each_org_has_its_own_config_and_only_admins_touch_it(
    server: RunningServer, admin: httpx.Client
) -> None:
    ok(admin.put("/api/admin/config/max_upload_mb", json={"value": 100}))
    with _other_org_admin(server, admin) as other:
        assert ok(other.get("/api/admin/config/max_upload_mb"))["value"] == 25
        ok(other.put("/api/admin/config/max_upload_mb", json={"value": 5}))
        assert other.delete("/api/admin/config/max_upload_mb").status_code == 204
        ok(other.put("/api/admin/config/max_upload_mb", json={"value": 7}))
        other_org = _org_id(other)
    assert ok(admin.get("/api/admin/config/max_upload_mb"))["value"] == 100

    async def values(session: AsyncSession) -> dict[str, Any]:
        rows = await session.scalars(
            select(RuntimeConfig).where(RuntimeConfig.key == "max_upload_mb")
        )
        return {row.org_id: row.value for row in rows}

    assert query(server.platform.settings.database_url, values) == {
        _org_id(admin): 100,
        other_org: 7,
    }

    body = {"username": "op", "password": "password-123", "role": "operator"}
    ok(admin.post("/api/admin/users", json=body), 201)
    with server.client() as anon, server.client(login(anon, "op", "password-123")) as operator:
        assert_problem(operator.get("/api/admin/config"), 403)
        assert_problem(operator.put("/api/admin/config/max_upload_mb", json={"value": 1}), 403)
        assert_problem(operator.delete("/api/admin/config/max_upload_mb"), 403)
