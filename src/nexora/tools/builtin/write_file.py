"""`write_file`: create or replace a file in the workspace."""

from __future__ import annotations

import asyncio

from pydantic import BaseModel, ConfigDict, Field

from nexora.security.verdict import Danger, GuardResult
from nexora.tools.base import ToolContext, ToolError, ToolSpec

MAX_CONTENT_CHARS = 2_000_000


class WriteFileInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(
        min_length=1,
        max_length=4096,
        description="File path, relative to the workspace; missing folders are created.",
    )
    content: str = Field(
        max_length=MAX_CONTENT_CHARS, description="The whole new content of the file (UTF-8)."
    )


def _write(args: WriteFileInput, context: ToolContext) -> str:
    path = context.files.resolve(args.path, write=True)
    if path.is_dir():
        raise ToolError(f"{args.path} is a directory")
    existed = path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = args.content.encode("utf-8")
    path.write_bytes(data)
    return f"{'Replaced' if existed else 'Created'} {args.path} ({len(data)} bytes)."


async def run(args: WriteFileInput, context: ToolContext) -> str:
    return await asyncio.to_thread(_write, args, context)


def assess(args: WriteFileInput, context: ToolContext) -> GuardResult:
    return context.files.check(args.path, write=True)


SPEC = ToolSpec(
    name="write_file",
    description=(
        "Create a file in the workspace, or replace one's whole content. To change part of an "
        "existing file, use edit_file instead."
    ),
    input_model=WriteFileInput,
    danger=Danger.LOW,
    run=run,
    assess=assess,
)
