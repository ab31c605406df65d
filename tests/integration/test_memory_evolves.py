"""Memory that evolves: turns kept, facts extracted and corrected, jobs that survive a stop.

The model is the scripted fake; its extraction answers are computed from what extraction
sends it (the stored memories it was shown and the new turns), as a real model would.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.config import Settings
from nexora.memory.items import MemoryItems
from nexora.storage.models import MemoryChange, MemoryItem, MemoryJob, User
from tests.fakes.openai_server import FakeOpenAIServer, Reply, mentions
from tests.support.api import ADMIN_PASSWORD, login, ok
from tests.support.db import eventually, query
from tests.support.runs import wait_for_run
from tests.support.server import RunningServer, run_server

EXTRACTION = "You keep the long-term memory"


@contextmanager
def serving(settings: Settings, **changes: Any) -> Iterator[tuple[RunningServer, httpx.Client]]:
    with run_server(settings.model_copy(update={"memory_auto_extract": True, **changes})) as srv:
        with srv.client() as anon:
            token = login(anon, "admin", ADMIN_PASSWORD)
        with srv.client(token) as admin:
            yield srv, admin


def extraction_answers(decide: Callable[[list[dict[str, str]], str], list[dict[str, Any]]]) -> Any:
    """A fake extractor: reads the memories it was shown and the user's turn from the request
    and answers with the operations `decide` returns for them."""

    def respond(body: dict[str, Any]) -> Reply:
        prompt = next(m["content"] for m in body["messages"] if m["role"] == "user")
        start = prompt.index("Stored memories:") + len("Stored memories:")
        start += len(prompt[start:]) - len(prompt[start:].lstrip())
        stored: list[dict[str, str]] = []
        if not prompt.startswith("(none)", start):
            stored, _ = json.JSONDecoder().raw_decode(prompt, start)
        said = prompt.split("\nuser: ", 1)[1].split("\n\nassistant: ", 1)[0]
        return Reply(text=json.dumps({"operations": decide(stored, said)}))

    return respond


def run_and_keep(admin: httpx.Client, url: str, agent_id: str, text: str) -> dict[str, Any]:
    run = ok(admin.post("/api/runs", json={"agent_id": agent_id, "input": text}), 201)
    done = wait_for_run(admin, run["id"])
    assert done["status"] == "completed", done
    job = eventually(url, _job_of(run["id"]), lambda j: j is not None and j.status == "completed")
    assert job is not None and job.status == "completed", job and (job.status, job.error)
    return done


def _job_of(run_id: str) -> Callable[[AsyncSession], Any]:
    async def work(session: AsyncSession) -> MemoryJob | None:
        job: MemoryJob | None = await session.scalar(
            select(MemoryJob).where(MemoryJob.source == f"run:{run_id}")
        )
        return job

    return work


def _items(kind: str | None = None, status: str | None = "active") -> Any:
    async def work(session: AsyncSession) -> list[MemoryItem]:
        query = select(MemoryItem).order_by(MemoryItem.created_at)
        if kind is not None:
            query = query.where(MemoryItem.kind == kind)
        if status is not None:
            query = query.where(MemoryItem.status == status)
        return list(await session.scalars(query))

    return work


def _admin_id(url: str) -> str:
    async def work(session: AsyncSession) -> str:
        user_id = await session.scalar(select(User.id).where(User.username == "admin"))
        assert user_id is not None
        return user_id

    return query(url, work)


def test_contradicting_fact_updates_the_old_one_with_history(
    settings: Settings, llm: FakeOpenAIServer
) -> None:
    def decide(stored: list[dict[str, str]], said: str) -> list[dict[str, Any]]:
        if "moved from Berlin to Lisbon" in said:
            old = next(m for m in stored if "Berlin" in m["text"])
            return [
                {
                    "op": "update",
                    "id": old["id"],
                    "text": "Ann lives in Lisbon.",
                    "reason": "she moved from Berlin to Lisbon",
                }
            ]
        if "Berlin" in said:
            return [{"op": "add", "kind": "fact", "text": "Ann lives in Berlin.", "reason": "said"}]
        return [{"op": "none"}]

    llm.answer_when(mentions(EXTRACTION), extraction_answers(decide))
    url = settings.database_url
    with serving(settings) as (_, admin):
        agent_id = ok(admin.post("/api/agents", json={"name": "friend"}), 201)["id"]
        first = run_and_keep(admin, url, agent_id, "Hi, I'm Ann and I live in Berlin.")
        [fact] = query(url, _items("fact"))
        assert fact.text == "Ann lives in Berlin." and fact.origin == "auto"
        assert fact.user_id == _admin_id(url) and fact.run_id == first["id"]

        second = run_and_keep(admin, url, agent_id, "Big news: I moved from Berlin to Lisbon.")

    # The extractor was shown the old fact, and corrected it instead of adding a second one.
    shown = [r for r in llm.chat_requests if EXTRACTION in json.dumps(r.json["messages"])]
    assert fact.id in json.dumps(shown[-1].json["messages"])
    facts = query(url, _items("fact", status=None))
    assert [(f.id, f.text, f.status, f.version) for f in facts] == [
        (fact.id, "Ann lives in Lisbon.", "active", 2)
    ]

    async def history(session: AsyncSession) -> list[MemoryChange]:
        return await MemoryItems().history(session, fact.org_id, fact.id)

    changes = query(url, history)
    assert [(c.action, c.before, c.after, c.origin, c.run_id) for c in changes] == [
        ("create", None, "Ann lives in Berlin.", "auto", first["id"]),
        ("update", "Ann lives in Berlin.", "Ann lives in Lisbon.", "auto", second["id"]),
    ]
    assert "moved from Berlin to Lisbon" in (changes[1].reason or "")

    # People can undo the automatic change.
    async def revert(session: AsyncSession) -> str:
        item = await MemoryItems().revert(session, changes[1], actor_id=None)
        await session.commit()
        return item.text

    assert query(url, revert) == "Ann lives in Berlin."

    # Every turn is kept as a message private to the user.
    messages = query(url, _items("message"))
    assert [(m.meta["role"], m.run_id) for m in messages] == [
        ("user", first["id"]),
        ("assistant", first["id"]),
        ("user", second["id"]),
        ("assistant", second["id"]),
    ]
    assert {m.user_id for m in messages} == {fact.user_id}


def test_extraction_ignores_junk_and_survives_model_errors(
    settings: Settings, llm: FakeOpenAIServer
) -> None:
    junk = iter(
        [
            Reply(text="Sure! I'll remember that you like green tea :)"),
            Reply(
                text=json.dumps(
                    {
                        "operations": [
                            {"op": "update", "id": "not-shown", "text": "hijack"},
                            {"op": "add", "kind": "password", "text": "hunter2"},
                            {"op": "add", "kind": "preference", "text": "Ann likes green tea."},
                        ]
                    }
                )
            ),
            Reply(status=400, error_message="the model is overloaded"),
        ]
    )
    llm.answer_when(mentions(EXTRACTION), lambda _: next(junk))
    url = settings.database_url
    with serving(settings) as (_, admin):
        agent_id = ok(admin.post("/api/agents", json={"name": "friend"}), 201)["id"]
        first = run_and_keep(admin, url, agent_id, "I like green tea.")
        assert query(url, _items("preference")) == []
        assert query(url, _job_of(first["id"])).meta["skipped"] == 1

        run_and_keep(admin, url, agent_id, "Green tea, really.")
        [preference] = query(url, _items("preference"))
        assert preference.text == "Ann likes green tea."

        run = ok(admin.post("/api/runs", json={"agent_id": agent_id, "input": "Still tea."}), 201)
        done = wait_for_run(admin, run["id"])
        job = eventually(url, _job_of(run["id"]), lambda j: j is not None and j.error is not None)
    # The model failing after the run changes nothing about the run; the job waits for a retry.
    assert done["status"] == "completed" and done["output"] == "ok"
    assert job is not None and job.status == "queued" and "overloaded" in (job.error or "")
    assert len(query(url, _items("message"))) == 6


def test_extraction_missed_by_a_stopped_process_is_picked_up(
    settings: Settings, llm: FakeOpenAIServer
) -> None:
    calls: list[str] = []

    def stalled_then_answered(body: dict[str, Any]) -> Reply:
        calls.append("extract")
        if len(calls) == 1:  # the first process stops while waiting for this answer
            return Reply(text="never read", delay=30)
        ops = [{"op": "add", "kind": "fact", "text": "Ann's cat is called Miso."}]
        return Reply(text=json.dumps({"operations": ops}))

    llm.answer_when(mentions(EXTRACTION), stalled_then_answered)
    url = settings.database_url
    with serving(settings) as (_, admin):
        agent_id = ok(admin.post("/api/agents", json={"name": "friend"}), 201)["id"]
        body = {"agent_id": agent_id, "input": "My cat is called Miso."}
        run = ok(admin.post("/api/runs", json=body), 201)
        assert wait_for_run(admin, run["id"])["status"] == "completed"
        eventually(url, _items("message"), lambda items: len(items) == 2)
        eventually(url, lambda _: _nothing(), lambda _: bool(calls), seconds=10)
    job = query(url, _job_of(run["id"]))
    assert job.status == "running" and query(url, _items("fact")) == []

    with serving(settings, memory_jobs_interval_seconds=0.2, memory_job_stale_seconds=0.5):
        job = eventually(url, _job_of(run["id"]), lambda j: j.status == "completed", seconds=20)
    assert job.status == "completed" and job.meta["attempts"] == 2
    [fact] = query(url, _items("fact"))
    assert fact.text == "Ann's cat is called Miso." and fact.run_id == run["id"]
    assert len(query(url, _items("message"))) == 2  # the turns were not stored twice


async def _nothing() -> None:
    return None
