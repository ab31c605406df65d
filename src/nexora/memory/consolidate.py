"""Consolidation: one pass that tidies an agent's memory, run on a schedule or by hand.

- Duplicates: facts, preferences, lessons and notes with the same content, or vectors so
  alike they say the same thing, are merged: the newest stays, the others are retired with
  `superseded_by` pointing at it.
- Old episodes: a session's messages older than `memory_summarize_after_days` are summarised
  by the agent's model into one "summary" episode; the messages are retired, superseded by
  the summary, and can be restored.

Every change goes through `MemoryItems` with origin "auto" and a reason, and the pass is
recorded as a `memory_jobs` row of kind "consolidate" with its counts.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.config import Settings
from nexora.memory.items import MemoryItems, NewItem
from nexora.memory.llm import ask
from nexora.memory.scope import Owner
from nexora.runtime.steps import ModelHandle
from nexora.runtime.usage import Principal, UsageRecorder, current_principal
from nexora.storage.base import utcnow
from nexora.storage.db import Database
from nexora.storage.models import MemoryItem, MemoryJob

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

DEDUP_KINDS = ("fact", "preference", "lesson", "note")
MAX_COMPARED = 2000  # items of one owner compared by vector in one pass (n² similarities)
BATCH_CHARS = 12_000  # messages summarised in one model call
_PUNCTUATION = re.compile(r"[\W_]+", re.UNICODE)

# Embeds passages as L2-normalised rows (nexora.memory.embed.Embedder.embed_passages).
Embed = Callable[[Sequence[str]], Awaitable["np.ndarray"]]

SUMMARY_INSTRUCTIONS = (
    "Summarise the conversation excerpt below for the assistant's long-term memory. Keep "
    "every fact, preference, decision, name, number and date that could matter later; drop "
    "greetings and filler. Write plain sentences in the language of the conversation, at "
    "most 200 words, without a heading."
)


@dataclass
class Consolidation:
    job_id: str
    examined: int = 0
    duplicates: int = 0
    summaries: int = 0
    summarised: int = 0  # messages folded into those summaries
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "examined": self.examined,
            "duplicates": self.duplicates,
            "summaries": self.summaries,
            "summarised": self.summarised,
            "errors": self.errors,
        }


def _normal(text: str) -> str:
    """Case, punctuation and spacing do not make two memories different."""
    return " ".join(_PUNCTUATION.sub(" ", unicodedata.normalize("NFKC", text).casefold()).split())


def _owner_key(item: MemoryItem) -> tuple[str | None, str | None]:
    return (item.user_id, item.group_id)


class Consolidator:
    def __init__(self, items: MemoryItems, settings: Settings, embed: Embed | None = None) -> None:
        self.items = items
        self.settings = settings
        self.embed = embed

    async def run(
        self,
        db: Database,
        usage: UsageRecorder,
        org_id: str,
        agent_id: str,
        model: ModelHandle,
    ) -> Consolidation:
        async with db.session() as session:
            job = MemoryJob(org_id=org_id, agent_id=agent_id, kind="consolidate", status="running")
            session.add(job)
            await session.commit()
            job_id = job.id
        outcome = Consolidation(job_id)
        try:
            async with db.session() as session:
                await self._merge_duplicates(session, org_id, agent_id, outcome)
                await session.commit()
            await self._summarise_old(db, usage, org_id, agent_id, model, outcome)
        except Exception as exc:
            outcome.errors.append(f"{exc.__class__.__name__}: {exc}"[:500])
            log.exception("consolidating agent %s failed", agent_id)
        async with db.session() as session:
            await session.execute(
                update(MemoryJob)
                .where(MemoryJob.id == job_id)
                .values(
                    status="failed" if outcome.errors else "completed",
                    total=outcome.examined,
                    done=outcome.examined,
                    added=outcome.summaries,
                    duplicates=outcome.duplicates,
                    error="; ".join(outcome.errors)[:2000] or None,
                    meta={"summarised": outcome.summarised},
                    updated_at=utcnow(),
                )
            )
            await session.commit()
        return outcome

    # -- duplicates ------------------------------------------------------------------------

    async def _merge_duplicates(
        self, session: AsyncSession, org_id: str, agent_id: str, outcome: Consolidation
    ) -> None:
        rows = await session.scalars(
            select(MemoryItem)
            .where(
                MemoryItem.org_id == org_id,
                MemoryItem.agent_id == agent_id,
                MemoryItem.status == "active",
                MemoryItem.layer == "episodic",
                MemoryItem.kind.in_(DEDUP_KINDS),
            )
            .order_by(MemoryItem.occurred_at.desc(), MemoryItem.created_at.desc())
        )
        owners: dict[tuple[str | None, str | None], list[MemoryItem]] = defaultdict(list)
        for item in rows:
            owners[_owner_key(item)].append(item)
            outcome.examined += 1
        for newest_first in owners.values():
            for older, newer in await self._duplicates(newest_first):
                await self.items.retire(
                    session,
                    older,
                    origin="auto",
                    superseded_by=newer.id,
                    reason=f"consolidation: the same as the newer memory {newer.id}",
                )
                outcome.duplicates += 1

    async def _duplicates(
        self, newest_first: list[MemoryItem]
    ) -> list[tuple[MemoryItem, MemoryItem]]:
        """(older, kept newer) pairs: each item against the items kept before it."""
        import numpy as np

        kept: list[int] = []
        pairs: list[tuple[MemoryItem, MemoryItem]] = []
        seen: dict[str, MemoryItem] = {}
        similar = await self._similarities(newest_first)
        for index, item in enumerate(newest_first):
            key = _normal(item.text)
            twin = seen.get(key)
            if twin is None and similar is not None and kept and index < len(similar):
                scores = similar[index, kept]
                best = int(np.argmax(scores))
                if scores[best] >= self.settings.memory_duplicate_similarity:
                    twin = newest_first[kept[best]]
            if twin is not None:
                pairs.append((item, twin))
                continue
            seen[key] = item
            kept.append(index)
        return pairs

    async def _similarities(self, items: list[MemoryItem]) -> np.ndarray | None:
        if self.embed is None or len(items) < 2:
            return None
        import numpy as np

        from nexora.memory.embed import EmbedderError

        try:
            vectors = await self.embed([item.text for item in items[:MAX_COMPARED]])
        except EmbedderError as exc:  # the same texts are still merged; near ones next time
            log.warning("near-duplicate memories not compared: %s", exc)
            return None
        return np.asarray(vectors @ vectors.T, dtype=np.float32)

    # -- old episodes ----------------------------------------------------------------------

    async def _summarise_old(
        self,
        db: Database,
        usage: UsageRecorder,
        org_id: str,
        agent_id: str,
        model: ModelHandle,
        outcome: Consolidation,
    ) -> None:
        cutoff = utcnow() - timedelta(days=self.settings.memory_summarize_after_days)
        async with db.session() as session:
            rows = await session.scalars(
                select(MemoryItem)
                .where(
                    MemoryItem.org_id == org_id,
                    MemoryItem.agent_id == agent_id,
                    MemoryItem.status == "active",
                    MemoryItem.kind == "message",
                    MemoryItem.occurred_at < cutoff,
                )
                .order_by(MemoryItem.occurred_at, MemoryItem.position)
            )
            sessions: dict[tuple[str | None, str | None, str | None], list[MemoryItem]] = (
                defaultdict(list)
            )
            for item in rows:
                sessions[(*_owner_key(item), item.session_id)].append(item)
                outcome.examined += 1
        for messages in sessions.values():
            for batch in _batches(messages):
                if len(batch) < 2:
                    continue  # one message is its own summary
                await self._summarise(db, usage, model, batch, outcome)

    async def _summarise(
        self,
        db: Database,
        usage: UsageRecorder,
        model: ModelHandle,
        batch: list[MemoryItem],
        outcome: Consolidation,
    ) -> None:
        first, last = batch[0], batch[-1]
        if first.user_id is not None:
            current_principal.set(Principal(first.user_id, first.org_id))
        excerpt = "\n".join(
            f"[{m.occurred_at:%Y-%m-%d %H:%M}] {m.meta.get('role', 'user')}: {m.text}"
            for m in batch
        )
        text = await ask(
            model,
            excerpt,
            usage,
            agent_id=first.agent_id,
            run_id=None,
            instructions=SUMMARY_INSTRUCTIONS,
        )
        text = text.strip()
        if not text:
            return
        ids = [m.id for m in batch]
        owner = Owner(first.org_id, agent_id=first.agent_id, user_id=first.user_id)
        async with db.session() as session:
            [result] = await self.items.add(
                session,
                owner,
                [
                    NewItem(
                        "episodic",
                        "summary",
                        text,
                        source=f"consolidation:{outcome.job_id}",
                        position=outcome.summaries,
                        meta={
                            "summarizes": ids,
                            "from": first.occurred_at.isoformat(),
                            "to": last.occurred_at.isoformat(),
                        },
                        occurred_at=last.occurred_at,
                        session_id=first.session_id,
                    )
                ],
                origin="auto",
                reason=f"consolidation: summary of {len(batch)} old messages",
            )
            summary = result.item
            for message in await _still_active(session, ids):
                await self.items.retire(
                    session,
                    message,
                    origin="auto",
                    superseded_by=summary.id,
                    reason=f"consolidation: summarised into {summary.id}",
                )
                outcome.summarised += 1
            await session.commit()
        outcome.summaries += 1


async def due_agents(session: AsyncSession, summarize_after: timedelta) -> list[tuple[str, str]]:
    """(org, agent) pairs whose memory changed, or has messages grown old, since their last
    consolidation: the scheduled pass leaves the others alone (and unrecorded)."""
    active = (MemoryItem.status == "active", MemoryItem.agent_id.is_not(None))
    last_pass = {
        agent_id: _aware(when)
        for agent_id, when in await session.execute(
            select(MemoryJob.agent_id, func.max(MemoryJob.created_at))
            .where(MemoryJob.kind == "consolidate")
            .group_by(MemoryJob.agent_id)
        )
    }
    aged = {
        agent_id: _aware(when)
        for agent_id, when in await session.execute(
            select(MemoryItem.agent_id, func.max(MemoryItem.occurred_at))
            .where(
                *active,
                MemoryItem.kind == "message",
                MemoryItem.occurred_at < utcnow() - summarize_after,
            )
            .group_by(MemoryItem.agent_id)
        )
    }
    changed = await session.execute(
        select(MemoryItem.org_id, MemoryItem.agent_id, func.max(MemoryItem.updated_at))
        .where(*active)
        .group_by(MemoryItem.org_id, MemoryItem.agent_id)
        .order_by(MemoryItem.org_id, MemoryItem.agent_id)
    )
    due: list[tuple[str, str]] = []
    for org_id, agent_id, updated in changed:
        last = last_pass.get(agent_id)
        old_message = aged.get(agent_id)
        if agent_id is not None and (
            last is None
            or _aware(updated) > last
            or (old_message is not None and old_message > last - summarize_after)
        ):
            due.append((org_id, agent_id))
    return due


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _batches(messages: list[MemoryItem]) -> list[list[MemoryItem]]:
    batches: list[list[MemoryItem]] = [[]]
    size = 0
    for message in messages:
        if batches[-1] and size + len(message.text) > BATCH_CHARS:
            batches.append([])
            size = 0
        batches[-1].append(message)
        size += len(message.text)
    return batches


async def _still_active(session: AsyncSession, ids: list[str]) -> list[MemoryItem]:
    """Re-read in this transaction: a person may have edited one meanwhile."""
    rows = await session.scalars(
        select(MemoryItem).where(MemoryItem.id.in_(ids), MemoryItem.status == "active")
    )
    return list(rows)
