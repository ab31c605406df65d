"""The peers set up for chat turns against the fake model: QwenPaw's console chat and OpenClaw's
OpenAI-compatible endpoint. Installing and starting reuse `_peers`; this module adds the model
configuration and the chat request each one takes."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from _fake_llm import MODEL_ID
from _peers import OPENCLAW_TOKEN, Installed, OpenClaw, PeerUnavailable, QwenPaw
from _proc import ProcError, Reaper, Spawned, clean_env, free_port, wait_for_200
from _turns import Target, openai_line, qwenpaw_line

PEER_START_TIMEOUT = 240.0
QWENPAW_PROVIDER = "benchfake"


@dataclass(frozen=True)
class PeerChat:
    name: str
    installed: Installed
    proc: Spawned
    base: str
    target: Target


def _qwenpaw_env(home: Path) -> dict[str, str]:
    # The same environment `_peers.QwenPaw` starts the app with.
    return clean_env(
        HOME=str(home), QWENPAW_WORKING_DIR=str(home / ".qwenpaw"), QWENPAW_TELEMETRY_DISABLED="1"
    )


def qwenpaw(
    reaper: Reaper,
    work: Path,
    model_base_url: str,
    *,
    home: Path | None = None,
    before_start: Callable[[Path], None] | None = None,
) -> PeerChat:
    """`init --defaults`, a custom provider and model from the CLI, `qwenpaw app`, then the
    provider's key and base URL and the active model through its API. `before_start` may
    edit the data dir in `home` (default: the install's `runtime-home`) before the app starts."""
    peer = QwenPaw(work)
    installed = peer.install(reaper)
    home = home or peer.root / "runtime-home"
    shutil.rmtree(home, ignore_errors=True)
    port = free_port()
    peer.prepare(reaper, home, port)
    cli = [str(peer.bin), "models"]
    steps = [
        [*cli, "add-provider", QWENPAW_PROVIDER, "-n", "Bench fake", "-u", model_base_url],
        [*cli, "add-model", QWENPAW_PROVIDER, "-m", MODEL_ID, "-n", MODEL_ID],
    ]
    try:
        for step in steps:
            reaper.run(
                f"qwenpaw models {step[2]}",
                step,
                env=_qwenpaw_env(home),
                log=home / "models.log",
                cwd=home,
                timeout=120,
            )
    except ProcError as exc:
        raise PeerUnavailable(f"qwenpaw models: {exc}") from exc
    if before_start is not None:
        before_start(home)
    proc = peer.spawn(reaper, home, port, home / "app.log")
    try:
        wait_for_200(proc, port, peer.ready_path, PEER_START_TIMEOUT)
    except ProcError as exc:
        raise PeerUnavailable(str(exc)) from exc
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=60.0) as client:
        config = {"api_key": "x", "base_url": model_base_url, "enabled": True}
        active = {"provider_id": QWENPAW_PROVIDER, "model": MODEL_ID, "scope": "global"}
        for path, body in ((f"/api/models/{QWENPAW_PROVIDER}/config", config),
                           ("/api/models/active", active)):  # fmt: skip
            response = client.put(path, json=body)
            if response.status_code != 200:
                raise PeerUnavailable(f"PUT {path}: {response.status_code} {response.text[:300]}")

    def body(message: str) -> dict[str, Any]:
        # One chat per turn, as Nexora's turns each open a new session.
        session = message.split()[-1]
        return {
            "input": [{"role": "user", "content": [{"type": "text", "text": message}]}],
            "session_id": session,
            "user_id": "bench",
        }

    target = Target("QwenPaw /api/console/chat", "/api/console/chat", body, qwenpaw_line)
    return PeerChat(peer.name, installed, proc, base, target)


def openclaw(
    reaper: Reaper,
    work: Path,
    model_base_url: str,
    *,
    home: Path | None = None,
    peer: OpenClaw | None = None,
) -> PeerChat:
    """The gateway with its `/v1/chat/completions` endpoint on and the fake as its only model;
    `model: "openclaw"` is its default agent, a new session per request. `peer` may be an
    `OpenClaw` whose config adds more (a channel); `home` defaults to `runtime-home`."""
    peer = peer or OpenClaw(work, model_base_url)
    installed = peer.install(reaper)
    home = home or peer.root / "runtime-home"
    shutil.rmtree(home, ignore_errors=True)
    port = free_port()
    peer.prepare(reaper, home, port)
    proc = peer.spawn(reaper, home, port, home / "gateway.log")
    try:
        wait_for_200(proc, port, peer.ready_path, PEER_START_TIMEOUT)
    except ProcError as exc:
        raise PeerUnavailable(str(exc)) from exc

    def body(message: str) -> dict[str, Any]:
        return {
            "model": "openclaw",
            "stream": True,
            "messages": [{"role": "user", "content": message}],
        }

    headers = {"Authorization": f"Bearer {OPENCLAW_TOKEN}"}
    target = Target("OpenClaw /v1/chat/completions", "/v1/chat/completions", body, openai_line,
                    headers)  # fmt: skip
    return PeerChat(peer.name, installed, proc, f"http://127.0.0.1:{port}", target)
