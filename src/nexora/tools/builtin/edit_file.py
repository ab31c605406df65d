"""`edit_file`: replace an exact piece of text in a file and show the diff."""

from __future__ import annotations

import asyncio
import difflib

from pydantic import BaseModel, ConfigDict, Field

from nexora.security.verdict import Danger, GuardResult
from nexora.tools.base import ToolContext, ToolError, ToolSpec
from nexora.tools.builtin._files import clip, read_text

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_DIFF_CHARS = 20_000


class EditFileInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(min_length=1, max_length=4096, description="File path, in the workspace.")
    old_string: str = Field(
        min_length=1,
        max_length=200_000,
        description=(
            "The exact text to replace, including whitespace and indentation. It must occur "
            "exactly once unless replace_all is true; include surrounding lines to make it unique."
        ),
    )
    new_string: str = Field(max_length=1_000_000, description="The text to put in its place.")
    replace_all: bool = Field(default=False, description="Replace every occurrence.")


def _edit(args: EditFileInput, context: ToolContext) -> str:
    if args.old_string == args.new_string:
        raise ToolError("old_string and new_string are the same: nothing would change")
    path = context.files.resolve(args.path, write=True)
    before = read_text(path, max_bytes=MAX_FILE_BYTES, shown=args.path)
    found = before.count(args.old_string)
    if found == 0:
        raise ToolError(f"old_string does not occur in {args.path}; read the file and copy it")
    if found > 1 and not args.replace_all:
        raise ToolError(
            f"old_string occurs {found} times in {args.path}; add surrounding lines to make it "
            "unique, or set replace_all"
        )
    after = before.replace(args.old_string, args.new_string)
    path.write_bytes(after.encode("utf-8"))
    diff = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{args.path}",
        tofile=f"b/{args.path}",
    )
    replaced = f"Replaced {found} occurrence{'s' if found > 1 else ''} in {args.path}.\n"
    # A last line without a newline would run into the next diff line; end every line.
    text = "".join(line if line.endswith("\n") else line + "\n" for line in diff)
    return replaced + clip(text, MAX_DIFF_CHARS)


async def run(args: EditFileInput, context: ToolContext) -> str:
    return await asyncio.to_thread(_edit, args, context)


def assess(args: EditFileInput, context: ToolContext) -> GuardResult:
    return context.files.check(args.path, write=True)


SPEC = ToolSpec(
    name="edit_file",
    description=(
        "Change part of a text file: replace an exact string (it must occur once, or set "
        "replace_all). Returns a unified diff of the change."
    ),
    input_model=EditFileInput,
    danger=Danger.LOW,
    run=run,
    assess=assess,
)
