"""The sandbox runs real processes, in every mode this machine supports."""

from __future__ import annotations

import asyncio
import io
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from nexora.agents.config import SandboxSettings
from nexora.sandbox import (
    SandboxUnavailable,
    bubblewrap,
    run_sandboxed,
    sandbox_mode,
    sandbox_status,
)
from nexora.sandbox.process import ProcessResult

BWRAP = bubblewrap.probe().usable
needs_bwrap = pytest.mark.skipif(not BWRAP, reason=bubblewrap.probe().detail)
MODES = [
    pytest.param("bubblewrap", marks=needs_bwrap),
    "process",
]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "workspace"
    path.mkdir()
    return path


async def sh(
    command: str,
    workspace: Path,
    mode: str,
    *,
    timeout: float = 10,
    output_limit: int = 100_000,
    network: bool = False,
    env: dict[str, str] | None = None,
    stdin: bytes | None = None,
) -> ProcessResult:
    return await run_sandboxed(
        ["bash", "-c", command],
        cwd=workspace,
        settings=SandboxSettings(mode=mode, network=network),  # type: ignore[arg-type]
        timeout=timeout,
        output_limit=output_limit,
        env=env,
        stdin=stdin,
    )


def sleepers(tag: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        if tag in (proc.info["cmdline"] or []):
            found.append(proc)
    return found


@pytest.mark.parametrize("mode", MODES)
async def test_the_workspace_is_the_writable_home(workspace: Path, mode: str) -> None:
    result = await sh(
        "echo made > out.txt && pwd && echo $HOME && cat", workspace, mode, stdin=b"in"
    )
    assert result.ok and result.mode == mode, result
    assert (workspace / "out.txt").read_text() == "made\n"
    assert result.stdout.splitlines() == [str(workspace), str(workspace), "in"]


@pytest.mark.parametrize("mode", MODES)
async def test_environment_is_scrubbed(
    workspace: Path, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEXORA_JWT_SECRET", "leak-1")
    monkeypatch.setenv("OPENAI_API_KEY", "leak-2")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "leak-3")
    monkeypatch.setenv("SOME_SERVICE_TOKEN", "leak-4")
    monkeypatch.setenv("LC_TIME", "C.UTF-8")
    result = await sh("env", workspace, mode, env={"GITHUB_TOKEN": "leak-5", "GREETING": "hello"})
    assert "leak-" not in result.stdout
    env = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    assert env["HOME"] == str(workspace)
    assert env["GREETING"] == "hello" and env["LC_TIME"] == "C.UTF-8"
    assert "PATH" in env and "TMPDIR" in env


@pytest.mark.parametrize("mode", MODES)
async def test_a_hung_command_is_killed_with_its_children(workspace: Path, mode: str) -> None:
    tag = f"{9000 + hash(mode) % 999}.{time.monotonic_ns() % 1000}"
    started = time.monotonic()
    result = await sh(f"sleep {tag} & setsid sleep {tag} & sleep {tag}", workspace, mode, timeout=1)
    assert result.timed_out and not result.ok
    assert time.monotonic() - started < 4
    assert sleepers(tag) == []


@pytest.mark.parametrize("mode", MODES)
async def test_background_jobs_end_with_the_command(workspace: Path, mode: str) -> None:
    tag = f"{8000 + hash(mode) % 999}.{time.monotonic_ns() % 1000}"
    started = time.monotonic()
    result = await sh(f"sleep {tag} & echo started", workspace, mode, timeout=30)
    assert result.ok and result.stdout == "started\n"
    assert time.monotonic() - started < 5
    assert sleepers(tag) == []


@pytest.mark.parametrize("mode", MODES)
async def test_output_is_capped(workspace: Path, mode: str) -> None:
    result = await sh(
        "head -c 200000 /dev/zero | tr '\\0' a; echo tail >&2", workspace, mode, output_limit=1000
    )
    assert result.ok and result.truncated
    assert result.stdout == "a" * 1000 and result.stderr == "tail\n"


@pytest.mark.parametrize("mode", MODES)
async def test_resource_limits_apply(workspace: Path, mode: str) -> None:
    result = await sh("ulimit -n; ulimit -t", workspace, mode, timeout=7)
    assert result.stdout.split() == ["1024", "12"]


async def test_mode_off_has_no_limits_but_still_scrubs(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "leak")
    result = await sh("ulimit -t; env", workspace, "off")
    assert result.stdout.startswith("unlimited") and "leak" not in result.stdout


@needs_bwrap
async def test_bubblewrap_hides_everything_but_the_system_and_the_workspace(
    tmp_path: Path, workspace: Path
) -> None:
    data_dir = tmp_path / "nexora-home" / "keys"
    data_dir.mkdir(parents=True)
    (data_dir / "secret.key").write_text("key")
    result = await sh(
        f"cat {data_dir}/secret.key; ls {tmp_path}; touch /usr/x /etc/x; "
        f"cat /etc/shadow; ls -A {Path.home()}; echo done",
        workspace,
        "bubblewrap",
    )
    assert "done" in result.stdout and "key" not in result.stdout
    assert "No such file" in result.stderr
    assert result.stderr.count("Read-only file system") == 2
    # Only the workspace's own path exists under the test's tmp dir.
    assert result.stdout.split()[0] == workspace.name
    home_entries = set(result.stdout.split()[1:-1])
    assert not home_entries & {".ssh", ".nexora", ".aws", ".config", ".bash_history"}
    if Path("/etc/shadow").exists():
        assert "root:" not in result.stdout


@pytest.fixture
def listener() -> Iterator[int]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


@needs_bwrap
async def test_bubblewrap_has_no_network_unless_allowed(workspace: Path, listener: int) -> None:
    probe = f"echo > /dev/tcp/127.0.0.1/{listener} && echo connected"
    isolated = await sh(probe, workspace, "bubblewrap")
    assert isolated.stdout == "" and not isolated.ok
    shared = await sh(probe, workspace, "bubblewrap", network=True)
    assert shared.stdout == "connected\n", shared


@needs_bwrap
async def test_python_runs_inside_bubblewrap(workspace: Path) -> None:
    result = await run_sandboxed(
        [sys.executable, "-c", "import sys; print(sys.version_info[:2])"],
        cwd=workspace,
        settings=SandboxSettings(mode="bubblewrap"),
        timeout=10,
        output_limit=1000,
    )
    assert result.stdout.strip() == str(sys.version_info[:2]), result


def test_auto_uses_bubblewrap_exactly_when_it_works() -> None:
    assert sandbox_mode("auto") == ("bubblewrap" if BWRAP else "process")
    assert sandbox_status().mode == sandbox_mode()


async def test_required_bubblewrap_fails_closed(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = bubblewrap.BwrapStatus(False, "bwrap is not installed")
    monkeypatch.setattr(bubblewrap, "probe", lambda: missing)
    assert sandbox_mode("auto") == "process"
    assert "not installed" in sandbox_status().detail
    with pytest.raises(SandboxUnavailable, match="not installed"):
        await sh("true", workspace, "bubblewrap")


@pytest.mark.parametrize("mode", MODES)
async def test_a_cancelled_call_leaves_nothing_running(workspace: Path, mode: str) -> None:
    tag = f"{7000 + hash(mode) % 999}.{time.monotonic_ns() % 1000}"
    call = asyncio.create_task(sh(f"sleep {tag} & sleep {tag}", workspace, mode, timeout=60))
    deadline = time.monotonic() + 10
    while not sleepers(tag) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert not call.done(), call
    call.cancel()
    # Bounded, so that a cancel that is not honoured fails with where the call is stuck.
    await asyncio.wait({call}, timeout=20)
    if not call.done():
        stuck = io.StringIO()
        call.print_stack(file=stuck)
        pytest.fail(f"the cancelled call did not end:\n{stuck.getvalue()}")
    assert call.cancelled()
    assert sleepers(tag) == []
