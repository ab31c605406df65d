"""Runs inside QwenPaw's own venv (its interpreter, not Nexora's): drives QwenPaw's memory
manager the way its agent's `memory_search` tool does, over notes already written to disk.

    python _qwenpaw_memory_driver.py job.json result.json

job.json: {"agent_id": str, "max_results": int,
           "vaults": [{"conversation": str, "vault": str, "queries": [[id, text], ...]}]}
result.json: {"vaults": [{"conversation", "start_seconds", "index_seconds"}],
              "answers": {id: {"seconds": float, "text": str}}}

Per vault: a `ReMeLightMemoryManager` with that folder as its workspace (QwenPaw's agent
config supplies the embedding settings) and `start()`. ReMe indexes the notes already on disk in
a background job (the same scan a restart does), which has no completion call: its watch step
logs "Watching: [<vault>/memory, ...]" once that first pass is done, so that log record is the
signal (timed as indexing; absent within INDEX_TIMEOUT is an error). The "reindex" action is
no use here: it rebuilds only chunks the store already knows. Then `memory_search(query,
max_results)` per query; the text it returns is what the agent reads, and is returned unparsed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
import time
from pathlib import Path
from typing import Any

INDEX_TIMEOUT = 60 * 60.0


class _WatchStarted(logging.Handler):
    """Set once ReMe logs that it watches `folder`, i.e. its first index pass is over."""

    def __init__(self, folder: str) -> None:
        super().__init__()
        self.folder = folder
        self.done = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Watching:") and self.folder in message:
            self.done.set()


def _text(chunk: Any) -> str:
    parts = []
    for block in chunk.content:
        parts.append(block["text"] if isinstance(block, dict) else str(block.text))
    return "\n".join(parts)


async def _run(job: dict[str, Any]) -> dict[str, Any]:
    from qwenpaw.agents.memory.reme_light_memory_manager import (  # type: ignore[import-not-found]
        ReMeLightMemoryManager,
    )

    vaults: list[dict[str, Any]] = []
    answers: dict[str, dict[str, Any]] = {}
    for item in job["vaults"]:
        started = time.perf_counter()
        manager = ReMeLightMemoryManager(working_dir=item["vault"], agent_id=job["agent_id"])
        # ReMe (re)configures its "reme" logger while the manager is built; listen after that.
        reme_log = logging.getLogger("reme")
        watch = _WatchStarted(str(Path(item["vault"]) / "memory"))
        reme_log.addHandler(watch)
        await manager.start()
        start_seconds = time.perf_counter() - started
        started = time.perf_counter()
        indexed = await asyncio.to_thread(watch.done.wait, INDEX_TIMEOUT)
        index_seconds = time.perf_counter() - started
        reme_log.removeHandler(watch)
        if not indexed:
            raise RuntimeError(f"ReMe did not finish indexing {item['vault']}")
        try:
            for query_id, text in item["queries"]:
                started = time.perf_counter()
                chunk = await manager.memory_search(text, max_results=job["max_results"])
                answers[query_id] = {"seconds": time.perf_counter() - started, "text": _text(chunk)}
        finally:
            await manager.close()
        vaults.append(
            {
                "conversation": item["conversation"],
                "start_seconds": start_seconds,
                "index_seconds": index_seconds,
            }
        )
    return {"vaults": vaults, "answers": answers}


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    job = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    result = asyncio.run(_run(job))
    Path(sys.argv[2]).write_text(json.dumps(result, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
