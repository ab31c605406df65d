"""Session titles, written by the model in the background after a session's first answer."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from sqlalchemy import update

from nexora.runtime.usage import UsageRecorder
from nexora.storage.db import Database
from nexora.storage.models import ChatSession, Run

if TYPE_CHECKING:
    from nexora.runtime.steps import ModelHandle

log = logging.getLogger(__name__)

TITLE_PROMPT = (
    "Write a title of at most six words for a conversation that starts with the message "
    "below. Answer with the title only, in the language of the message, without quotes.\n\n"
)
MAX_TITLE = 200


def fallback_title(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 60 else line[:57].rstrip() + "…"


class TitleWriter:
    def __init__(self, db: Database, usage: UsageRecorder) -> None:
        self._db = db
        self._usage = usage
        self._tasks: set[asyncio.Task[None]] = set()

    def schedule(self, run: Run, model: ModelHandle) -> None:
        task = asyncio.get_running_loop().create_task(self._write(run, model))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _write(self, run: Run, model: ModelHandle) -> None:
        assert run.session_id is not None
        async with self._db.session() as session:
            chat = await session.get(ChatSession, run.session_id)
            if chat is None or chat.title:
                return
        title = await self._generate(run, model)
        async with self._db.session() as session:
            await session.execute(
                update(ChatSession)
                .where(ChatSession.id == run.session_id, ChatSession.title.is_(None))
                .values(title=title[:MAX_TITLE])
            )
            await session.commit()

    async def _generate(self, run: Run, model: ModelHandle) -> str:
        from pydantic_ai import Agent

        try:
            result = await asyncio.wait_for(
                Agent(model.model).run(TITLE_PROMPT + run.input[:2000]), timeout=30
            )
        except Exception as exc:
            log.info("title for session %s from its first message: %s", run.session_id, exc)
            return fallback_title(run.input)
        usage = result.usage
        try:
            self._usage.record(
                provider=model.provider,
                model=model.name,
                prompt_tokens=usage.input_tokens,
                completion_tokens=usage.output_tokens,
                agent_id=run.agent_id,
                run_id=run.id,
            )
        except Exception:
            log.exception("token usage of a title not recorded")
        title = " ".join(str(result.output).split()).strip("\"'“”「」 ")
        return title or fallback_title(run.input)

    async def wait(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
