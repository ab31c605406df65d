"""What a stage's agent is given: a bounded hand-off, never the earlier stages' chat histories.

The hand-off is a context snapshot (objective, inputs), a checkpoint per earlier stage (its
summary) and artifact references (kind, key@version, one-line summary) that the agent opens
with `read_artifact` only when it needs one. Each stage execution also records what passing
the full history would have cost: every earlier stage run's stored messages (its prompt,
tool calls with their arguments, tool results, answers), so the saving is measured, not assumed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.memory.tokens import estimate_tokens, message_tokens
from nexora.runtime.history import load_messages
from nexora.storage.models import PlaybookRun, RunStep, StageExecution
from nexora.teams.playbooks.definition import PlaybookDef, StageDef

# Stage outcomes whose work later stages build on.
DONE = frozenset({"completed", "approved", "taken_over"})


@dataclass(frozen=True, slots=True)
class Handoff:
    text: str
    handoff_tokens: int
    full_history_tokens: int


def ref_line(ref: dict[str, Any]) -> str:
    summary = f": {ref['summary']}" if ref.get("summary") else ""
    return f"- [{ref['kind']}] {ref['key']}@{ref['version']}{summary}"


def _head(definition: PlaybookDef, run: PlaybookRun, stage: StageDef, attempt: int) -> str:
    position = f"{definition.index_of(stage.name) + 1} of {len(definition.stages)}"
    lines = [
        f"# Playbook {definition.name!r}: stage {stage.name!r} ({position}), attempt {attempt}",
        "",
        "## Objective",
        run.objective.strip(),
    ]
    if run.inputs:
        lines += ["", "## Inputs", json.dumps(run.inputs, ensure_ascii=False, indent=1)]
    return "\n".join(lines)


def _tail(stage: StageDef, note: str | None) -> str:
    lines: list[str] = []
    if note:
        lines += ["## Why this stage runs again", note.strip(), ""]
    lines += ["## Your instructions", stage.instructions.strip() or "(none beyond the objective)"]
    lines += ["", "## What you must deliver"]
    if stage.delivers:
        kinds = ", ".join(stage.delivers)
        lines.append(
            f"Call `deliver_artifact` once for each of these artifact kinds: {kinds}; put the "
            "whole content in `value` and one line about it in `summary`."
        )
    if stage.review is not None:
        lines.append(
            'Call `review_decision` with "approve" or "reject" and your reason; a rejection '
            f"sends the work back to stage {stage.review.on_reject!r}."
        )
    lines.append(
        "Open an earlier artifact with `read_artifact` and its reference when you need its "
        "content. End with a short summary of what you did and decided: it is all the later "
        "stages will see of your work besides your artifacts."
    )
    return "\n".join(lines)


def _earlier_section(done: list[StageExecution]) -> str:
    if not done:
        return ""
    lines = ["## Earlier stages"]
    for execution in done:
        lines.append(f"### {execution.stage} (attempt {execution.attempt}, {execution.status})")
        lines.append((execution.summary or "(no summary)").strip())
        if execution.review:
            lines.append(
                f"Review: {execution.review.get('decision')}: {execution.review.get('reason', '')}"
            )
        lines += [ref_line(ref) for ref in execution.output_refs]
    return "\n".join(lines)


def latest_done_before(executions: list[StageExecution], index: int) -> list[StageExecution]:
    """The last finished execution of each stage below `index`, in stage order."""
    latest: dict[int, StageExecution] = {}
    for execution in executions:
        if execution.stage_index < index and execution.status in DONE:
            latest[execution.stage_index] = execution
    return [latest[i] for i in sorted(latest)]


async def build_handoff(
    session: AsyncSession,
    definition: PlaybookDef,
    run: PlaybookRun,
    stage: StageDef,
    attempt: int,
    executions: list[StageExecution],
    note: str | None,
) -> Handoff:
    """`executions` are all of the run's executions so far, in order."""
    index = definition.index_of(stage.name)
    head = _head(definition, run, stage, attempt)
    tail = _tail(stage, note)
    # The stage's own last finished attempt is included: a rerun revises it.
    earlier = _earlier_section(latest_done_before(executions, index + 1))
    text = "\n\n".join(part for part in (head, earlier, tail) if part)
    full = estimate_tokens(head) + estimate_tokens(tail)
    full += await history_tokens(session, executions)
    return Handoff(text, estimate_tokens(text), full)


async def history_tokens(session: AsyncSession, executions: list[StageExecution]) -> int:
    """Tokens of every earlier execution as a full chat history would carry them: a stage
    run's stored messages; for a stage done by hand, its summary and review."""
    run_ids = [e.run_id for e in executions if e.run_id is not None]
    total = 0
    if run_ids:
        rows = await session.scalars(select(RunStep.messages).where(RunStep.run_id.in_(run_ids)))
        for messages in rows:
            total += message_tokens(load_messages(messages))
    for execution in executions:
        if execution.run_id is None:
            total += estimate_tokens(execution.summary or "")
            total += estimate_tokens(json.dumps(execution.review or {}))
    return total
