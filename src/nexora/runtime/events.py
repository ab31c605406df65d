"""Run lifecycle states and the typed events a run emits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class RunStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    WAITING_APPROVAL = "waiting_approval"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


TERMINAL = frozenset({RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED})
ACTIVE = frozenset({RunStatus.PENDING, RunStatus.RUNNING, RunStatus.WAITING_APPROVAL})


class EventType(StrEnum):
    # The first event of a routed chat run: {route, reason, by, scores?, confirm?, deep?}.
    ROUTE_CHOSEN = "route.chosen"
    RUN_STARTED = "run.started"
    RUN_RESUMED = "run.resumed"
    RUN_COMPLETED = "run.completed"
    RUN_FAILED = "run.failed"
    RUN_CANCELLED = "run.cancelled"
    STEP_STARTED = "step.started"
    STEP_COMPLETED = "step.completed"
    LLM_CALLED = "llm.called"
    LLM_TOKEN = "llm.token"  # noqa: S105 (an event name)
    TOOL_CALLED = "tool.called"
    TOOL_RESULT = "tool.result"
    TOOL_BLOCKED = "tool.blocked"
    TOOL_REQUIRES_APPROVAL = "tool.requires_approval"
    MEMORY_WRITTEN = "memory.written"
    MEMORY_SEARCHED = "memory.searched"
    MEMORY_COMPACTED = "memory.compacted"  # older turns of the session folded into its summary
    # A team run's messages between its lead and members.
    MESSAGE_TASK = "message.task"
    MESSAGE_STATUS = "message.status"
    MESSAGE_PROPOSAL = "message.proposal"
    MESSAGE_EVIDENCE = "message.evidence"
    MESSAGE_DECISION = "message.decision"
    # A run handed a sub-task to another agent (`ask_agent`); the payload names the child run.
    DELEGATION_STARTED = "delegation.started"
    DELEGATION_FINISHED = "delegation.finished"


TERMINAL_EVENTS = frozenset(
    {EventType.RUN_COMPLETED, EventType.RUN_FAILED, EventType.RUN_CANCELLED}
)


@dataclass(frozen=True, slots=True)
class Event:
    run_id: str
    seq: int
    type: str
    created_at: datetime
    payload: dict[str, Any]

    @property
    def is_terminal(self) -> bool:
        return self.type in TERMINAL_EVENTS

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "seq": self.seq,
            "type": self.type,
            "created_at": self.created_at.isoformat(),
            "payload": self.payload,
        }
