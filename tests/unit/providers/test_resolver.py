"""Resolving `provider:model` references: org rows, the environment, defaults and caching."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from sqlalchemy import update

from nexora.errors import InvalidInput, ModelNotConfigured
from nexora.providers.detect import LocalDetector, LocalProbe
from nexora.providers.resolver import ModelResolver, parse_ref
from nexora.storage.db import Database
from nexora.storage.models import ProviderSetting
from tests.fakes.openai_server import FakeOpenAIServer
from tests.unit.providers.conftest import CLOSED_PORT_URL, add_provider


def test_ref_splits_on_the_first_colon() -> None:
    assert parse_ref("ollama:qwen2.5:7b") == ("ollama", "qwen2.5:7b")
    for bad in ("gpt-4o", ":model", "openai:"):
        with pytest.raises(InvalidInput):
            parse_ref(bad)


async def test_nothing_configured_fails_at_once_with_how_to(
    db: Database, org_id: str, make_resolver: Callable[..., ModelResolver]
) -> None:
    closed = LocalDetector([LocalProbe("ollama", CLOSED_PORT_URL, "ollama")])
    resolver = make_resolver(detect_local_models=True, detector=closed)
    started = time.monotonic()
    async with db.session() as session:
        with pytest.raises(ModelNotConfigured) as caught:
            await resolver.resolve(session, org_id, None)
    assert time.monotonic() - started < 2
    detail = caught.value.detail
    assert "No model is configured" in detail
    assert "NEXORA_DEFAULT_MODEL=openai:gpt-4o-mini" in detail
    assert "PUT /api/admin/providers/{name}" in detail
    assert "Ollama" in detail


async def test_unknown_provider_names_the_known_ones(
    db: Database, org_id: str, make_resolver: Callable[..., ModelResolver]
) -> None:
    await add_provider(db, org_id, name="my-vllm", base_url="http://10.0.0.5:8000/v1")
    async with db.session() as session:
        with pytest.raises(ModelNotConfigured) as caught:
            await make_resolver().resolve(session, org_id, "nope:model")
    assert "unknown provider 'nope'" in caught.value.detail
    assert "my-vllm" in caught.value.detail and "openai" in caught.value.detail


async def test_a_preset_without_its_key_says_which_variable_to_set(
    db: Database, org_id: str, make_resolver: Callable[..., ModelResolver]
) -> None:
    async with db.session() as session:
        with pytest.raises(ModelNotConfigured, match="OPENAI_API_KEY"):
            await make_resolver().resolve(session, org_id, "openai:gpt-4o-mini")


async def test_disabled_provider_is_not_used(
    db: Database, org_id: str, fake: FakeOpenAIServer, make_resolver: Callable[..., ModelResolver]
) -> None:
    await add_provider(db, org_id, name="local", base_url=fake.base_url, enabled=False)
    async with db.session() as session:
        with pytest.raises(ModelNotConfigured, match="disabled"):
            await make_resolver().resolve(session, org_id, "local:fake-model")


async def test_environment_provider_applies_to_every_org(
    db: Database, org_id: str, fake: FakeOpenAIServer, make_resolver: Callable[..., ModelResolver]
) -> None:
    resolver = make_resolver(
        openai_api_key="sk-env-key", openai_base_url=fake.base_url, default_model="openai:gpt-x"
    )
    async with db.session() as session:
        resolved = await resolver.resolve(session, org_id, None)
    assert (resolved.ref, resolved.provider, resolved.model_name) == (
        "openai:gpt-x",
        "openai",
        "gpt-x",
    )
    fake.reply_text("from env")
    from pydantic_ai import Agent

    assert (await Agent(resolved.model).run("hi")).output == "from env"
    (sent,) = fake.chat_requests
    assert sent.headers["authorization"] == "Bearer sk-env-key"
    assert sent.json["model"] == "gpt-x"


async def test_detection_finds_the_fake_server_and_its_model_is_the_default(
    db: Database, org_id: str, fake: FakeOpenAIServer, make_resolver: Callable[..., ModelResolver]
) -> None:
    detector = LocalDetector(
        [
            LocalProbe("ollama", CLOSED_PORT_URL, "ollama"),
            LocalProbe("lmstudio", fake.base_url, "openai"),
        ]
    )
    resolver = make_resolver(detect_local_models=True, detector=detector)
    async with db.session() as session:
        resolved = await resolver.resolve(session, org_id, None)
        models = await resolver.list_models(session, org_id)
    assert resolved.ref == "lmstudio:fake-model"
    from pydantic_ai import Agent

    assert (await Agent(resolved.model).run("hi")).output == "ok"
    assert [(m.id, m.source, m.is_default) for m in models] == [
        ("lmstudio:fake-model", "local", True),
        ("lmstudio:other-model", "local", False),
    ]
    probes = [r for r in fake.requests if r.path == "/v1/models"]
    assert len(probes) == 1  # the detection result is cached


async def test_ollama_detection_reads_api_tags(fake: FakeOpenAIServer) -> None:
    found = await LocalDetector([LocalProbe("ollama", fake.base_url, "ollama")]).first()
    assert found is not None
    assert (found.preset, found.base_url, found.models) == (
        "ollama",
        fake.base_url,
        ("fake-model", "other-model"),
    )
    assert fake.requests[-1].path == "/api/tags"


async def test_list_models_merges_org_env_and_marks_the_default(
    db: Database, org_id: str, make_resolver: Callable[..., ModelResolver]
) -> None:
    await add_provider(db, org_id, name="team", base_url="http://10.0.0.5/v1", models=["m1", "m2"])
    await add_provider(db, org_id, name="off", enabled=False, models=["hidden"])
    resolver = make_resolver(deepseek_api_key="sk-ds", default_model="team:m2")
    async with db.session() as session:
        models = await resolver.list_models(session, org_id)
    listed = {m.id: (m.source, m.is_default) for m in models}
    assert listed["team:m1"] == ("org", False)
    assert listed["team:m2"] == ("org", True)
    assert listed["deepseek:deepseek-chat"] == ("env", False)
    assert "off:hidden" not in listed


async def test_proxy_and_timeout_reach_the_http_client_and_sdk_retries_are_off(
    db: Database, org_id: str, make_resolver: Callable[..., ModelResolver]
) -> None:
    await add_provider(
        db,
        org_id,
        name="corp",
        preset="openai",
        base_url="https://llm.corp.example/v1",
        api_key_encrypted=None,
        proxy_url="http://proxy.corp.example:3128",
        timeout_seconds=7.0,
    )
    resolver = make_resolver(openai_api_key="sk-env")
    async with db.session() as session:
        resolved = await resolver.resolve(session, org_id, "corp:gpt-4o")
        config = await resolver.provider_config(session, org_id, "corp")
    client = resolver.http_client(org_id, config)
    assert (client.timeout.read, client.timeout.connect) == (7.0, 7.0)
    (transport,) = client._mounts.values()
    proxy_url = transport._pool._proxy_url  # type: ignore[union-attr]
    assert (proxy_url.host, proxy_url.port) == (b"proxy.corp.example", 3128)
    sdk = resolved.model.wrapped.client  # type: ignore[attr-defined]
    assert sdk.max_retries == 0
    assert sdk._client is client
    assert str(sdk.base_url) == "https://llm.corp.example/v1/"


async def test_models_are_cached_until_the_settings_change(
    db: Database, org_id: str, fake: FakeOpenAIServer, make_resolver: Callable[..., ModelResolver]
) -> None:
    await add_provider(db, org_id, name="local", base_url=fake.base_url)
    resolver = make_resolver()
    async with db.session() as session:
        first = (await resolver.resolve(session, org_id, "local:fake-model")).model
        again = (await resolver.resolve(session, org_id, "local:fake-model")).model
        assert first is again
        await session.execute(update(ProviderSetting).values(timeout_seconds=5.0))
        await session.commit()
        changed = (await resolver.resolve(session, org_id, "local:fake-model")).model
        assert changed is not first
        resolver.invalidate(org_id, "local")
        rebuilt = (await resolver.resolve(session, org_id, "local:fake-model")).model
        assert rebuilt is not changed


async def test_check_reports_reachable_and_unreachable_providers(
    db: Database, org_id: str, fake: FakeOpenAIServer, make_resolver: Callable[..., ModelResolver]
) -> None:
    await add_provider(db, org_id, name="up", base_url=fake.base_url)
    await add_provider(db, org_id, name="down", base_url=CLOSED_PORT_URL)
    await add_provider(db, org_id, name="keyless", preset="anthropic")
    async with db.session() as session:
        statuses = {s.name: s for s in await make_resolver().check(session, org_id)}
    assert statuses["up"].configured and statuses["up"].reachable
    assert statuses["down"].configured and not statuses["down"].reachable
    assert not statuses["keyless"].configured
    assert "ANTHROPIC_API_KEY" in statuses["keyless"].detail
