"""`ask_agent`: hand a sub-task to another agent and get its answer back.

The runtime puts the run's delegator in `ToolContext.extra[DELEGATION_KEY]`; it decides
whether the target may be asked (the calling agent's `delegate_to`, the user's grants, depth
and fan-out limits) and runs the target as a child run of this one.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from nexora.security.verdict import Danger
from nexora.tools.base import ToolContext, ToolSpec

DELEGATION_KEY = "delegation"


class Delegator(Protocol):
    async def ask(self, agent: str, task: str, context: ToolContext) -> str: ...


class AskAgentInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent: str = Field(min_length=1, max_length=100, description="The other agent's name (or id).")
    task: str = Field(
        min_length=1,
        max_length=50_000,
        description="The sub-task, complete in itself: the other agent sees nothing else.",
    )


async def run(args: AskAgentInput, context: ToolContext) -> str:
    delegator: Delegator | None = context.extra.get(DELEGATION_KEY)
    if delegator is None:
        return "Delegation is not available here."
    return await delegator.ask(args.agent, args.task, context)


SPEC = ToolSpec(
    name="ask_agent",
    description=(
        "Ask another agent to do a sub-task and return its answer. Say everything it needs "
        "in `task`. Only agents this agent may delegate to can be asked."
    ),
    input_model=AskAgentInput,
    danger=Danger.MEDIUM,
    run=run,
)
