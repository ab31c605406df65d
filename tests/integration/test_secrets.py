"""Secrets through a live server on both backends: encrypted, masked, private, rotatable."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from nexora.cli.main import app as cli
from nexora.config import Settings
from nexora.governance.secret_store import UNREADABLE
from nexora.governance.secrets import KEY_FILE, SecretBox, old_key_files
from nexora.storage.models import AuditEvent, ProviderSetting, Secret
from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.api import assert_problem, login, ok
from tests.support.db import eventually, query
from tests.support.server import RunningServer, run_server

ORG_VALUE = "org-token-0123456789abcdef"
USER_VALUE = "ana-token-0123456789abcdef"
PROVIDER_KEY = "sk-provider-0123456789abcdef"


class Recorder:
    """Wraps a client and keeps every response body, to show no secret ever leaves."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.bodies: list[str] = []

    def __call__(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response = self.client.request(method, url, **kwargs)
        self.bodies.append(response.text)
        return response


def _member(
    server: RunningServer, admin: httpx.Client, name: str, role: str, org_id: str | None = None
) -> httpx.Client:
    body = {"username": name, "password": "password-123", "role": role, "org_id": org_id}
    ok(admin.post("/api/admin/users", json=body), 201)
    with server.client() as anon:
        return server.client(login(anon, name, "password-123"))


def _user_id(client: httpx.Client) -> str:
    user_id: str = ok(client.get("/api/auth/me"))["user_id"]
    return user_id


def _rows(url: str) -> list[Secret]:
    async def work(session: AsyncSession) -> list[Secret]:
        return list(await session.scalars(select(Secret).order_by(Secret.name)))

    return query(url, work)


@pytest.fixture
def ana(server: RunningServer, admin: httpx.Client) -> Iterator[httpx.Client]:
    with _member(server, admin, "ana", "operator") as client:
        yield client


def test_secrets_are_encrypted_masked_and_never_returned(
    server: RunningServer, admin: httpx.Client, ana: httpx.Client
) -> None:
    as_admin, as_ana = Recorder(admin), Recorder(ana)
    made = ok(
        as_admin("PUT", "/api/admin/secrets/github", json={"value": ORG_VALUE, "description": "CI"})
    )
    assert made["scope"] == "org" and made["user_id"] is None
    assert made["masked_value"] == "org…cdef" and made["description"] == "CI"
    ok(as_ana("PUT", "/api/me/secrets/github", json={"value": USER_VALUE}))
    # Replacing the value keeps the description unless a new one is given.
    again = ok(as_admin("PUT", "/api/admin/secrets/github", json={"value": ORG_VALUE + "x"}))
    assert again["description"] == "CI"
    ok(as_admin("PUT", "/api/admin/secrets/github", json={"value": ORG_VALUE}))

    listed = ok(as_admin("GET", "/api/admin/secrets"))
    assert [(s["name"], s["scope"], s["masked_value"]) for s in listed] == [
        ("github", "org", "org…cdef"),
        ("github", "user", "ana…cdef"),
    ]
    assert listed[1]["user_id"] == _user_id(ana)
    mine = ok(as_ana("GET", "/api/me/secrets"))
    assert [(s["name"], s["masked_value"]) for s in mine] == [("github", "ana…cdef")]
    as_admin("GET", "/api/admin/audit")

    for body in as_admin.bodies + as_ana.bodies:
        assert ORG_VALUE not in body and USER_VALUE not in body

    box = SecretBox.from_keys_dir(server.platform.settings.home / "keys")
    rows = _rows(server.platform.settings.database_url)
    assert len(rows) == 2
    for row in rows:
        assert ORG_VALUE.encode() not in row.ciphertext
        assert USER_VALUE.encode() not in row.ciphertext
    assert sorted(box.decrypt(r.ciphertext) for r in rows) == sorted([ORG_VALUE, USER_VALUE])


def test_changes_are_audited_without_the_value(
    server: RunningServer, admin: httpx.Client, ana: httpx.Client
) -> None:
    ok(admin.put("/api/admin/secrets/slack", json={"value": ORG_VALUE}))
    ok(ana.put("/api/me/secrets/slack", json={"value": USER_VALUE}))
    assert ana.delete("/api/me/secrets/slack").status_code == 204
    assert admin.delete("/api/admin/secrets/slack").status_code == 204
    assert_problem(admin.delete("/api/admin/secrets/slack"), 404, "not found")

    async def events(session: AsyncSession) -> list[AuditEvent]:
        rows = await session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.like("secret.%"))
            .order_by(AuditEvent.created_at)
        )
        return list(rows)

    found = eventually(server.platform.settings.database_url, events, lambda e: len(e) >= 4)
    assert [(e.action, e.detail["scope"]) for e in found] == [
        ("secret.update", "org"),
        ("secret.update", "user"),
        ("secret.delete", "user"),
        ("secret.delete", "org"),
    ]
    assert all(e.detail["name"] == "slack" for e in found)
    assert found[0].detail["created"] is True
    for event in found:
        assert ORG_VALUE not in str(event.detail) and USER_VALUE not in str(event.detail)
    assert _rows(server.platform.settings.database_url) == []


