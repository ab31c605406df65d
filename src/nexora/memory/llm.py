"""One model call made on memory's behalf (extraction, summaries), its tokens counted like
any run's: to the user the work is done for, under the agent and run it belongs to."""

from __future__ import annotations

import asyncio
import logging

from nexora.runtime.steps import ModelHandle
from nexora.runtime.usage import UsageRecorder

log = logging.getLogger(__name__)

CALL_TIMEOUT_SECONDS = 120.0


async def ask(
    model: ModelHandle,
    prompt: str,
    usage: UsageRecorder,
    *,
    agent_id: str | None,
    run_id: str | None,
    instructions: str | None = None,
) -> str:
    """The model's text answer; raises when the model cannot be reached or times out."""
    from pydantic_ai import Agent

    agent: Agent[None, str] = Agent(model.model, instructions=instructions)
    result = await asyncio.wait_for(agent.run(prompt), timeout=CALL_TIMEOUT_SECONDS)
    try:
        usage.record(
            provider=model.provider,
            model=model.name,
            prompt_tokens=result.usage.input_tokens,
            completion_tokens=result.usage.output_tokens,
            agent_id=agent_id,
            run_id=run_id,
        )
    except Exception:
        log.exception("token usage of a memory model call not recorded")
    return str(result.output)
