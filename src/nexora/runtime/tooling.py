"""What one run may call and what its tools work with: the agent's tools (built-in and from
the org's enabled plugins), its skills, its memory and its MCP servers' tools, all behind one
ToolPolicy, plus the ToolContext handed to each call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.agents.pool import ActiveAgent
from nexora.agents.registry import AgentView
from nexora.config.settings import Settings
from nexora.governance.runtime_config import TOOL_RULES_BY_ROLE, get_config
from nexora.storage.db import Database
from nexora.storage.models import Membership, Run
from nexora.tools.base import ToolContext, ToolSpec
from nexora.tools.builtin.schedule_task import SCHEDULER_KEY, TaskScheduler
from nexora.tools.policy import RoleRules
from nexora.tools.registry import ToolRegistry

if TYPE_CHECKING:
    from nexora.mcp.manager import McpManager
    from nexora.memory.service import Memory
    from nexora.plugins.host import PluginHost
    from nexora.skills.catalog import SkillCatalog
    from nexora.tools.toolset import CallReporter, GovernedToolset

# Tools a feature offers to some runs only, whatever their agent's `tools` list says (a
# playbook's stage runs deliver artifacts); asked once per run, an empty list for the rest.
RunTools = Callable[[AsyncSession, Run], Awaitable[list[ToolSpec[Any]]]]


@dataclass(frozen=True, slots=True)
class RunExtras:
    """What a run gets beyond its agent's own configuration: a team member's seat."""

    # A team role's instructions, added to the agent's system prompt.
    instructions: str = ""
    # A team role's tool rules: they narrow the agent's policy and the org's role rules.
    team_rules: RoleRules | None = None
    # The team whose blackboard the run reads (memory search) and writes (`blackboard_write`).
    group_id: str | None = None


@dataclass
class Tooling:
    db: Database
    settings: Settings
    tools: ToolRegistry
    skills: SkillCatalog | None = None
    mcp: McpManager | None = None
    plugins: PluginHost | None = None
    memory: Memory | None = None
    run_tools: list[RunTools] = field(default_factory=list)
    # Makes `schedule_task` work: jobs agents schedule for themselves.
    scheduler: TaskScheduler | None = None

    async def for_run(
        self,
        session: AsyncSession,
        run: Run,
        view: AgentView,
        agent: ActiveAgent,
        reporter: CallReporter,
        extras: RunExtras | None = None,
        *,
        offer_tools: bool = True,
        confirm_all: bool = False,
    ) -> tuple[GovernedToolset, ToolContext]:
        """`offer_tools=False` (a run routed "fast") offers the model no tool at all, while
        the agent keeps its memory in the prompt; `confirm_all` (a "/confirm" run) makes every
        call that would run wait for the caller's confirmation."""
        from pydantic_ai.toolsets import CombinedToolset

        from nexora.memory.run_memory import MEMORY_KEY, load_run_memory
        from nexora.memory.tools import MEMORY_TOOL_NAMES, MEMORY_TOOLS
        from nexora.security.file_guard import file_guard_for
        from nexora.skills.tool import LOAD_SKILL, attach_skills, visible_skills
        from nexora.teams.blackboard import BLACKBOARD_KEY, BLACKBOARD_WRITE, Blackboard
        from nexora.teams.role_prompt import ROLE_KEY
        from nexora.tools.toolset import GovernedToolset, SpecToolset
        from nexora.tools.trace import load_run_trace

        skills, specs = [], []
        if offer_tools:
            if self.skills:
                skills = await visible_skills(self.skills, session, run.org_id, view)
            plugins = await self.plugins.tools_for(session, run.org_id) if self.plugins else {}
            specs = self.tools.select(view.config.tools, also=plugins)
        if skills and LOAD_SKILL.name not in view.config.tools:
            specs.append(LOAD_SKILL)
        # An agent with memory gets the memory tools and its core blocks in the prompt; one
        # without gets neither, even when its `tools` list names them.
        remembers = view.config.memory.enabled and self.memory is not None
        specs = [spec for spec in specs if remembers or spec.name not in MEMORY_TOOL_NAMES]
        if remembers and offer_tools:
            named = {spec.name for spec in specs}
            specs += [spec for spec in MEMORY_TOOLS if spec.name not in named]
        extras = extras or RunExtras()
        # Only a team run's members may write to its blackboard.
        board = extras.group_id if self.memory is not None else None
        if board is not None and offer_tools:
            specs.append(BLACKBOARD_WRITE)
        for offer in self.run_tools if offer_tools else ():
            named = {spec.name for spec in specs}
            specs += [spec for spec in await offer(session, run) if spec.name not in named]
        nexora = SpecToolset(specs)
        servers = (
            await self.mcp.toolsets_for(run.org_id, run.user_id, view.config)
            if self.mcp is not None and offer_tools
            else []
        )
        toolset = GovernedToolset(
            CombinedToolset([nexora, *servers]),
            nexora=nexora,
            policy=view.config.tool_policy,
            role_rules=await role_rules(session, run),
            reporter=reporter,
            team_rules=extras.team_rules,
            confirm_all=confirm_all,
        )
        context = ToolContext(
            org_id=run.org_id,
            user_id=run.user_id,
            agent_id=run.agent_id,
            run_id=run.id,
            workspace=agent.workspace,
            # Tools may read the skills' folders (scripts, references), never write them.
            files=file_guard_for(
                self.settings, agent.workspace, read_roots=[skill.path for skill in skills]
            ),
            sandbox=view.config.sandbox,
            settings=self.settings,
            allowed_hosts=frozenset(self.settings.web_allowed_hosts),
            load_trace=partial(load_run_trace, self.db, run.org_id, run.id),
            emit=reporter.emit,
        )
        attach_skills(context, skills)
        if self.scheduler is not None:
            context.extra[SCHEDULER_KEY] = self.scheduler
        if extras.instructions:
            context.extra[ROLE_KEY] = extras.instructions
        boards = (board,) if board is not None else ()
        if remembers:
            assert self.memory is not None
            context.extra[MEMORY_KEY] = await load_run_memory(
                self.memory,
                self.db,
                session,
                run,
                view.config.memory.core_block_chars,
                group_ids=boards,
            )
        if board is not None:
            assert self.memory is not None
            context.extra[BLACKBOARD_KEY] = Blackboard(self.db, self.memory, run.org_id, board)
        return toolset, context


async def role_rules(session: AsyncSession, run: Run) -> RoleRules | None:
    """The org's tool rules for the role the run's user holds now."""
    role = await session.scalar(
        select(Membership.role).where(
            Membership.org_id == run.org_id, Membership.user_id == run.user_id
        )
    )
    by_role = await get_config(session, run.org_id, TOOL_RULES_BY_ROLE)
    rules: RoleRules | None = by_role.get(role or "viewer")  # type: ignore[call-overload]
    return rules
