"""Token usage attribution: to the authenticated user the run executes for, never to input."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from nexora.governance.records import RecordSink
from nexora.storage.base import new_id, utcnow
from nexora.storage.models import TokenUsage


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a piece of work is done for; set once per run by the worker."""

    user_id: str
    org_id: str


current_principal: ContextVar[Principal | None] = ContextVar("current_principal", default=None)


@dataclass(frozen=True, slots=True)
class UsageRecord:
    org_id: str
    user_id: str | None
    agent_id: str | None
    run_id: str | None
    provider: str
    model: str
    prompt_tokens: int
    completion_tokens: int


class UsageRecorder:
    def __init__(self, sink: RecordSink, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self.writer = sink.writer
        self._sink = sink
        sink.register(UsageRecord, self._write)

    def record(
        self,
        *,
        provider: str,
        model: str,
        prompt_tokens: int,
        completion_tokens: int,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> None:
        if not self.enabled:
            return
        principal = current_principal.get()
        if principal is None:
            raise RuntimeError("token usage recorded outside of an authenticated context")
        self._sink.submit(
            UsageRecord(
                org_id=principal.org_id,
                user_id=principal.user_id,
                agent_id=agent_id,
                run_id=run_id,
                provider=provider,
                model=model,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
            )
        )

    @staticmethod
    async def _write(session: AsyncSession, batch: list[UsageRecord]) -> None:
        session.add_all(
            TokenUsage(
                id=new_id(),
                org_id=r.org_id,
                user_id=r.user_id,
                agent_id=r.agent_id,
                run_id=r.run_id,
                provider=r.provider,
                model=r.model,
                prompt_tokens=r.prompt_tokens,
                completion_tokens=r.completion_tokens,
                total_tokens=r.prompt_tokens + r.completion_tokens,
                created_at=utcnow(),
            )
            for r in batch
        )
