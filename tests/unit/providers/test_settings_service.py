"""Provider settings: admin-only, org-scoped, API keys encrypted at rest and masked."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from nexora.auth.actor import Actor, Role
from nexora.errors import Forbidden, NotFound
from nexora.governance.secrets import SecretBox
from nexora.providers.settings_service import ProviderSettingCreate, ProviderSettingsService
from nexora.storage.db import Database
from nexora.tenancy.orgs import create_org

KEY = "sk-live-0123456789abcdef"


async def test_api_key_is_encrypted_at_rest_and_masked(
    db: Database, admin_actor: Actor, secrets: SecretBox
) -> None:
    service = ProviderSettingsService(secrets)
    body = ProviderSettingCreate(preset="openai", api_key=KEY, models=["gpt-4o-mini"])
    async with db.session() as session:
        view = await service.put(session, admin_actor, "openai", body)
        raw = (
            await session.execute(text("SELECT api_key_encrypted FROM provider_settings"))
        ).scalar_one()
    assert view.api_key_masked == "sk-…cdef" and view.api_key_set
    assert KEY.encode() not in raw
    assert secrets.decrypt(raw) == KEY


async def test_omitted_key_is_kept_and_empty_key_clears_it(
    db: Database, admin_actor: Actor, secrets: SecretBox
) -> None:
    service = ProviderSettingsService(secrets)
    async with db.session() as session:
        await service.put(
            session, admin_actor, "p", ProviderSettingCreate(preset="openai", api_key=KEY)
        )
        kept = await service.put(
            session, admin_actor, "p", ProviderSettingCreate(preset="openai", timeout_seconds=5)
        )
        assert kept.api_key_set and kept.timeout_seconds == 5
        cleared = await service.put(
            session, admin_actor, "p", ProviderSettingCreate(preset="openai", api_key="")
        )
        assert not cleared.api_key_set and cleared.api_key_masked is None


async def test_scoped_to_the_actors_org_and_admins_only(
    db: Database, admin_actor: Actor, secrets: SecretBox
) -> None:
    service = ProviderSettingsService(secrets)
    async with db.session() as session:
        await service.put(session, admin_actor, "mine", ProviderSettingCreate(preset="vllm"))
        other_org = await create_org(session, "other")
        stranger = Actor("u2", "bob", other_org.id, Role.ADMIN, False, "local")
        with pytest.raises(NotFound):
            await service.get(session, stranger, "mine")
        with pytest.raises(NotFound):
            await service.delete(session, stranger, "mine")
        assert await service.list(session, stranger) == []
        operator = Actor("u3", "carol", admin_actor.org_id, Role.OPERATOR, False, "local")
        with pytest.raises(Forbidden):
            await service.list(session, operator)
        await service.delete(session, admin_actor, "mine")
        assert await service.list(session, admin_actor) == []


def test_proxy_password_is_hidden() -> None:
    from nexora.providers.settings_service import redact_url

    assert redact_url("http://user:pw@proxy:3128") == "http://user:****@proxy:3128"
    assert redact_url("http://proxy:3128") == "http://proxy:3128"


@pytest.mark.parametrize(
    "fields",
    [
        {"preset": "nonsense"},
        {"preset": "vllm", "base_url": "ftp://files.example"},
        {"preset": "vllm", "proxy_url": "not a url"},
        {"preset": "vllm", "timeout_seconds": 0},
        {"preset": "vllm", "models": ["x" * 201]},
        {"preset": "vllm", "unknown_field": 1},
    ],
)
def test_invalid_settings_are_rejected(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ProviderSettingCreate.model_validate(fields)
