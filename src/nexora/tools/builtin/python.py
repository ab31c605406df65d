"""`python`: a Python program in the agent's workspace, inside the sandbox."""

from __future__ import annotations

import sys

from pydantic import BaseModel, ConfigDict, Field

from nexora.security.python_guard import check_python
from nexora.security.verdict import Danger, GuardResult
from nexora.tools.base import ToolContext, ToolSpec
from nexora.tools.builtin._process import TimeoutSeconds, isolation, run_in_sandbox


class PythonInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(
        min_length=1,
        max_length=200_000,
        description="A Python 3 program; print what you want to see. Runs in the workspace.",
    )
    timeout_seconds: TimeoutSeconds = None


async def run(args: PythonInput, context: ToolContext) -> str:
    # The program comes on stdin ("-"), so nothing is left in the workspace; -s keeps the
    # (workspace) HOME's user site-packages off the path.
    return await run_in_sandbox(
        [sys.executable, "-s", "-"],
        context,
        timeout_seconds=args.timeout_seconds,
        stdin=args.code.encode("utf-8"),
    )


def assess(args: PythonInput, context: ToolContext) -> GuardResult:
    return isolation(context).merge(check_python(args.code, context.files))


SPEC = ToolSpec(
    name="python",
    description=(
        f"Run a Python {sys.version_info.major}.{sys.version_info.minor} program in the "
        "workspace, sandboxed like the shell tool (usually without network, with a timeout). "
        "Returns the exit code, stdout and stderr."
    ),
    input_model=PythonInput,
    danger=Danger.LOW,
    run=run,
    assess=assess,
)
