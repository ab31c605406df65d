"""Executes one claimed run step by step, checkpointing after every step.

A step is one model request or one round of tool calls. After each, the messages it added are
stored with the run's events in one fenced transaction. A run resumed by another worker
rebuilds its history from those checkpoints and continues: completed model calls and tool
executions are never repeated. Tool results are checkpointed as the pending request of the
next model step, which is what makes that hold for tools too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic_ai import Agent
from pydantic_ai.messages import (
    FunctionToolCallEvent,
    FunctionToolResultEvent,
    ModelMessage,
    PartDeltaEvent,
    PartStartEvent,
    TextPart,
    TextPartDelta,
)
from pydantic_ai.tools import DeferredToolRequests, DeferredToolResults
from pydantic_ai.usage import UsageLimits
from pydantic_graph import End
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.agents.pool import ActiveAgent
from nexora.errors import NexoraError
from nexora.governance import tool_approvals
from nexora.governance.audit import AuditLog
from nexora.memory.compaction import Compactor
from nexora.runtime.events import EventType
from nexora.runtime.history import (
    context_messages,
    dump_messages,
    load_messages,
    session_history,
    steps_of,
    unanswered_calls,
)
from nexora.runtime.queue import Lease
from nexora.runtime.recorder import EventRecorder
from nexora.runtime.steps import ModelHandle, StepState, Store
from nexora.runtime.usage import Principal, UsageRecorder, current_principal
from nexora.storage.base import new_id, utcnow
from nexora.storage.models import Run, RunStep
from nexora.tools.base import ToolContext
from nexora.tools.policy import Decision

log = logging.getLogger(__name__)

# Asked after each model step of a run that would go on: why the run must stop, or None.
StepGuard = Callable[[Run], Awaitable[str | None]]


class RunStopped(NexoraError):
    """A guard stopped the run between steps; the worker marks it failed with this detail."""

    def __init__(self, detail: str, state: StepState) -> None:
        super().__init__(detail)
        self.state = state  # the steps and tokens so far, for the run's final event


class StepExecutor:
    """Runs the agent loop of one run; the worker owns claiming, cancelling and finishing."""

    def __init__(
        self,
        recorder: EventRecorder,
        usage: UsageRecorder,
        max_steps: int,
        guard: StepGuard | None = None,
        audit: AuditLog | None = None,
        compactor: Compactor | None = None,
    ) -> None:
        self.recorder = recorder
        self.compactor = compactor
        self.usage = usage
        self.max_steps = max_steps
        self.guard = guard
        self.audit = audit
        self.run: Run | None = None
        self.model_ref: str | None = None

    async def execute(
        self,
        run: Run,
        lease: Lease,
        agent: ActiveAgent,
        model: ModelHandle,
        toolset: Any,
        deps: ToolContext,
    ) -> tuple[str | DeferredToolRequests, StepState, Store | None]:
        """Returns the output, the step state, and the last checkpoint still to be stored:
        the caller writes it in the transaction that completes the run (one commit fewer per
        answer; a crash in between repeats only that final model call). The output is
        `DeferredToolRequests` when tool calls wait for a human: the run pauses there."""
        db = self.recorder.db
        history: list[ModelMessage] = context_messages(run.context)
        steps = []
        own: list[ModelMessage] = []
        decisions: DeferredToolResults | None = None
        if run.attempts > 1:  # only a resumed run can have checkpoints
            async with db.session() as session:
                steps = await steps_of(session, run.id)
                for step in steps:
                    own.extend(load_messages(step.messages))
                if waiting := unanswered_calls(history + own) if steps else []:
                    decisions = await tool_approvals.results_for(session, run, waiting)
        resumed = bool(steps) or run.attempts > 1
        await self.recorder.emit(
            EventType.RUN_RESUMED if resumed else EventType.RUN_STARTED,
            {
                "agent_id": run.agent_id,
                "model": f"{model.provider}:{model.name}",
                "attempt": run.attempts,
                "from_step": len(steps),
            },
        )
        self.run = run
        self.model_ref = f"{model.provider}:{model.name}"
        current_principal.set(Principal(run.user_id, run.org_id))
        if run.session_id is not None:
            history += await self._session_history(run, model, agent)
        history += own
        state = StepState(
            index=len(steps),
            prompt_tokens=sum(s.prompt_tokens for s in steps),
            completion_tokens=sum(s.completion_tokens for s in steps),
            checkpointed=len(history),
        )
        runner: Agent[ToolContext, str | DeferredToolRequests] = agent.runner
        prompt = None if steps else run.input
        async with runner.iter(
            prompt,
            message_history=history or None,
            model=model.model,
            deps=deps,
            toolsets=[toolset],
            usage_limits=UsageLimits(request_limit=self.max_steps),
            deferred_tool_results=decisions,
        ) as agent_run:
            previous: Any = None
            deferred_used = (0, 0)
            request_started = 0.0
            usage_before = (0, 0)
            async for node in agent_run:
                if (
                    previous is not None
                    and not Agent.is_user_prompt_node(previous)
                    and not isinstance(node, End)  # the last step is stored with the run's end
                ):
                    pending: list[ModelMessage] = (
                        [node.request] if Agent.is_model_request_node(node) else []
                    )
                    kind = "model" if Agent.is_model_request_node(previous) else "tools"
                    if kind == "model":
                        usage = agent_run.usage
                        used = (
                            usage.input_tokens - usage_before[0],
                            usage.output_tokens - usage_before[1],
                        )
                        usage_before = (usage.input_tokens, usage.output_tokens)
                        await self._model_done(run, model, used, request_started)
                    else:
                        used = (0, 0)
                    final_answer = (
                        Agent.is_call_tools_node(node) and not node.model_response.tool_calls
                    )
                    if final_answer:
                        deferred_used = used
                    else:
                        await self._checkpoint(
                            run, state, kind, agent_run.all_messages() + pending, used
                        )
                    # Only a reply that calls tools leads to another model call; a final
                    # answer is already paid for and is kept.
                    if (
                        self.guard is not None
                        and Agent.is_call_tools_node(node)
                        and node.model_response.tool_calls
                    ):
                        reason = await self.guard(run)
                        if reason is not None:
                            raise RunStopped(reason, state)
                if Agent.is_model_request_node(node):
                    await self.recorder.emit(
                        EventType.STEP_STARTED, {"index": state.index, "kind": "model"}
                    )
                    request_started = time.perf_counter()
                    async with node.stream(agent_run.ctx) as stream:
                        async for event in stream:
                            await self._model_event(event)
                elif Agent.is_call_tools_node(node):
                    await self.recorder.emit(
                        EventType.STEP_STARTED, {"index": state.index, "kind": "tools"}
                    )
                    async with node.stream(agent_run.ctx) as stream:
                        async for event in stream:
                            await self._tool_event(event)
                elif isinstance(node, End):
                    break
                previous = node
            assert agent_run.result is not None
            result = agent_run.result.output
            output = result if isinstance(result, DeferredToolRequests) else str(result)
            final = agent_run.all_messages()
        store = None
        if len(final) > state.checkpointed:
            # A pause stores the results of the calls that did run, with the approvals.
            kind = "tools" if isinstance(output, DeferredToolRequests) else "model"
            store = await self._checkpoint(run, state, kind, final, deferred_used, defer=True)
        return output, state, store

    async def emit(self, type_: str, payload: dict[str, Any]) -> object:
        """An event a tool adds to the run's trace (memory written, memory searched)."""
        return await self.recorder.emit(type_, payload)

    async def _session_history(
        self, run: Run, model: ModelHandle, agent: ActiveAgent
    ) -> list[ModelMessage]:
        """The session's earlier turns, compressed to the model's budget when a compactor is
        configured (an agent without memory drops its oldest turns instead)."""
        if self.compactor is None:
            async with self.recorder.db.session() as session:
                return await session_history(session, run)
        compacted = await self.compactor.history(run, model, summarise=agent.config.memory.enabled)
        if compacted.folded_turns:
            await self.recorder.emit(
                EventType.MEMORY_COMPACTED,
                {
                    "turns": compacted.folded_turns,
                    "tokens": compacted.folded_tokens,
                    "summary_id": compacted.summary_id,
                    "history_tokens": compacted.tokens,
                    "budget": compacted.budget,
                },
            )
        return compacted.messages

    async def blocked(self, call_id: str, tool: str, decision: Decision) -> None:
        """The policy refused a call: the model gets the reasons as the tool's result."""
        reasons = [r.as_json() for r in decision.reasons]
        await self.recorder.emit(
            EventType.TOOL_BLOCKED,
            {
                "tool": tool,
                "call_id": call_id,
                "danger": decision.danger.label,
                "reasons": reasons,
            },
        )
        self._audit_call("tool.blocked", call_id, tool, decision, status="denied")

    def executed(self, call_id: str, tool: str, decision: Decision, approved: bool) -> None:
        self._audit_call("tool.exec", call_id, tool, decision, approved=approved)

    def _audit_call(
        self,
        action: str,
        call_id: str,
        tool: str,
        decision: Decision,
        *,
        status: str = "success",
        approved: bool = False,
    ) -> None:
        if self.audit is None or self.run is None:
            return
        detail: dict[str, Any] = {
            "run_id": self.run.id,
            "agent_id": self.run.agent_id,
            "call_id": call_id,
            "danger": decision.danger.label,
            "rules": [r.rule for r in decision.reasons],
        }
        if approved:
            detail["approved_by_human"] = True
        self.audit.record(
            action,
            actor=None,
            org_id=self.run.org_id,
            actor_id=self.run.user_id,
            resource_type="tool",
            resource_id=tool,
            status=status,
            detail=detail,
        )

    async def _model_event(self, event: object) -> None:
        if isinstance(event, PartStartEvent) and isinstance(event.part, TextPart):
            if event.part.content:
                await self.recorder.emit(EventType.LLM_TOKEN, {"delta": event.part.content})
        elif (
            isinstance(event, PartDeltaEvent)
            and isinstance(event.delta, TextPartDelta)
            and event.delta.content_delta
        ):
            await self.recorder.emit(EventType.LLM_TOKEN, {"delta": event.delta.content_delta})

    async def _tool_event(self, event: object) -> None:
        if isinstance(event, FunctionToolCallEvent):
            await self.recorder.emit(
                EventType.TOOL_CALLED,
                {
                    "tool": event.part.tool_name,
                    "call_id": event.part.tool_call_id,
                    "args": event.part.args_as_dict(),
                },
            )
        elif isinstance(event, FunctionToolResultEvent):
            content = event.part.model_response_str()
            await self.recorder.emit(
                EventType.TOOL_RESULT,
                {
                    "tool": event.part.tool_name,
                    "call_id": event.part.tool_call_id,
                    "content": content[:20_000],
                    "truncated": len(content) > 20_000,
                },
            )

    async def _model_done(
        self, run: Run, model: ModelHandle, used: tuple[int, int], started: float
    ) -> None:
        await self.recorder.emit(
            EventType.LLM_CALLED,
            {
                "provider": model.provider,
                "model": model.name,
                "prompt_tokens": used[0],
                "completion_tokens": used[1],
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        try:
            self.usage.record(
                provider=model.provider,
                model=model.name,
                prompt_tokens=used[0],
                completion_tokens=used[1],
                agent_id=run.agent_id,
                run_id=run.id,
            )
        except Exception:
            log.exception("token usage not recorded for run %s", run.id)

    async def _checkpoint(
        self,
        run: Run,
        state: StepState,
        kind: str,
        full: list[ModelMessage],
        used: tuple[int, int],
        *,
        defer: bool = False,
    ) -> Store | None:
        added = full[state.checkpointed :]
        if not added:
            return None
        model_ref = self.model_ref
        index = state.index
        state.prompt_tokens += used[0]
        state.completion_tokens += used[1]
        totals = (state.prompt_tokens, state.completion_tokens)

        async def store(session: AsyncSession) -> None:
            session.add(
                RunStep(
                    id=new_id(),
                    run_id=run.id,
                    index=index,
                    kind=kind,
                    messages=dump_messages(added),
                    prompt_tokens=used[0],
                    completion_tokens=used[1],
                    created_at=utcnow(),
                )
            )
            await session.execute(
                update(Run)
                .where(Run.id == run.id)
                .values(
                    step_count=index + 1,
                    prompt_tokens=totals[0],
                    completion_tokens=totals[1],
                    model=model_ref,
                )
                .execution_options(synchronize_session=False)
            )

        await self.recorder.emit(EventType.STEP_COMPLETED, {"index": index, "kind": kind})
        state.index += 1
        state.checkpointed = len(full)
        if defer:
            return store
        await self.recorder.flush(also=store)
        return None
