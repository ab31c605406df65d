"""Context compression on a long conversation: how many tokens of history each turn's prompt
carries with and without it, how often the summary is written, and what deciding costs a turn.

The conversation is LoCoMo's conversation 26 (read from ../shared/data/locomo, never copied
here): Caroline's lines play the user, Melanie's the assistant, ~210 turns in one session. Each
turn is stored as a completed run with its checkpoint, as the runtime stores it, in a fresh
SQLite database; before each turn `Compactor.history` builds what the prompt would carry.
The summariser is an instant pydantic-ai FunctionModel (keeps the summary so far plus the start
of each user line), so the timings are Nexora's own work, not a model's.

    python bench/compression.py                    # an 8k window (llama3.1:8b on Ollama)
    python bench/compression.py --window 32768
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import zipfile
from datetime import timedelta
from pathlib import Path

from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, TextPart, UserPromptPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from nexora.config import Settings
from nexora.governance.records import RecordSink
from nexora.memory.compaction import Compactor
from nexora.memory.items import MemoryItems
from nexora.memory.tokens import message_tokens
from nexora.runtime.events import RunStatus
from nexora.runtime.history import dump_messages
from nexora.runtime.steps import ModelHandle
from nexora.runtime.usage import UsageRecorder
from nexora.storage import migrate
from nexora.storage.base import utcnow
from nexora.storage.db import Database
from nexora.storage.models import AgentRecord, ChatSession, Org, Run, RunStep, User

LOCOMO = Path(__file__).resolve().parents[2] / "shared" / "data" / "locomo" / "locomo10.zip"
CONVERSATION = "data/multimodal_dialog/locomo10_v2/26.json"


def conversation() -> list[tuple[str, str]]:
    data = json.loads(zipfile.ZipFile(LOCOMO).read(CONVERSATION))
    lines: list[tuple[str, str]] = []
    number = 1
    while f"session_{number}" in data:
        lines += [(u["speaker"], u["text"]) for u in data[f"session_{number}"]]
        number += 1
    user = data["speaker_a"]
    turns: list[tuple[str, str]] = []
    for speaker, text in lines:
        if speaker == user or not turns:
            turns.append((text, ""))
        else:
            said, answer = turns[-1]
            turns[-1] = (said, f"{answer} {text}".strip())
    return [(said, answer or "…") for said, answer in turns]


calls = 0


def summarise(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    global calls
    calls += 1
    prompt = str(messages[-1].parts[-1].content)  # type: ignore[union-attr]
    earlier, _, turns = prompt.partition("Turns that follow:\n")
    so_far = earlier.removeprefix("Summary so far:\n").strip().removeprefix("(none)")
    said = [line[6:80] for line in turns.splitlines() if line.startswith("user: ")]
    return ModelResponse(parts=[TextPart(" ".join([so_far, *said]))])


async def measure(window: int, share: float) -> None:
    turns = conversation()
    home = Path(tempfile.mkdtemp(prefix="nexora-compression-"))
    settings = Settings(
        home=home,
        context_windows={"ollama:llama3.1:8b": window},
        context_history_share=share,
    )
    db = Database(f"sqlite+aiosqlite:///{home / 'bench.db'}")
    await migrate.upgrade(db)
    async with db.session() as session:
        org, user = Org(name="bench"), User(username="caroline", password_hash="x")
        session.add_all([org, user])
        await session.flush()
        agent = AgentRecord(org_id=org.id, name="melanie", config_yaml="name: melanie\n")
        session.add(agent)
        await session.flush()
        chat = ChatSession(org_id=org.id, agent_id=agent.id, user_id=user.id)
        session.add(chat)
        await session.commit()
    usage = UsageRecorder(RecordSink(db), enabled=False)
    compactor = Compactor(db, MemoryItems(), usage, settings)
    model = ModelHandle("ollama", "llama3.1:8b", FunctionModel(summarise))
    start = utcnow() - timedelta(days=1)
    full: list[ModelMessage] = []
    with_tokens: list[int] = []
    without_tokens: list[int] = []
    decide_ms: list[float] = []
    for index, (said, answer) in enumerate(turns):
        created = start + timedelta(seconds=index)
        run = Run(
            org_id=org.id,
            agent_id=agent.id,
            session_id=chat.id,
            user_id=user.id,
            input=said,
            status=RunStatus.PENDING,
            created_at=created,
        )
        before = calls
        began = time.perf_counter()
        compacted = await compactor.history(run, model, summarise=True)
        elapsed = (time.perf_counter() - began) * 1000
        if calls == before:  # a summary written costs the model's time, not Nexora's
            decide_ms.append(elapsed)
        with_tokens.append(compacted.tokens)
        without_tokens.append(message_tokens(full))
        messages: list[ModelMessage] = [
            ModelRequest(parts=[UserPromptPart(said)]),
            ModelResponse(parts=[TextPart(answer)]),
        ]
        full += messages
        async with db.session() as session:
            run.status = RunStatus.COMPLETED
            session.add(run)
            await session.flush()
            session.add(
                RunStep(run_id=run.id, index=0, kind="model", messages=dump_messages(messages))
            )
            await session.commit()
    await db.dispose()
    budget = int(window * share)
    print(f"Context compression, LoCoMo conversation 26: {len(turns)} turns in one session")
    print(f"window {window} tokens, history share {share}: budget {budget} tokens")
    for label, series in (("with compression", with_tokens), ("without", without_tokens)):
        print(
            f"  history tokens per prompt, {label:>16}: max {max(series):>6}, "
            f"last {series[-1]:>6}, mean {statistics.mean(series):>8.0f}"
        )
    print(f"  summaries written: {calls} (one per {len(turns) / max(calls, 1):.1f} turns)")
    decide_ms.sort()
    p99 = decide_ms[int(len(decide_ms) * 0.99) - 1]
    print(
        f"  deciding per turn (read the session, count, assemble): "
        f"p50 {statistics.median(decide_ms):.1f} ms, p99 {p99:.1f} ms, max {decide_ms[-1]:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=int, default=8192)
    parser.add_argument("--share", type=float, default=0.5)
    args = parser.parse_args()
    if not LOCOMO.exists():
        sys.exit(f"LoCoMo not found at {LOCOMO}")
    asyncio.run(measure(args.window, args.share))


if __name__ == "__main__":
    main()