def test_personal_secrets_are_private_to_their_owner(
    server: RunningServer, admin: httpx.Client, ana: httpx.Client
) -> None:
    ana_id = _user_id(ana)
    ok(ana.put("/api/me/secrets/mcp-token", json={"value": USER_VALUE}))
    with _member(server, admin, "bob", "viewer") as bob:
        # Bob sees nothing of Ana's; the same name is his own secret, and deleting it
        # never reaches hers.
        assert ok(bob.get("/api/me/secrets")) == []
        assert_problem(bob.delete("/api/me/secrets/mcp-token"), 404)
        ok(bob.put("/api/me/secrets/mcp-token", json={"value": "bob-token-000000000"}))
        assert bob.delete("/api/me/secrets/mcp-token").status_code == 204
        assert_problem(bob.get("/api/admin/secrets"), 403)
        assert_problem(bob.put("/api/admin/secrets/x", json={"value": "v", "user_id": ana_id}), 403)
        assert_problem(bob.delete("/api/admin/secrets/mcp-token", params={"user_id": ana_id}), 403)
    assert [s["masked_value"] for s in ok(ana.get("/api/me/secrets"))] == ["ana…cdef"]

    # The org's admin manages members' secrets explicitly, by user id.
    replaced = ok(
        admin.put(
            "/api/admin/secrets/mcp-token", json={"value": "new-0123456789", "user_id": ana_id}
        )
    )
    assert replaced["scope"] == "user" and replaced["user_id"] == ana_id
    assert [s["masked_value"] for s in ok(ana.get("/api/me/secrets"))] == ["new…6789"]

    # Another org's admin cannot reach Ana or her secrets.
    other = ok(admin.post("/api/admin/orgs", json={"name": "globex"}), 201)
    with _member(server, admin, "globex-admin", "admin", other["id"]) as stranger:
        assert ok(stranger.get("/api/admin/secrets")) == []
        body = {"value": "stolen-000000000", "user_id": ana_id}
        assert_problem(stranger.put("/api/admin/secrets/mcp-token", json=body), 404, "user")
        assert_problem(
            stranger.delete("/api/admin/secrets/mcp-token", params={"user_id": ana_id}), 404
        )
        assert_problem(stranger.delete("/api/admin/secrets/mcp-token"), 404)
    assert [s["masked_value"] for s in ok(ana.get("/api/me/secrets"))] == ["new…6789"]
    assert_problem(
        admin.put("/api/admin/secrets/x", json={"value": "v", "user_id": "no-such-user"}),
        404,
        "not found",
    )


def test_resolve_prefers_the_users_own_secret(
    server: RunningServer, admin: httpx.Client, ana: httpx.Client
) -> None:
    ok(admin.put("/api/admin/secrets/api-token", json={"value": ORG_VALUE}))
    ok(admin.put("/api/admin/secrets/shared", json={"value": "shared-value"}))
    ok(ana.put("/api/me/secrets/api-token", json={"value": USER_VALUE}))
    ana_id, org_id = _user_id(ana), ok(ana.get("/api/auth/me"))["org_id"]
    store = server.platform.secret_store

    async def resolved(session: AsyncSession) -> tuple[object, ...]:
        return (
            await store.resolve(session, org_id, "api-token", ana_id),
            await store.resolve(session, org_id, "api-token"),
            await store.resolve(session, org_id, "api-token", "someone-else"),
            await store.resolve(session, org_id, "missing", ana_id),
            await store.resolve_many(session, org_id, ["api-token", "shared", "missing"], ana_id),
        )

    mine, org, others, missing, many = query(server.platform.settings.database_url, resolved)
    assert (mine, org, others, missing) == (USER_VALUE, ORG_VALUE, ORG_VALUE, None)
    assert many == {"api-token": USER_VALUE, "shared": "shared-value"}


@pytest.mark.parametrize(
    ("name", "body", "detail"),
    [
        ("bad name!", {"value": "v"}, "name"),
        ("x" * 101, {"value": "v"}, "name"),
        ("ok", {"value": ""}, "value"),
        ("ok", {"value": "x" * (64 * 1024 + 1)}, "64 KB"),
        ("ok", {"value": "é" * (32 * 1024 + 1)}, "64 KB"),
        ("ok", {"value": "v", "unknown": 1}, "unknown"),
        ("ok", {}, "value"),
    ],
)
def test_invalid_names_and_values_are_422(
    admin: httpx.Client, name: str, body: dict[str, object], detail: str
) -> None:
    assert_problem(admin.put(f"/api/me/secrets/{name}", json=body), 422, detail)


