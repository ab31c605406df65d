"""A run's trace: the run, its checkpointed steps and its events, as one JSON document."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from nexora.errors import NotFound
from nexora.runtime.service import stored_events
from nexora.storage.db import Database
from nexora.storage.models import Run, RunStep

# Lease bookkeeping says which worker held the run, not what the run did.
_INTERNAL_COLUMNS = frozenset({"lease_owner", "lease_epoch", "lease_expires_at"})
MAX_EVENTS = 100_000


async def load_run_trace(db: Database, org_id: str, run_id: str) -> dict[str, Any]:
    """The trace of `run_id` in `org_id` (a run of another org is not found)."""
    async with db.session() as session:
        run = await session.scalar(select(Run).where(Run.id == run_id, Run.org_id == org_id))
        if run is None:
            raise NotFound("run not found")
        steps = await session.scalars(
            select(RunStep).where(RunStep.run_id == run_id).order_by(RunStep.index)
        )
        events = await stored_events(session, run_id, limit=MAX_EVENTS)
        return {
            "run": {
                column.name: _json_value(getattr(run, column.name))
                for column in Run.__table__.columns
                if column.name not in _INTERNAL_COLUMNS
            },
            "steps": [
                {
                    "index": step.index,
                    "kind": step.kind,
                    "messages": step.messages,
                    "prompt_tokens": step.prompt_tokens,
                    "completion_tokens": step.completion_tokens,
                    "created_at": step.created_at.isoformat(),
                }
                for step in steps
            ],
            "events": [event.as_json() for event in events],
        }


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value
