"""`export_trace`: the current run's steps and events, saved as JSON in the workspace."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from nexora.security.verdict import Danger, GuardResult
from nexora.tools.base import ToolContext, ToolError, ToolSpec


class ExportTraceInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str | None = Field(
        default=None,
        max_length=4096,
        description="Where to save it, relative to the workspace; default traces/<run id>.json.",
    )


def target(args: ExportTraceInput, context: ToolContext) -> str:
    return args.path or f"traces/{context.run_id}.json"


def _save(path_text: str, trace: dict[str, Any], context: ToolContext) -> str:
    path = context.files.resolve(path_text, write=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(trace, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    path.write_bytes(data)
    steps, events = len(trace.get("steps", [])), len(trace.get("events", []))
    return f"Saved run {context.run_id} ({steps} steps, {events} events) to {path_text}."


async def run(args: ExportTraceInput, context: ToolContext) -> str:
    if context.load_trace is None:
        raise ToolError("traces cannot be exported from here (no run store is attached)")
    trace = await context.load_trace()
    return await asyncio.to_thread(_save, target(args, context), trace, context)


def assess(args: ExportTraceInput, context: ToolContext) -> GuardResult:
    return context.files.check(target(args, context), write=True)


SPEC = ToolSpec(
    name="export_trace",
    description=(
        "Save this run's trace (its steps, tool calls and events so far) as a JSON file in "
        "the workspace and return the path."
    ),
    input_model=ExportTraceInput,
    danger=Danger.SAFE,
    run=run,
    assess=assess,
)
