"""Nexora as the runtime benchmark runs it: `python -m nexora serve` against the fake model,
on SQLite by default or on a private PostgreSQL (pgserver) with `--postgres`."""

from __future__ import annotations

import contextlib
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from _nexora import ADMIN_PASSWORD, START_TIMEOUT, NexoraServer, login
from _proc import Reaper, clean_env, free_port, wait_for_200

AGENT_NAME = "bench"


@dataclass(frozen=True)
class NexoraChat:
    """A started server, a logged-in admin's token and the agent the turns talk to."""

    server: NexoraServer
    token: str
    agent_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def start(reaper: Reaper, home: Path, model_base_url: str, db_url: str | None) -> NexoraChat:
    """Starts Nexora on a fresh data dir, logs in as admin and creates the agent `bench`."""
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    port = free_port()
    env = clean_env(
        NEXORA_HOME=str(home),
        NEXORA_ADMIN_PASSWORD=ADMIN_PASSWORD,
        NEXORA_DEFAULT_MODEL="openai:fake-model",
        NEXORA_DETECT_LOCAL_MODELS="false",
        OPENAI_BASE_URL=model_base_url,
        OPENAI_API_KEY="x",
    )
    if db_url:
        env["NEXORA_DB_URL"] = db_url
    cmd = [sys.executable, "-m", "nexora", "serve", "--host", "127.0.0.1", "--port", str(port)]
    proc = reaper.spawn("nexora", cmd, env=env, log=home / "server.log")
    server = NexoraServer(proc, port, home)
    wait_for_200(proc, port, "/readyz", START_TIMEOUT)
    with httpx.Client(base_url=server.base, timeout=30.0) as client:
        token = login(client)
        response = client.post(
            "/api/agents", json={"name": AGENT_NAME}, headers={"Authorization": f"Bearer {token}"}
        )
        if response.status_code != 201:
            raise RuntimeError(f"POST /api/agents: {response.status_code} {response.text}")
        agent_id = str(response.json()["id"])
    return NexoraChat(server, token, agent_id)


@dataclass(frozen=True)
class RunTimes:
    """What `GET /api/runs/{id}` says about one run (server clock, UTC)."""

    run_id: str
    status: str
    step_count: int
    created_at: float  # epoch seconds
    started_at: float | None
    finished_at: float | None


def _epoch(value: str | None) -> float | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:  # the API speaks UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def run_times(chat: NexoraChat, run_ids: list[str]) -> list[RunTimes]:
    """Reads each run back (outside any timed part)."""
    out: list[RunTimes] = []
    with httpx.Client(base_url=chat.server.base, timeout=30.0, headers=chat.headers) as client:
        for run_id in run_ids:
            response = client.get(f"/api/runs/{run_id}")
            response.raise_for_status()
            data = response.json()
            out.append(
                RunTimes(
                    run_id=run_id,
                    status=str(data["status"]),
                    step_count=int(data["step_count"]),
                    created_at=_epoch(data["created_at"]) or 0.0,
                    started_at=_epoch(data["started_at"]),
                    finished_at=_epoch(data["finished_at"]),
                )
            )
    return out


@contextlib.contextmanager
def postgres(workdir: Path) -> Iterator[str]:
    """A private PostgreSQL started by pgserver (stopped afterwards); yields its URL."""
    try:
        import pgserver  # type: ignore[import-untyped]
    except ImportError as exc:
        raise RuntimeError("--postgres needs the pgserver package (pip install pgserver)") from exc
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    server = pgserver.get_server(workdir, cleanup_mode="stop")
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()
