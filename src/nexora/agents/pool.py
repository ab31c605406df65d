"""The active-agent pool (MultiAgentManager): lazy load, LRU bound, idle eviction.

Agent configs stay on disk and in the index until first use, so start-up cost does not grow
with the number of agents; the pool bounds how many are held in memory at once.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nexora.agents.config import AgentFile
from nexora.agents.registry import AgentView
from nexora.periodic import Periodic


@dataclass(slots=True)
class ActiveAgent:
    """An agent ready to run: its configuration and the agent loop built from it."""

    id: str
    org_id: str
    config: AgentFile
    workspace: Path
    version: str
    runner: Any  # pydantic_ai.Agent; typed loosely so importing the pool stays cheap
    last_used: float = field(default_factory=time.monotonic)


def build_active_agent(view: AgentView) -> ActiveAgent:
    from pydantic_ai import Agent, RunContext
    from pydantic_ai.tools import DeferredToolRequests

    from nexora.memory.run_memory import MEMORY_KEY, core_memory_prompt
    from nexora.skills.prompt import skills_prompt
    from nexora.skills.tool import SKILLS_KEY
    from nexora.teams.role_prompt import role_prompt
    from nexora.tools.base import ToolContext

    config = view.config
    # A run that needs a human for a tool call ends its step with `DeferredToolRequests`.
    runner: Agent[ToolContext, str | DeferredToolRequests] = Agent(
        name=config.name,
        instructions=config.persona or None,
        deps_type=ToolContext,
        output_type=[str, DeferredToolRequests],
    )

    @runner.instructions
    def available_skills(context: RunContext[ToolContext]) -> str:
        # Names and descriptions only; the model loads a skill's body when it needs it.
        return skills_prompt(context.deps.extra.get(SKILLS_KEY, []))

    @runner.instructions
    def team_role(context: RunContext[ToolContext]) -> str:
        # A team member's role instructions, present only in its team's runs.
        return role_prompt(context.deps.extra)

    @runner.instructions
    def core_memory(context: RunContext[ToolContext]) -> str:
        # Read at every model request: a block changed by a tool shows at the next step.
        return core_memory_prompt(context.deps.extra.get(MEMORY_KEY))

    view.workspace.mkdir(parents=True, exist_ok=True)
    return ActiveAgent(
        id=config.id,
        org_id=config.org_id,
        config=config,
        workspace=view.workspace,
        version=view.record.config_yaml,
        runner=runner,
    )


@dataclass(frozen=True, slots=True)
class PoolStats:
    active: int
    max_active: int
    idle_ttl_seconds: float
    loads: int
    evictions: int


class AgentPool:
    def __init__(
        self,
        max_active: int,
        idle_ttl_seconds: float,
        builder: Callable[[AgentView], ActiveAgent] = build_active_agent,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_active = max_active
        self.idle_ttl = idle_ttl_seconds
        self._builder = builder
        self._clock = clock
        self._agents: OrderedDict[str, ActiveAgent] = OrderedDict()
        self._loads = 0
        self._evictions = 0
        self._sweeper = Periodic(
            "agent-pool-eviction", max(1.0, min(60.0, idle_ttl_seconds / 4)), self._evict_idle
        )

    def acquire(self, view: AgentView) -> ActiveAgent:
        """The active agent for a visible config, loading or rebuilding it when needed.

        Callers get `view` through the registry, so access checks happened before this.
        """
        agent_id = view.record.id
        active = self._agents.get(agent_id)
        if active is not None and active.version != view.record.config_yaml:
            del self._agents[agent_id]
            active = None
        if active is None:
            active = self._builder(view)
            self._loads += 1
            self._agents[agent_id] = active
            while len(self._agents) > self.max_active:
                self._agents.popitem(last=False)
                self._evictions += 1
        self._agents.move_to_end(agent_id)
        active.last_used = self._clock()
        return active

    def evict(self, agent_id: str) -> None:
        if self._agents.pop(agent_id, None) is not None:
            self._evictions += 1

    def evict_idle(self) -> int:
        cutoff = self._clock() - self.idle_ttl
        idle = [aid for aid, agent in self._agents.items() if agent.last_used <= cutoff]
        for agent_id in idle:
            self.evict(agent_id)
        return len(idle)

    def __contains__(self, agent_id: object) -> bool:
        return agent_id in self._agents

    def __len__(self) -> int:
        return len(self._agents)

    def stats(self) -> PoolStats:
        return PoolStats(
            len(self._agents), self.max_active, self.idle_ttl, self._loads, self._evictions
        )

    def start(self) -> None:
        self._sweeper.start()

    async def stop(self) -> None:
        await self._sweeper.stop()
        self._agents.clear()

    async def _evict_idle(self) -> None:
        self.evict_idle()
