"""`shell`: a bash command in the agent's workspace, inside the sandbox."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from nexora.security.shell_guard import check_shell
from nexora.security.verdict import Danger, GuardResult
from nexora.tools.base import ToolContext, ToolSpec
from nexora.tools.builtin._process import TimeoutSeconds, isolation, run_in_sandbox


class ShellInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    command: str = Field(
        min_length=1, max_length=20_000, description="A bash command line, run with bash -c."
    )
    timeout_seconds: TimeoutSeconds = None


async def run(args: ShellInput, context: ToolContext) -> str:
    return await run_in_sandbox(
        ["bash", "-c", args.command], context, timeout_seconds=args.timeout_seconds
    )


def assess(args: ShellInput, context: ToolContext) -> GuardResult:
    return isolation(context).merge(check_shell(args.command, context.files))


SPEC = ToolSpec(
    name="shell",
    description=(
        "Run a bash command in the workspace (the current directory and HOME), sandboxed: "
        "usually without network, with a timeout after which it and everything it started "
        "are killed. Returns the exit code, stdout and stderr."
    ),
    input_model=ShellInput,
    danger=Danger.LOW,
    run=run,
    assess=assess,
)
