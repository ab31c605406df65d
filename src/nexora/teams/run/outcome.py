"""A completed team run's entry on its team's blackboard: the task, the decision, the key
evidence and who contributed, as one episodic "outcome" item written with the run's end."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from nexora.memory.items import MAX_ITEM_CHARS, NewItem
from nexora.memory.scope import Owner
from nexora.memory.service import Memory
from nexora.runtime.steps import Store
from nexora.storage.models import Run
from nexora.teams.run.record import Contribution

TASK_CHARS = 3_000
DECISION_CHARS = 8_000
EVIDENCE_LINES = 8


def outcome_text(task: str, decision: Contribution, members: Sequence[Contribution]) -> str:
    evidence = [(c, e) for c in (*members, decision) if c.ok for e in c.evidence]
    lines = [
        f"Team task: {_cut(task, TASK_CHARS)}",
        f"Decision by {decision.agent} ({decision.role}): "
        f"{_cut(decision.proposal or '', DECISION_CHARS)}",
    ]
    if evidence:
        lines.append("Key evidence:")
        lines += [f"- {c.agent} via {e.tool}: {e.excerpt}" for c, e in evidence[:EVIDENCE_LINES]]
    contributors = [f"{c.agent} ({c.role})" for c in members if c.ok]
    contributors.append(f"{decision.agent} ({decision.role})")
    lines.append("Contributors: " + ", ".join(contributors))
    return _cut("\n".join(lines), MAX_ITEM_CHARS)


def outcome_store(memory: Memory, run: Run, text: str) -> Store:
    """Writes the entry (and indexes it) in the transaction that completes the run."""
    assert run.group_id is not None
    owner = Owner(run.org_id, group_id=run.group_id)
    entry = NewItem("episodic", "outcome", text, run_id=run.id)

    async def store(session: AsyncSession) -> None:
        await memory.items.add(session, owner, [entry], origin="auto", run_id=run.id)

    return store


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 2] + " …"
