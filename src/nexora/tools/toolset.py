"""The toolsets an agent run gets: Nexora's tools, and one policy wrapped around all tools.

`SpecToolset` offers `ToolSpec`s to the model. `GovernedToolset` wraps every toolset of a run
(built-in, plugin and MCP tools alike) and puts each call through the guards and ToolPolicy
before anything executes: refused calls return the reasons to the model, calls that need a
human raise pydantic-ai's `ApprovalRequired`, which ends the run step as deferred.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, cast

from pydantic import BaseModel, TypeAdapter
from pydantic_ai import RunContext
from pydantic_ai.exceptions import ApprovalRequired
from pydantic_ai.tools import ToolDefinition
from pydantic_ai.toolsets import AbstractToolset, ToolsetTool, WrapperToolset
from pydantic_core import SchemaValidator

from nexora.security.verdict import Danger, GuardResult, Reason, Verdict
from nexora.tools.base import ToolContext, ToolSpec
from nexora.tools.policy import Decision, Outcome, RoleRules, ToolPolicy, decide

# Tools from outside Nexora that declare no danger of their own.
EXTERNAL_DANGER = Danger.MEDIUM
DANGER_KEY = "nexora_danger"  # in a tool definition's metadata
MAX_RETRIES = 2
ASKED_TO_CONFIRM = Reason(
    "route.confirm",
    "the user asked to confirm every tool call of this run (/confirm)",
    Verdict.APPROVAL,
    Danger.SAFE,
)


class SpecToolset(AbstractToolset[ToolContext]):
    def __init__(self, specs: list[ToolSpec[Any]]) -> None:
        self.specs = {spec.name: spec for spec in specs}
        self._validators = {
            spec.name: cast(SchemaValidator, TypeAdapter(spec.input_model).validator)
            for spec in specs
        }

    @property
    def id(self) -> str | None:
        return "nexora"

    async def get_tools(self, ctx: RunContext[ToolContext]) -> dict[str, ToolsetTool[ToolContext]]:
        return {
            name: ToolsetTool(
                toolset=self,
                tool_def=ToolDefinition(
                    name=name,
                    description=spec.description,
                    parameters_json_schema=spec.input_model.model_json_schema(),
                    metadata={DANGER_KEY: spec.danger.label},
                ),
                max_retries=MAX_RETRIES,
                args_validator=self._validators[name],
            )
            for name, spec in self.specs.items()
        }

    def assess(self, name: str, args: BaseModel, context: ToolContext) -> GuardResult:
        return self.specs[name].check(args, context)

    async def call_tool(
        self,
        name: str,
        tool_args: dict[str, Any],
        ctx: RunContext[ToolContext],
        tool: ToolsetTool[ToolContext],
    ) -> Any:
        # The validator is the input model's, so the arguments arrive as that model.
        args: BaseModel = tool_args  # type: ignore[assignment]
        return await self.specs[name].run(args, ctx.deps)


def declared_danger(definition: ToolDefinition) -> Danger | None:
    """The level a toolset put in a tool's definition (MCP tools: their approved spec's)."""
    label = (definition.metadata or {}).get(DANGER_KEY)
    return Danger.parse(label) if isinstance(label, str) else None


class CallReporter(Protocol):
    """Where the governed toolset reports what it decided (run events and audit), and where
    tools add events of their own to the run's trace (`ToolContext.emit`)."""

    async def emit(self, type_: str, payload: dict[str, Any]) -> object: ...

    async def blocked(self, call_id: str, tool: str, decision: Decision) -> None: ...

    def executed(self, call_id: str, tool: str, decision: Decision, approved: bool) -> None: ...


@dataclass
class GovernedToolset(WrapperToolset[ToolContext]):
    nexora: SpecToolset
    policy: ToolPolicy
    role_rules: RoleRules | None
    reporter: CallReporter
    # A team role's rules, applied on top of the org's rules for the user's role.
    team_rules: RoleRules | None = None
    # The caller asked to confirm every call (a chat message sent with `/confirm`).
    confirm_all: bool = False

    def judge(
        self, name: str, args: Any, ctx: RunContext[ToolContext], tool: ToolsetTool[Any]
    ) -> Decision:
        if name in self.nexora.specs:
            guard = self.nexora.assess(name, args, ctx.deps)
        else:
            from nexora.security.tool_args import check_tool_args

            declared = GuardResult(danger=declared_danger(tool.tool_def) or EXTERNAL_DANGER)
            guard = declared.merge(check_tool_args(args, ctx.deps.files))
        decision = decide(name, guard, self.policy, self.role_rules, self.team_rules)
        if self.confirm_all and decision.outcome is Outcome.RUN:
            return Decision(Outcome.CONFIRM, decision.danger, (*decision.reasons, ASKED_TO_CONFIRM))
        return decision

    async def call_tool(
        self,
        name: str,
        tool_args: dict[str, Any],
        ctx: RunContext[ToolContext],
        tool: ToolsetTool[ToolContext],
    ) -> Any:
        decision = self.judge(name, tool_args, ctx, tool)
        call_id = ctx.tool_call_id or ""
        if decision.outcome is Outcome.BLOCK:
            await self.reporter.blocked(call_id, name, decision)
            return refusal(decision)
        # A human's yes covers this call only, and never a call the guards now refuse.
        if decision.needs_human and not ctx.tool_call_approved:
            raise ApprovalRequired(
                {
                    "outcome": decision.outcome.value,
                    "danger": decision.danger.label,
                    "reasons": [r.as_json() for r in decision.reasons],
                }
            )
        result = await super().call_tool(name, tool_args, ctx, tool)
        self.reporter.executed(call_id, name, decision, ctx.tool_call_approved)
        return result


def refusal(decision: Decision) -> str:
    return (
        f"Refused by the tool policy: {decision.summary()}. This call will not run, however it "
        "is phrased; tell the user what you wanted to do, or find a safer way."
    )
