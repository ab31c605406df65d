"""One short call to a small model for the messages the rules cannot route clearly."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from nexora.runtime.usage import UsageRecorder

if TYPE_CHECKING:
    from nexora.runtime.steps import ModelHandle

ROUTER_INSTRUCTIONS = (
    "You route chat messages for an AI agent workspace. Choose one route:\n"
    "- fast: small talk or a question the model can answer from its own knowledge, no tools;\n"
    "- agent: the work needs tools (files, running code, the web, schedules, calculations) "
    "or several steps;\n"
    "- team: a larger task that needs several roles (design, implement, test, review).\n"
    "Only choose team when the agent has a team. Give a short reason."
)


class RouteAnswer(BaseModel):
    route: Literal["fast", "agent", "team"]
    reason: str = Field(default="", max_length=300)


@dataclass(frozen=True, slots=True)
class ModelRoute:
    route: Literal["fast", "agent", "team"]
    reason: str


async def ask_router(
    model: ModelHandle,
    text: str,
    *,
    has_team: bool,
    seconds: float,
    usage: UsageRecorder,
    agent_id: str,
) -> ModelRoute:
    """The model's route within `seconds`; raises when the model fails or is too slow (the
    caller then keeps the rules' choice)."""
    from pydantic_ai import Agent

    router: Agent[None, RouteAnswer] = Agent(
        model.model, output_type=RouteAnswer, instructions=ROUTER_INSTRUCTIONS, retries=0
    )
    team = "The agent has a team." if has_team else "The agent has no team."
    result = await asyncio.wait_for(router.run(f"{team}\nMessage:\n{text[:4000]}"), timeout=seconds)
    usage.record(
        provider=model.provider,
        model=model.name,
        prompt_tokens=result.usage.input_tokens,
        completion_tokens=result.usage.output_tokens,
        agent_id=agent_id,
        run_id=None,
    )
    answer = result.output
    route = answer.route if has_team or answer.route != "team" else "agent"
    return ModelRoute(route, answer.reason.strip() or "the router model chose it")
