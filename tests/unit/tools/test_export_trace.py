"""export_trace and its loader against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nexora.errors import NotFound
from nexora.storage import migrate
from nexora.storage.base import utcnow
from nexora.storage.db import Database
from nexora.storage.models import AgentRecord, Org, Run, RunEvent, RunStep, User
from nexora.tools.base import ToolError
from nexora.tools.builtin import BUILTIN_TOOLS
from nexora.tools.builtin.export_trace import ExportTraceInput
from nexora.tools.trace import load_run_trace
from tests.unit.tools.conftest import MakeContext

EXPORT = BUILTIN_TOOLS["export_trace"]


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    await migrate.upgrade(database)
    try:
        yield database
    finally:
        await database.dispose()


async def _a_run(db: Database) -> tuple[str, str]:
    """An org with one finished run: two steps and three events."""
    async with db.session() as session:
        org, other = Org(name="acme"), Org(name="other")
        user = User(username="ann", password_hash="x")
        session.add_all([org, other, user])
        await session.flush()
        agent = AgentRecord(org_id=org.id, name="helper", config_yaml="name: helper\n")
        session.add(agent)
        await session.flush()
        run = Run(
            org_id=org.id,
            agent_id=agent.id,
            user_id=user.id,
            input="list the files",
            status="completed",
            output="two files",
            lease_owner="worker-7",
        )
        session.add(run)
        await session.flush()
        call = [{"kind": "response", "parts": [{"tool_name": "list_files", "args": {}}]}]
        session.add_all(
            [
                RunStep(run_id=run.id, index=0, kind="model", messages=call, prompt_tokens=12),
                RunStep(run_id=run.id, index=1, kind="tools", messages=[{"kind": "request"}]),
            ]
        )
        for seq, kind in enumerate(["run.started", "tool.called", "run.completed"], start=1):
            session.add(
                RunEvent(run_id=run.id, seq=seq, type=kind, created_at=utcnow(), payload={"n": seq})
            )
        await session.commit()
        return org.id, run.id


async def test_the_loader_returns_run_steps_and_events_in_order(db: Database) -> None:
    org_id, run_id = await _a_run(db)
    trace = await load_run_trace(db, org_id, run_id)
    assert trace["run"]["id"] == run_id and trace["run"]["status"] == "completed"
    assert trace["run"]["input"] == "list the files" and "lease_owner" not in trace["run"]
    assert [s["index"] for s in trace["steps"]] == [0, 1]
    assert trace["steps"][0]["messages"][0]["parts"][0]["tool_name"] == "list_files"
    assert [e["type"] for e in trace["events"]] == ["run.started", "tool.called", "run.completed"]
    json.dumps(trace)  # nothing in it needs a custom encoder


async def test_another_orgs_run_is_not_found(db: Database) -> None:
    _org_id, run_id = await _a_run(db)
    with pytest.raises(NotFound):
        await load_run_trace(db, "some-other-org", run_id)


async def test_the_tool_writes_the_trace_into_the_workspace(
    db: Database, make_context: MakeContext, workspace: Path
) -> None:
    org_id, run_id = await _a_run(db)
    context = make_context(
        org_id=org_id,
        run_id=run_id,
        load_trace=functools.partial(load_run_trace, db, org_id, run_id),
    )
    args = ExportTraceInput()
    assert EXPORT.check(args, context).allowed
    message = await EXPORT.run(args, context)
    assert message == f"Saved run {run_id} (2 steps, 3 events) to traces/{run_id}.json."
    saved = json.loads((workspace / "traces" / f"{run_id}.json").read_text())
    assert saved == await load_run_trace(db, org_id, run_id)


async def test_the_tool_refuses_paths_outside_the_workspace(make_context: MakeContext) -> None:
    async def never() -> dict[str, object]:
        raise AssertionError("not loaded")

    context = make_context(load_trace=never)
    assert not EXPORT.check(ExportTraceInput(path="/tmp/trace.json"), context).allowed
    with pytest.raises(ToolError, match="cannot be exported"):
        await EXPORT.run(ExportTraceInput(), make_context())
