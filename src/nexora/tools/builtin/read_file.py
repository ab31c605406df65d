"""`read_file`: lines of a text file in the workspace."""

from __future__ import annotations

import asyncio

from pydantic import BaseModel, ConfigDict, Field

from nexora.security.verdict import Danger, GuardResult
from nexora.tools.base import ToolContext, ToolSpec
from nexora.tools.builtin._files import read_text

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_OUTPUT_CHARS = 100_000


class ReadFileInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(
        min_length=1, max_length=4096, description="File path, relative to the workspace."
    )
    offset: int = Field(default=1, ge=1, description="First line to return, counting from 1.")
    limit: int = Field(default=2000, ge=1, le=10_000, description="How many lines to return.")


def _read(args: ReadFileInput, context: ToolContext) -> str:
    path = context.files.resolve(args.path)
    lines = read_text(path, max_bytes=MAX_FILE_BYTES, shown=args.path).splitlines()
    if not lines:
        return f"{args.path} is empty."
    if args.offset > len(lines):
        return f"{args.path} has {len(lines)} lines; offset {args.offset} is past the end."
    out: list[str] = []
    used = 0
    last = args.offset - 1
    for number in range(args.offset, min(len(lines), args.offset + args.limit - 1) + 1):
        line = f"{number:6}\t{lines[number - 1]}"
        if used + len(line) > MAX_OUTPUT_CHARS and out:
            break
        out.append(line)
        used += len(line) + 1
        last = number
    if last < len(lines):
        out.append(f"[lines {args.offset}-{last} of {len(lines)}; continue with offset={last + 1}]")
    return "\n".join(out)


async def run(args: ReadFileInput, context: ToolContext) -> str:
    return await asyncio.to_thread(_read, args, context)


def assess(args: ReadFileInput, context: ToolContext) -> GuardResult:
    return context.files.check(args.path)


SPEC = ToolSpec(
    name="read_file",
    description=(
        "Read a text file from the workspace. Lines come back numbered (number, tab, text); "
        "the numbers are not part of the file. Use offset and limit to page through long files."
    ),
    input_model=ReadFileInput,
    danger=Danger.SAFE,
    run=run,
    assess=assess,
)
