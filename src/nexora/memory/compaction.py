"""Context compression: a long conversation keeps a summary and a bounded window of turns.

Before each run of a session, its earlier turns are measured against the model's budget (a
share of its context window). When they exceed it, the oldest turns are summarised by the
run's model into the session's summary — one episodic "summary" item, extended each time the
window overflows again and reused by every later run — and the prompt carries that summary
plus the most recent turns that fit in half the budget, so a summary is written once every
several turns, not every turn. Nothing is lost: every turn is also kept as an episodic message
(see `turns`), so memory search still finds what was said early on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    SystemPromptPart,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.config import Settings
from nexora.memory.items import MAX_ITEM_CHARS, MemoryItems, NewItem
from nexora.memory.llm import ask
from nexora.memory.scope import Owner
from nexora.memory.tokens import context_window, estimate_tokens, message_tokens
from nexora.runtime.history import session_turns
from nexora.runtime.steps import ModelHandle
from nexora.runtime.usage import UsageRecorder
from nexora.storage.db import Database
from nexora.storage.models import MemoryItem, Run

log = logging.getLogger(__name__)

SUMMARY_HEADER = "Summary of the earlier part of this conversation (older turns were folded in):"
SUMMARY_INSTRUCTIONS = (
    "You compress a conversation between a user and an AI assistant so it can go on within a "
    "limited context. Merge the summary so far (if any) with the turns that follow it into "
    "one updated summary. Keep every fact about the user, decision, name, number, date, open "
    "task and result of a tool the assistant may need later; drop pleasantries. Write plain "
    "sentences in the conversation's language, at most WORDS words."
)
PART_CHARS = 2000  # of one tool result or call when shown to the summariser


@dataclass(frozen=True, slots=True)
class Turn:
    run_id: str
    messages: list[ModelMessage]
    tokens: int


@dataclass(frozen=True, slots=True)
class Compacted:
    """The session's history as this run's prompt carries it, and what was folded now."""

    messages: list[ModelMessage]
    budget: int
    tokens: int  # of `messages`
    folded_turns: int = 0
    folded_tokens: int = 0
    summary_id: str | None = None


def session_source(session_id: str) -> str:
    return f"session:{session_id}"


def render(messages: Sequence[ModelMessage]) -> str:
    """The turns as plain text for the summariser."""
    lines: list[str] = []
    for message in messages:
        if not isinstance(message, ModelRequest | ModelResponse):
            continue
        for part in message.parts:
            if isinstance(part, UserPromptPart):
                content = part.content if isinstance(part.content, str) else str(part.content)
                lines.append(f"user: {content}")
            elif isinstance(part, TextPart):
                lines.append(f"assistant: {part.content}")
            elif isinstance(part, ToolCallPart):
                lines.append(
                    f"assistant called {part.tool_name}({part.args_as_json_str()[:PART_CHARS]})"
                )
            elif isinstance(part, ToolReturnPart):
                lines.append(f"{part.tool_name} returned: {part.model_response_str()[:PART_CHARS]}")
    return "\n".join(lines)


def clip(text: str, tokens: int) -> str:
    """At most about `tokens` tokens of `text`, cut at a word where there is one."""
    estimate = estimate_tokens(text)
    if estimate <= tokens:
        return text
    cut = text[: max(1, len(text) * tokens // estimate)]
    space = cut.rfind(" ")
    return (cut[:space] if space > len(cut) // 2 else cut).rstrip() + " …"


class Compactor:
    def __init__(
        self, db: Database, items: MemoryItems, usage: UsageRecorder, settings: Settings
    ) -> None:
        self.db = db
        self.items = items
        self.usage = usage
        self.settings = settings

    async def budget(self, model: ModelHandle) -> int:
        window = await context_window(
            model.provider,
            model.name,
            overrides=self.settings.context_windows,
            default=self.settings.context_window_default,
        )
        return int(window * self.settings.context_history_share)

    async def history(self, run: Run, model: ModelHandle, *, summarise: bool) -> Compacted:
        """The session's earlier turns for `run`'s prompt. With `summarise` off (an agent
        that keeps no memory) the oldest turns are dropped instead of summarised."""
        budget = await self.budget(model)
        async with self.db.session() as session:
            turns = [
                Turn(run_id, messages, message_tokens(messages))
                for run_id, messages in await session_turns(session, run)
            ]
            summary = await self._summary(session, run) if summarise else None
        start = 0
        if summary is not None:
            through = summary.meta.get("through_run_id")
            start = next((i + 1 for i, t in enumerate(turns) if t.run_id == through), 0)
        recent = turns[start:]
        summary_text = summary.text if summary is not None else ""
        total = message_tokens(_summary_message(summary_text)) + sum(t.tokens for t in recent)
        if total <= budget:
            return self._assemble(summary, summary_text, recent, budget)
        keep = _window(recent, budget // 2)
        folded = recent[: len(recent) - len(keep)]
        folded_tokens = sum(t.tokens for t in folded)
        if not summarise:
            return self._assemble(None, "", keep, budget, len(folded), folded_tokens)
        try:
            text = await self._summarise(run, model, summary_text, folded, budget)
        except Exception as exc:
            # The run goes on with the window; the next run tries the summary again.
            log.warning("session %s: summary not written: %s", run.session_id, exc)
            return self._assemble(summary, summary_text, keep, budget, len(folded), folded_tokens)
        summary = await self._store(run, summary, text, folded)
        return self._assemble(summary, text, keep, budget, len(folded), folded_tokens)

    def _assemble(
        self,
        summary: MemoryItem | None,
        text: str,
        turns: Sequence[Turn],
        budget: int,
        folded_turns: int = 0,
        folded_tokens: int = 0,
    ) -> Compacted:
        messages = _summary_message(text)
        for turn in turns:
            messages.extend(turn.messages)
        return Compacted(
            messages,
            budget,
            message_tokens(messages),
            folded_turns,
            folded_tokens,
            summary.id if summary is not None and text else None,
        )

    async def _summary(self, session: AsyncSession, run: Run) -> MemoryItem | None:
        assert run.session_id is not None
        found: MemoryItem | None = await session.scalar(
            select(MemoryItem)
            .where(
                MemoryItem.org_id == run.org_id,
                MemoryItem.agent_id == run.agent_id,
                MemoryItem.user_id == run.user_id,
                MemoryItem.status == "active",
                MemoryItem.kind == "summary",
                MemoryItem.source == session_source(run.session_id),
            )
            .order_by(MemoryItem.updated_at.desc())
            .limit(1)
        )
        return found

    async def _summarise(
        self, run: Run, model: ModelHandle, summary: str, folded: Sequence[Turn], budget: int
    ) -> str:
        """Folds the turns into the summary, a budget's worth of turns per model call, so a
        long backlog never overflows the summariser's own window."""
        cap = max(64, budget // 4)
        instructions = SUMMARY_INSTRUCTIONS.replace("WORDS", str(max(50, cap * 3 // 5)))
        chunks: list[list[Turn]] = [[]]
        size = 0
        for turn in folded:
            if chunks[-1] and size + turn.tokens > budget:
                chunks.append([])
                size = 0
            chunks[-1].append(turn)
            size += turn.tokens
        for chunk in chunks:
            text = render([m for turn in chunk for m in turn.messages])
            prompt = f"Summary so far:\n{summary or '(none)'}\n\nTurns that follow:\n{text}"
            answer = await ask(
                model,
                clip(prompt, budget + cap),  # a huge single turn still fits
                self.usage,
                agent_id=run.agent_id,
                run_id=run.id,
                instructions=instructions,
            )
            summary = clip(answer.strip(), cap) or summary
        return summary[:MAX_ITEM_CHARS]

    async def _store(
        self, run: Run, summary: MemoryItem | None, text: str, folded: Sequence[Turn]
    ) -> MemoryItem:
        assert run.session_id is not None
        assert folded
        earlier = int(summary.meta.get("turns", 0)) if summary is not None else 0
        meta = {
            "through_run_id": folded[-1].run_id,
            "turns": earlier + len(folded),
            "compaction": True,
        }
        reason = f"context compression: {len(folded)} turns folded"
        async with self.db.session() as session:
            if summary is not None:
                item = await self.items.get(session, run.org_id, summary.id)
                if item.status == "active":
                    await self.items.update(
                        session, item, text, origin="auto", run_id=run.id, reason=reason, meta=meta
                    )
                    await session.commit()
                    return item
            owner = Owner(run.org_id, agent_id=run.agent_id, user_id=run.user_id)
            new = NewItem(
                "episodic",
                "summary",
                text,
                source=session_source(run.session_id),
                meta=meta,
                session_id=run.session_id,
                run_id=run.id,
            )
            [result] = await self.items.add(
                session, owner, [new], origin="auto", run_id=run.id, reason=reason
            )
            await session.commit()
            return result.item


def _summary_message(text: str) -> list[ModelMessage]:
    """How the summary opens the history: a system message, so the model does not take it
    for something the user said."""
    if not text:
        return []
    return [ModelRequest(parts=[SystemPromptPart(f"{SUMMARY_HEADER}\n{text}")])]


def _window(turns: Sequence[Turn], tokens: int) -> list[Turn]:
    """The most recent turns that fit in `tokens`."""
    kept: list[Turn] = []
    used = 0
    for turn in reversed(turns):
        if used + turn.tokens > tokens:
            break
        kept.append(turn)
        used += turn.tokens
    kept.reverse()
    return kept
