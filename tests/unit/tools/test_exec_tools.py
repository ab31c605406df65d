"""shell and python: guarded up front, run in the sandbox in the workspace."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from nexora.agents.config import SandboxSettings
from nexora.sandbox import sandbox_mode
from nexora.security.verdict import Danger, Verdict
from nexora.tools.base import ToolContext
from nexora.tools.builtin import BUILTIN_TOOLS
from nexora.tools.builtin.python import PythonInput
from nexora.tools.builtin.shell import ShellInput
from tests.unit.tools.conftest import MakeContext

SHELL = BUILTIN_TOOLS["shell"]
PYTHON = BUILTIN_TOOLS["python"]


def _contained(context: ToolContext) -> Danger:
    """Code in bubblewrap without network is low danger; anywhere else, medium."""
    isolated = sandbox_mode(context.sandbox.mode) == "bubblewrap" and not context.sandbox.network
    return Danger.LOW if isolated else Danger.MEDIUM


def test_weaker_sandboxes_raise_the_danger(make_context: MakeContext) -> None:
    from nexora.agents.config import SandboxSettings

    args = ShellInput(command="ls")
    unconfined = make_context(sandbox=SandboxSettings(mode="off"))
    assert SHELL.check(args, unconfined).danger == Danger.MEDIUM
    assert "sandbox.weak" in {r.rule for r in SHELL.check(args, unconfined).reasons}
    networked = make_context(sandbox=SandboxSettings(mode="process", network=True))
    assert SHELL.check(args, networked).danger == Danger.MEDIUM


async def test_shell_runs_in_the_workspace(workspace: Path, context: ToolContext) -> None:
    args = ShellInput(command="pwd; echo made > made.txt; echo oops >&2; exit 3")
    assert SHELL.check(args, context).danger == _contained(context)
    out = await SHELL.run(args, context)
    assert out.splitlines()[0].startswith("Exit code 3 (")
    assert f"stdout:\n{workspace}" in out and "stderr:\noops" in out
    assert (workspace / "made.txt").read_text() == "made\n"


def test_shell_assessment_comes_from_the_shell_guard(context: ToolContext) -> None:
    assert SHELL.check(ShellInput(command="ls -la"), context).allowed
    wipe = SHELL.check(ShellInput(command="rm -rf /"), context)
    assert wipe.verdict is Verdict.BLOCK
    secrets = SHELL.check(ShellInput(command="cat ~/.ssh/id_rsa"), context)
    assert secrets.verdict is Verdict.BLOCK


async def test_shell_is_killed_at_the_agents_timeout(make_context: MakeContext) -> None:
    context = make_context(sandbox=SandboxSettings(timeout_seconds=1))
    started = time.monotonic()
    # Asking for longer than the agent allows is capped to the agent's timeout.
    out = await SHELL.run(ShellInput(command="sleep 30", timeout_seconds=30), context)
    assert out.startswith("Killed after the 1 s timeout")
    assert time.monotonic() - started < 5


async def test_shell_output_is_capped(context: ToolContext) -> None:
    out = await SHELL.run(ShellInput(command="yes | head -c 200000"), context)
    assert out.endswith("[output cut at 50000 bytes per stream]")
    assert len(out) < 60_000


async def test_shell_sees_no_secrets(context: ToolContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-leak")
    out = await SHELL.run(ShellInput(command="env"), context)
    assert "sk-ant-leak" not in out and "HOME=" in out


async def test_python_runs_code_from_stdin(workspace: Path, context: ToolContext) -> None:
    code = "import os\nprint(os.getcwd())\nopen('result.txt', 'w').write('42')\n"
    out = await PYTHON.run(PythonInput(code=code), context)
    assert out.startswith("Exit code 0") and str(workspace) in out
    assert (workspace / "result.txt").read_text() == "42"
    assert sorted(p.name for p in workspace.iterdir()) == ["result.txt"]  # no script left


async def test_python_reports_tracebacks(context: ToolContext) -> None:
    out = await PYTHON.run(PythonInput(code="1/0"), context)
    assert out.startswith("Exit code 1") and "ZeroDivisionError" in out


def test_python_assessment_comes_from_the_python_guard(context: ToolContext) -> None:
    assert PYTHON.check(PythonInput(code="print(2 + 2)"), context).danger == _contained(context)
    risky = PYTHON.check(PythonInput(code="import os\nos.system('rm -rf /')"), context)
    assert risky.danger > Danger.MEDIUM or not risky.allowed


@pytest.mark.skipif(sandbox_mode() != "bubblewrap", reason="bubblewrap is not usable here")
async def test_python_has_no_network_in_bubblewrap(context: ToolContext) -> None:
    code = (
        "import socket\n"
        "try:\n"
        "    socket.create_connection(('1.1.1.1', 53), timeout=2)\n"
        "    print('online')\n"
        "except OSError as exc:\n"
        "    print('offline', type(exc).__name__)\n"
    )
    out = await PYTHON.run(PythonInput(code=code), context)
    assert "offline" in out
