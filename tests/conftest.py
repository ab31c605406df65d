"""Fixtures shared by every test: isolated settings, both database backends, a live server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from nexora.config import Settings
from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.api import ADMIN_PASSWORD, login
from tests.support.postgres import fresh_database, postgres_server
from tests.support.server import RunningServer, run_server

# The CLI's tables are as wide as the terminal; tests read them whole, with a terminal or not
# (pytest-xdist's workers have none).
os.environ["COLUMNS"] = "200"

_LEAKY_ENV = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "DASHSCOPE_API_KEY",
    "DEEPSEEK_API_KEY",
    "GOOGLE_API_KEY",
    "GEMINI_API_KEY",
    "MINIMAX_API_KEY",
    "OLLAMA_BASE_URL",
)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's configuration, keys or data dir."""
    for name in list(os.environ):
        if name.startswith("NEXORA_") and name != "NEXORA_TEST_PG_URL":
            monkeypatch.delenv(name)
    for name in _LEAKY_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NEXORA_HOME", str(tmp_path / "env-home"))


@pytest.fixture(scope="session")
def pg_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with postgres_server(tmp_path_factory.mktemp("pg")) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Every storage test runs on both backends."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'nexora.db'}"
        return
    server_url: str = request.getfixturevalue("pg_server_url")
    with fresh_database(server_url) as url:
        yield url


@pytest.fixture
def llm() -> Iterator[FakeOpenAIServer]:
    """The model every test server talks to: a scripted OpenAI-compatible server on loopback."""
    with FakeOpenAIServer() as fake:
        yield fake


@pytest.fixture
def settings(tmp_path: Path, db_url: str, llm: FakeOpenAIServer) -> Settings:
    return Settings(
        home=tmp_path / "home",
        db_url=db_url,
        admin_password=ADMIN_PASSWORD,
        detect_local_models=False,
        default_model="openai:fake-model",
        openai_base_url=llm.base_url,
        openai_api_key="sk-test",
        run_lease_seconds=5,
        records_linger_seconds=0.05,
        # Extraction would take scripted replies meant for runs; its tests turn it on.
        memory_auto_extract=False,
    )


@pytest.fixture
def server(settings: Settings) -> Iterator[RunningServer]:
    with run_server(settings) as running:
        yield running


@pytest.fixture
def anon(server: RunningServer) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


@pytest.fixture
def admin(server: RunningServer, anon: httpx.Client) -> Iterator[httpx.Client]:
    """A client logged in as the bootstrap administrator of the default org."""
    with server.client(login(anon, "admin", ADMIN_PASSWORD)) as client:
        yield client
