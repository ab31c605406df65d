"""`search_files`: lines of workspace files that match a regular expression or a string."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

from nexora.security.verdict import Danger, GuardResult
from nexora.tools.base import ToolContext, ToolError, ToolSpec
from nexora.tools.builtin._files import Entry, looks_binary, walk

MAX_FILE_BYTES = 2 * 1024 * 1024  # larger files are skipped: logs and dumps, not sources
MAX_LINE_CHARS = 300
MAX_RESULTS = 1000
MAX_FILES = 20_000  # a search is not a crawl of node_modules


class SearchFilesInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pattern: str = Field(
        min_length=1,
        max_length=1000,
        description="A Python regular expression, or plain text when literal is true.",
    )
    literal: bool = Field(default=False, description="Match the pattern as plain text.")
    path: str = Field(
        default=".", max_length=4096, description="Folder (or file) to search, in the workspace."
    )
    glob: str | None = Field(
        default=None, max_length=200, description="Only files whose name matches, e.g. '*.md'."
    )
    case_sensitive: bool = Field(default=True, description="False ignores upper/lower case.")
    max_results: int = Field(
        default=100, ge=1, le=MAX_RESULTS, description="Stop after this many matching lines."
    )


def _compile(args: SearchFilesInput) -> re.Pattern[str]:
    source = re.escape(args.pattern) if args.literal else args.pattern
    try:
        return re.compile(source, 0 if args.case_sensitive else re.IGNORECASE)
    except re.error as exc:
        raise ToolError(f"not a valid regular expression: {exc}; or set literal=true") from None


def _search(args: SearchFilesInput, context: ToolContext) -> str:
    regex = _compile(args)
    start = context.files.resolve(args.path)
    if start.is_file():
        candidates: Iterable[Entry] = [Entry(start, args.path, False)]
    elif start.is_dir():
        candidates = walk(context.files, start, max_depth=64, name_glob=args.glob)
    else:
        raise ToolError(f"{args.path}: no such file or folder")
    hits: list[str] = []
    scanned = 0
    for entry in candidates:
        if entry.is_dir or entry.path.stat().st_size > MAX_FILE_BYTES:
            continue
        scanned += 1
        if scanned > MAX_FILES:
            hits.append(f"[stopped after {MAX_FILES} files; narrow path or glob]")
            break
        data = entry.path.read_bytes()
        if looks_binary(data):
            continue
        text = data.decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if regex.search(line):
                hits.append(f"{entry.shown}:{number}: {line.strip()[:MAX_LINE_CHARS]}")
                if len(hits) == args.max_results:
                    hits.append(f"[stopped at {args.max_results} matches]")
                    return "\n".join(hits)
    return "\n".join(hits) if hits else "No matches."


async def run(args: SearchFilesInput, context: ToolContext) -> str:
    return await asyncio.to_thread(_search, args, context)


def assess(args: SearchFilesInput, context: ToolContext) -> GuardResult:
    return context.files.check(args.path)


SPEC = ToolSpec(
    name="search_files",
    description=(
        "Search the text files of the workspace for a regular expression (or plain text with "
        "literal=true); returns 'path:line: text' for each matching line."
    ),
    input_model=SearchFilesInput,
    danger=Danger.SAFE,
    run=run,
    assess=assess,
)
