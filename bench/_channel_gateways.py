"""Each system's Telegram channel, set up the way its own documentation tells a user to, with
the Bot API root pointed at the fake and the instant fake model behind the agent.

- Nexora: `python -m nexora serve`; the channel is created over the API
  (`POST /api/channels` with `api_base`), the Telegram user mapped to the admin
  (`POST /api/channels/{id}/identities`).
- QwenPaw: the default agent's `channels.telegram` in `workspaces/default/agent.json`
  (`enabled`, `bot_token`, `base_url`, which python-telegram-bot takes as its base URL).
- OpenClaw: `channels.telegram` in `openclaw.json` (`enabled`, `botToken`, `apiRoot`, DMs
  allowed from the bench user only).

Every answer is one `sendMessage` (live edits off everywhere), so answers can be counted.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any, Protocol

import httpx

import _chat_peers
from _fake_telegram import FakeTelegram
from _nexora import ADMIN_PASSWORD, START_TIMEOUT, login
from _peers import OpenClaw
from _proc import Reaper, Spawned, clean_env, free_port, wait_for_200

USER_ID = 7  # the Telegram user every bench message comes from
POLL_WAIT = 60.0  # seconds a (re)started gateway gets to call getUpdates


class Gateway(Protocol):
    reaper: Reaper
    name: str
    version: str
    proc: Spawned

    def start(self) -> None:
        """A fresh data dir, the model and the Telegram channel configured, polling."""

    def restart(self) -> None:
        """Starts again on the same data dir (after `kill`), until it polls again."""


def kill_now(gateway: Gateway) -> None:
    """SIGKILL the gateway's whole process group at once: no shutdown code runs."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(gateway.proc.pid, signal.SIGKILL)
    gateway.proc.popen.wait(timeout=10)


def wait_polling(fake: FakeTelegram, calls_before: int, proc: Spawned) -> None:
    """Until the gateway calls getUpdates (again, after `calls_before` calls of any method)."""
    deadline = time.monotonic() + POLL_WAIT
    while "getUpdates" not in fake.methods[calls_before:]:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited: {proc.log_tail(8)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{proc.name} never called getUpdates within {POLL_WAIT:.0f} s")
        time.sleep(0.02)


@dataclass
class NexoraGateway:
    reaper: Reaper
    home: Path
    fake: FakeTelegram
    model_url: str
    name: str = "Nexora"
    version: str = field(default_factory=lambda: version("nexora"))

    def _spawn(self) -> None:
        port = free_port()
        env = clean_env(
            NEXORA_HOME=str(self.home),
            NEXORA_ADMIN_PASSWORD=ADMIN_PASSWORD,
            NEXORA_DEFAULT_MODEL="openai:fake-model",
            NEXORA_DETECT_LOCAL_MODELS="false",
            NEXORA_MEMORY_AUTO_EXTRACT="false",
            # The fake Bot API is on loopback, which channels refuse unless allowed.
            NEXORA_WEB_ALLOWED_HOSTS='["127.0.0.1"]',
            OPENAI_BASE_URL=self.model_url,
            OPENAI_API_KEY="x",
        )
        cmd = [sys.executable, "-m", "nexora", "serve", "--host", "127.0.0.1", "--port",
               str(port)]  # fmt: skip
        self.proc = self.reaper.spawn("nexora", cmd, env=env, log=self.home / "server.log")
        self.port = port
        wait_for_200(self.proc, port, "/readyz", START_TIMEOUT)

    def start(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)
        self.home.mkdir(parents=True)
        self._spawn()
        with httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30.0) as client:
            client.headers["Authorization"] = f"Bearer {login(client)}"
            agent = _created(client.post("/api/agents", json={"name": "bench"}))
            config = {
                "bot_token": self.fake.token,
                "mode": "polling",
                "api_base": self.fake.url,
                "stream_edits": False,
            }
            body = {"type": "telegram", "name": "bench-tg", "agent_id": agent["id"],
                    "config": config}  # fmt: skip
            calls = len(self.fake.methods)
            channel = _created(client.post("/api/channels", json=body))
            me = client.get("/api/auth/me").json()["user_id"]
            identity = {"external_id": str(USER_ID), "user_id": me}
            _created(client.post(f"/api/channels/{channel['id']}/identities", json=identity))
        wait_polling(self.fake, calls, self.proc)

    def restart(self) -> None:
        calls = len(self.fake.methods)
        self._spawn()
        wait_polling(self.fake, calls, self.proc)


