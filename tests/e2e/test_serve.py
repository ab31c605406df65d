"""`nexora serve` as users start it: a real process on a loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.api import auth, login, ok


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(url: str, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/readyz", timeout=0.5).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("server did not become ready")


@pytest.mark.slow
def test_serve_with_embedded_defaults(tmp_path: Path, db_url: str) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "NEXORA_HOME": str(tmp_path / "home"),
        "NEXORA_DB_URL": db_url,
        "NEXORA_ADMIN_PASSWORD": "password-123",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "nexora", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process)
        with httpx.Client(base_url=url) as client:
            token = login(client, "admin", "password-123")
            ok(client.post("/api/agents", json={"name": "a"}, headers=auth(token)), 201)
            assert len(ok(client.get("/api/agents", headers=auth(token)))) == 1
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    # uvicorn re-raises the signal once it has shut down gracefully.
    assert process.returncode in (0, -signal.SIGTERM), stderr.decode()[-2000:]
    assert b"Application shutdown complete" in stderr
    assert (tmp_path / "home" / "agents").is_dir()
