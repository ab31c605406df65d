"""What a Nexora tool is: a typed input, a declared danger level, a guard check and a body.

The runtime wraps every tool the model can call in the same policy: it validates the input,
asks the tool to `assess` the concrete call (the guards may raise the declared danger or
block it), decides allow / approval / block, and only then calls `run`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel

from nexora.security.verdict import Danger, GuardResult

if TYPE_CHECKING:
    from nexora.agents.config import SandboxSettings
    from nexora.config.settings import Settings
    from nexora.security.file_guard import FileGuard

InputT = TypeVar("InputT", bound=BaseModel)


@dataclass(slots=True)
class ToolContext:
    """Who is calling and where: handed to every tool call by the runtime."""

    org_id: str
    user_id: str | None
    agent_id: str
    run_id: str
    workspace: Path
    files: FileGuard
    sandbox: SandboxSettings
    settings: Settings
    # Hosts an admin allowed `web_fetch` to reach although they resolve to private ranges.
    allowed_hosts: frozenset[str] = frozenset()
    extra: dict[str, Any] = field(default_factory=dict)
    # The current run's steps and events, for `export_trace`; the runtime supplies it
    # (see `nexora.tools.trace.load_run_trace`) because tools hold no database session.
    load_trace: Callable[[], Awaitable[dict[str, Any]]] | None = None
    # Adds an event (type, payload) to the run's trace, e.g. `memory.written`; the runtime
    # supplies it, tools outside a run have none.
    emit: Callable[[str, dict[str, Any]], Awaitable[object]] | None = None


class ToolError(Exception):
    """A call that could not do what was asked (no such file, text not found, a timeout):
    the message is what the model reads, so it can try another way."""


@dataclass(frozen=True, slots=True)
class ToolSpec(Generic[InputT]):
    name: str  # stable: agents' `tools` lists and policies name it
    description: str  # what the model reads
    input_model: type[InputT]
    danger: Danger  # the level of an ordinary call; `assess` may raise it
    run: Callable[[InputT, ToolContext], Awaitable[str]]
    assess: Callable[[InputT, ToolContext], GuardResult] | None = None

    def check(self, args: InputT, context: ToolContext) -> GuardResult:
        floor = GuardResult(danger=self.danger)
        if self.assess is None:
            return floor
        return floor.merge(self.assess(args, context))