def _created(response: httpx.Response) -> dict[str, Any]:
    if response.status_code != 201:
        raise RuntimeError(f"{response.request.url.path}: {response.status_code} {response.text}")
    return dict(response.json())


@dataclass
class QwenPawGateway:
    reaper: Reaper
    work: Path
    home: Path
    fake: FakeTelegram
    model_url: str
    name: str = "QwenPaw"
    version: str = ""

    def _enable_telegram(self, home: Path) -> None:
        path = home / ".qwenpaw" / "workspaces" / "default" / "agent.json"
        agent = json.loads(path.read_text(encoding="utf-8"))
        channels = agent.setdefault("channels", {})
        channels["telegram"] = {
            **channels.get("telegram", {}),
            "enabled": True,
            "bot_token": self.fake.token,
            "base_url": self.fake.url,
            "show_typing": False,
            "streaming_enabled": False,
            "dm_policy": "open",
        }
        path.write_text(json.dumps(agent, indent=2), encoding="utf-8")

    def start(self) -> None:
        calls = len(self.fake.methods)
        chat = _chat_peers.qwenpaw(
            self.reaper, self.work, self.model_url, home=self.home,
            before_start=self._enable_telegram,
        )  # fmt: skip
        self.proc, self.version, self.port = chat.proc, chat.installed.version, _port(chat.base)
        wait_polling(self.fake, calls, self.proc)

    def restart(self) -> None:
        from _peers import QwenPaw

        calls = len(self.fake.methods)
        peer = QwenPaw(self.work)
        self.port = free_port()
        self.proc = peer.spawn(self.reaper, self.home, self.port, self.home / "app-2.log")
        wait_for_200(self.proc, self.port, peer.ready_path, _chat_peers.PEER_START_TIMEOUT)
        wait_polling(self.fake, calls, self.proc)


class TelegramOpenClaw(OpenClaw):
    """OpenClaw whose config also turns on its Telegram channel against the fake."""

    def __init__(self, work: Path, model_base_url: str, fake: FakeTelegram) -> None:
        super().__init__(work, model_base_url)
        self.fake = fake

    def config(self, port: int) -> dict[str, object]:
        config = super().config(port)
        config["channels"] = {
            "telegram": {
                "enabled": True,
                "botToken": self.fake.token,
                "apiRoot": self.fake.url,
                "dmPolicy": "allowlist",
                "allowFrom": [str(USER_ID)],
                "streaming": "off",
            }
        }
        return config


@dataclass
class OpenClawGateway:
    reaper: Reaper
    work: Path
    home: Path
    fake: FakeTelegram
    model_url: str
    name: str = "OpenClaw"
    version: str = ""

    def start(self) -> None:
        calls = len(self.fake.methods)
        self.peer = TelegramOpenClaw(self.work, self.model_url, self.fake)
        chat = _chat_peers.openclaw(
            self.reaper, self.work, self.model_url, home=self.home, peer=self.peer
        )
        self.proc, self.version = chat.proc, chat.installed.version
        wait_polling(self.fake, calls, self.proc)

    def restart(self) -> None:
        calls = len(self.fake.methods)
        port = free_port()
        self.proc = self.peer.spawn(self.reaper, self.home, port, self.home / "gateway-2.log")
        wait_for_200(self.proc, port, self.peer.ready_path, _chat_peers.PEER_START_TIMEOUT)
        wait_polling(self.fake, calls, self.proc)


def _port(base: str) -> int:
    return int(base.rsplit(":", 1)[1])
