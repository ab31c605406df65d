"""A migrated SQLite database with one org, a fake model server, and a resolver factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nexora.auth.actor import Actor, Role
from nexora.config import Settings
from nexora.governance.secrets import SecretBox
from nexora.providers.detect import LocalDetector
from nexora.providers.resilience import BreakerPolicy, RetryPolicy
from nexora.providers.resolver import ModelResolver
from nexora.storage import migrate
from nexora.storage.db import Database
from nexora.storage.models import ProviderSetting
from nexora.tenancy.orgs import create_org
from tests.fakes.openai_server import FakeOpenAIServer


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Sleeps:
    """Records backoff delays instead of waiting them."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture(scope="module")
def fake_module() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(models=["fake-model", "other-model"]) as server:
        yield server


@pytest.fixture
def fake(fake_module: FakeOpenAIServer) -> FakeOpenAIServer:
    """The module's fake server, with its script and request log reset for each test."""
    fake_module.requests.clear()
    fake_module._replies.clear()
    return fake_module


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'nexora.db'}")
    await migrate.upgrade(database)
    yield database
    await database.dispose()


@pytest.fixture
async def org_id(db: Database) -> str:
    async with db.session() as session:
        return (await create_org(session, "acme")).id


@pytest.fixture
def admin_actor(org_id: str) -> Actor:
    return Actor("u1", "alice", org_id, Role.ADMIN, False, "local")


@pytest.fixture
def secrets() -> SecretBox:
    return SecretBox(b"test-key-material")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


CLOSED_PORT_URL = "http://127.0.0.1:9/v1"  # the discard port: nothing listens there


@pytest.fixture
async def make_resolver(
    tmp_path: Path, secrets: SecretBox, clock: FakeClock, sleeps: Sleeps
) -> AsyncIterator[Callable[..., ModelResolver]]:
    made: list[ModelResolver] = []

    def make(
        *,
        detector: LocalDetector | None = None,
        retry: RetryPolicy | None = None,
        breaker: BreakerPolicy | None = None,
        **settings: Any,
    ) -> ModelResolver:
        settings.setdefault("detect_local_models", False)
        resolver = ModelResolver(
            Settings(home=tmp_path / "home", **settings),
            secrets,
            detector=detector or LocalDetector([]),
            retry=retry or RetryPolicy(max_attempts=3),
            breaker=breaker,
            clock=clock,
            sleep=sleeps,
        )
        made.append(resolver)
        return resolver

    yield make
    for resolver in made:
        await resolver.aclose()


async def add_provider(db: Database, org_id: str, **fields: Any) -> None:
    fields.setdefault("preset", "vllm")
    async with db.session() as session:
        session.add(ProviderSetting(org_id=org_id, **fields))
        await session.commit()
