"""Starting a Nexora server the way a user does, and filling it with agents over its API."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from _proc import Reaper, Spawned, clean_env, free_port, wait_for_200

ADMIN_PASSWORD = "bench-admin-password-1"
START_TIMEOUT = 120.0

_ROLES = [
    ("release manager", "cut releases, write changelogs and chase blocking issues"),
    ("support triager", "read incoming tickets, label them and draft first answers"),
    ("data analyst", "answer questions from the warehouse with SQL and short charts"),
    ("on-call helper", "summarise alerts, find the runbook and propose the next step"),
    ("technical writer", "turn engineering notes into user documentation"),
    ("recruiting coordinator", "schedule interviews and keep candidates informed"),
    ("security reviewer", "review pull requests for secrets, injection and unsafe defaults"),
    ("finance assistant", "reconcile invoices against purchase orders and flag gaps"),
]


def persona(index: int) -> str:
    """A realistic 1-2 KB SOUL-style persona, different for every agent."""
    role, duty = _ROLES[index % len(_ROLES)]
    return f"""# Agent {index:04d}: {role}

You are the team's {role}. Your job is to {duty}.

## How you work
- Start by restating the request in one sentence, then list what you need to know.
- Prefer the team's own sources: the wiki, the tracker, the shared drive. Quote them with links.
- When something is ambiguous, ask one precise question instead of guessing.
- Keep answers short: a summary line, then details as a bulleted list.
- Never invent numbers, names or dates. Say "I don't know" and how to find out.

## Tone
Friendly, direct and calm. Write for a busy colleague who reads on a phone between meetings.
Use plain English; avoid jargon unless the person used it first.

## Boundaries
- Do not send messages outside the team without an explicit confirmation.
- Do not change production systems; propose the change and who should approve it.
- Treat personal data as confidential: mention it only to people who already have access.

## Daily routine
1. At 09:00, read what changed since yesterday and post a five-line digest.
2. During the day, answer questions in the team channel within the hour.
3. At 17:00, list open items with an owner and a next step for each.

## Memory
Remember decisions, owners and deadlines. Forget small talk. When a decision is reversed,
record the new decision and the reason, and keep the old one as history.
"""


@dataclass
class NexoraServer:
    proc: Spawned
    port: int
    home: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def spawn(reaper: Reaper, home: Path, log: Path) -> NexoraServer:
    """Starts `uvicorn --factory nexora.api.app:create_app` on a free loopback port."""
    port = free_port()
    env = clean_env(NEXORA_HOME=str(home), NEXORA_ADMIN_PASSWORD=ADMIN_PASSWORD)
    cmd = [
        sys.executable, "-m", "uvicorn", "--factory", "nexora.api.app:create_app",
        "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    return NexoraServer(reaper.spawn("nexora", cmd, env=env, log=log), port, home)


@dataclass(frozen=True)
class StartTimes:
    healthz: float
    readyz: float


def wait_started(server: NexoraServer) -> StartTimes:
    """Seconds from spawn to the first 200 on /healthz, then on /readyz."""
    healthz = wait_for_200(server.proc, server.port, "/healthz", START_TIMEOUT)
    readyz = wait_for_200(server.proc, server.port, "/readyz", START_TIMEOUT)
    return StartTimes(healthz, readyz)


def login(client: httpx.Client) -> str:
    response = client.post(
        "/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def client_for(server: NexoraServer) -> httpx.Client:
    return httpx.Client(base_url=server.base, timeout=30.0)


def exercise(server: NexoraServer) -> None:
    """A few ordinary requests, so idle memory is measured after the code paths were used."""
    with client_for(server) as client:
        headers = {"Authorization": f"Bearer {login(client)}"}
        for path in ("/api/auth/me", "/api/agents", "/readyz", "/healthz"):
            client.get(path, headers=headers).raise_for_status()
        client.post(
            "/api/agents",
            headers=headers,
            json={"name": f"idle-probe-{time.time_ns()}", "persona": persona(0)},
        ).raise_for_status()
        client.get("/api/agents", headers=headers).raise_for_status()


def create_agents(server: NexoraServer, count: int, timeout: float = 600.0) -> float:
    """Creates agents `agent-0001`..`agent-NNNN` one request at a time; returns seconds taken."""
    deadline = time.perf_counter() + timeout
    started = time.perf_counter()
    with client_for(server) as client:
        headers = {"Authorization": f"Bearer {login(client)}"}
        for i in range(1, count + 1):
            if time.perf_counter() > deadline:
                raise TimeoutError(f"created only {i - 1} of {count} agents in {timeout:.0f} s")
            body = {"name": f"agent-{i:04d}", "persona": persona(i)}
            response = client.post("/api/agents", headers=headers, json=body)
            if response.status_code != 201:
                raise RuntimeError(f"POST /api/agents: {response.status_code} {response.text}")
    return time.perf_counter() - started