def test_the_largest_value_is_accepted(admin: httpx.Client) -> None:
    value = "x" * (64 * 1024)
    made = ok(admin.put("/api/admin/secrets/big.one_2-3", json={"value": value}))
    assert made["masked_value"] == "xxx…xxxx"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Provider keys come from the API here, not the environment."""
    return settings.model_copy(update={"openai_api_key": None})


def test_rotation_reencrypts_everything_and_a_restarted_server_keeps_working(
    settings: Settings,
    db_url: str,
    llm: FakeOpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    provider = {
        "preset": "vllm",
        "base_url": llm.base_url,
        "models": ["fake-model"],
        "api_key": PROVIDER_KEY,
    }
    with run_server(settings) as server, server.client() as anon:
        admin = server.client(login(anon, "admin", "admin-password-1"))
        ok(admin.put("/api/admin/secrets/github", json={"value": ORG_VALUE}))
        ok(admin.put("/api/me/secrets/github", json={"value": USER_VALUE}))
        ok(admin.put("/api/admin/providers/my-vllm", json=provider))
        admin.close()

    keys = settings.home / "keys"
    old_key = (keys / KEY_FILE).read_bytes()
    monkeypatch.setenv("NEXORA_HOME", str(settings.home))
    monkeypatch.setenv("NEXORA_DB_URL", db_url)
    result = CliRunner().invoke(cli, ["secrets", "rotate-key"])
    assert result.exit_code == 0, result.output
    assert "re-encrypted 2 secrets and 1 provider" in result.output
    assert "restart" in result.output.lower()

    new_key = (keys / KEY_FILE).read_bytes()
    assert new_key != old_key
    (kept,) = old_key_files(keys)
    assert kept.read_bytes() == old_key and stat.S_IMODE(kept.stat().st_mode) == 0o600

    async def stored(session: AsyncSession) -> list[bytes]:
        tokens = list(await session.scalars(select(Secret.ciphertext)))
        tokens += [t for t in await session.scalars(select(ProviderSetting.api_key_encrypted)) if t]
        return tokens

    tokens = query(db_url, stored)
    assert len(tokens) == 3
    assert sorted(SecretBox(new_key).decrypt(t) for t in tokens) == sorted(
        [ORG_VALUE, USER_VALUE, PROVIDER_KEY]
    )
    for token in tokens:
        with pytest.raises(ValueError, match="cannot be decrypted"):
            SecretBox(old_key).decrypt(token)

    with run_server(settings) as server, server.client() as anon:
        admin = server.client(login(anon, "admin", "admin-password-1"))
        listed = ok(admin.get("/api/admin/secrets"))
        assert UNREADABLE not in {s["masked_value"] for s in listed}
        assert {s["masked_value"] for s in listed} == {"org…cdef", "ana…cdef"}
        assert ok(admin.get("/api/admin/providers/my-vllm"))["api_key_masked"] == "sk-…cdef"
        llm.reply_text("OK")
        assert ok(admin.post("/api/admin/providers/my-vllm/test"))["ok"] is True
        assert llm.chat_requests[-1].headers["authorization"] == f"Bearer {PROVIDER_KEY}"
        admin.close()


def test_cli_sets_lists_and_deletes_secrets(
    settings: Settings, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEXORA_HOME", str(settings.home))
    monkeypatch.setenv("NEXORA_DB_URL", db_url)
    monkeypatch.setenv("NEXORA_ADMIN_PASSWORD", "admin-password-1")
    runner = CliRunner()
    made = runner.invoke(
        cli, ["secrets", "set", "deploy-key", "--description", "deploys"], input=ORG_VALUE + "\n"
    )
    assert made.exit_code == 0, made.output
    assert "created deploy-key (org)" in made.output
    personal = runner.invoke(
        cli, ["secrets", "set", "deploy-key", "--user", "admin"], input=USER_VALUE
    )
    assert personal.exit_code == 0 and "(user)" in personal.output, personal.output

    listed = runner.invoke(cli, ["secrets", "list"])
    assert listed.exit_code == 0, listed.output
    assert "org…cdef" in listed.output and "ana…cdef" in listed.output
    assert ORG_VALUE not in listed.output and USER_VALUE not in listed.output

    box = SecretBox.from_keys_dir(settings.home / "keys")
    assert sorted(box.decrypt(r.ciphertext) for r in _rows(db_url)) == sorted(
        [ORG_VALUE, USER_VALUE]
    )

    bad = runner.invoke(cli, ["secrets", "set", "bad name"], input="x")
    assert bad.exit_code == 1 and "name" in bad.output
    nobody = runner.invoke(cli, ["secrets", "set", "k", "--user", "nobody"], input="x")
    assert nobody.exit_code == 1 and "not found" in nobody.output
    assert runner.invoke(cli, ["secrets", "delete", "deploy-key"]).exit_code == 0
    assert [r.user_id is not None for r in _rows(db_url)] == [True]
    missing = runner.invoke(cli, ["secrets", "delete", "deploy-key"])
    assert missing.exit_code == 1 and "not found" in missing.output
