"""`list_files`: what is in a folder of the workspace."""

from __future__ import annotations

import asyncio

from pydantic import BaseModel, ConfigDict, Field

from nexora.security.verdict import Danger, GuardResult
from nexora.tools.base import ToolContext, ToolError, ToolSpec
from nexora.tools.builtin._files import walk

MAX_ENTRIES = 1000


class ListFilesInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(
        default=".", max_length=4096, description="Folder to list, relative to the workspace."
    )
    pattern: str | None = Field(
        default=None,
        max_length=200,
        description="Only names matching this glob, e.g. '*.py' (matched against the name).",
    )
    depth: int = Field(default=2, ge=1, le=20, description="How many folder levels to descend.")
    include_hidden: bool = Field(default=False, description="Also list names starting with '.'.")
    limit: int = Field(default=200, ge=1, le=MAX_ENTRIES, description="At most this many entries.")


def _list(args: ListFilesInput, context: ToolContext) -> str:
    start = context.files.resolve(args.path)
    if not start.is_dir():
        raise ToolError(f"{args.path}: not a folder")
    lines: list[str] = []
    entries = walk(
        context.files,
        start,
        max_depth=args.depth,
        name_glob=args.pattern,
        include_hidden=args.include_hidden,
    )
    for entry in entries:
        if len(lines) == args.limit:
            lines.append(f"[stopped at {args.limit} entries; narrow path or pattern]")
            break
        if entry.is_dir:
            lines.append(f"{entry.shown}/")
        else:
            lines.append(f"{entry.shown}  ({entry.path.stat().st_size} bytes)")
    return "\n".join(lines) if lines else f"Nothing found in {args.path}."


async def run(args: ListFilesInput, context: ToolContext) -> str:
    return await asyncio.to_thread(_list, args, context)


def assess(args: ListFilesInput, context: ToolContext) -> GuardResult:
    return context.files.check(args.path)


SPEC = ToolSpec(
    name="list_files",
    description=(
        "List files and folders in the workspace (folders end with '/'), with sizes; "
        "optionally only names matching a glob, down to a given depth."
    ),
    input_model=ListFilesInput,
    danger=Danger.SAFE,
    run=run,
    assess=assess,
)
