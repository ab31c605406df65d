"""Helpers for playbook tests: teams written straight to storage, a scripted model that plays
each stage, and waiting for a playbook run to reach a state."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.storage.models import Group, GroupGrant, GroupMember, Role
from tests.fakes.openai_server import FakeOpenAIServer, Reply, ToolCall
from tests.support.api import ok
from tests.support.db import query

HEADER = re.compile(r"stage '([^']+)' \(\d+ of \d+\), attempt (\d+)")


@dataclass
class StageReply:
    """What a stage's agent does: these tool calls in one step, then this final answer."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    answer: str = "done"
    delay: float = 0.0  # seconds before the first reply (a slow stage)
    answer_delay: float = 0.0  # seconds before the answer that follows the tool calls


Script = Callable[[str, int], StageReply]  # (stage, attempt) -> what the agent does


def play_stages(llm: FakeOpenAIServer, script: Script) -> list[tuple[str, int]]:
    """Answers every stage run's model calls from `script`; returns the (stage, attempt) of
    every stage run's first model call, in order."""
    started: list[tuple[str, int]] = []

    def respond(body: dict[str, Any]) -> Reply:
        messages = body["messages"]
        text = json.dumps(messages, ensure_ascii=False)
        found = HEADER.search(text)
        assert found is not None
        stage, attempt = found.group(1), int(found.group(2))
        plan = script(stage, attempt)
        if messages[-1]["role"] == "tool":
            return Reply(text=plan.answer, delay=plan.answer_delay)
        started.append((stage, attempt))
        if not plan.calls:
            return Reply(text=plan.answer, delay=plan.delay)
        calls = tuple(ToolCall(name, args) for name, args in plan.calls)
        return Reply(tool_calls=calls, delay=plan.delay)

    llm.answer_when(
        lambda body: HEADER.search(json.dumps(body.get("messages", []))) is not None, respond
    )
    return started


def make_team(url: str, org_id: str, name: str, members: list[tuple[str, str]]) -> str:
    """A team whose members are (agent id, role name); roles are created as needed."""

    async def work(session: AsyncSession) -> str:
        group = Group(org_id=org_id, name=name)
        session.add(group)
        roles: dict[str, Role] = {}
        for position, (agent_id, role_name) in enumerate(members):
            if role_name not in roles:
                roles[role_name] = Role(org_id=org_id, name=role_name)
                session.add(roles[role_name])
            await session.flush()
            session.add(
                GroupMember(
                    org_id=org_id,
                    group_id=group.id,
                    agent_id=agent_id,
                    role_id=roles[role_name].id,
                    position=position,
                    is_lead=position == 0,
                )
            )
        await session.commit()
        return group.id

    return query(url, work)


def wait_for_playbook(
    client: httpx.Client, run_id: str, statuses: set[str], seconds: float = 30
) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    run: dict[str, Any] = {}
    while time.monotonic() < deadline:
        run = ok(client.get(f"/api/playbook-runs/{run_id}"))
        if run["status"] in statuses:
            return run
        time.sleep(0.05)
    raise AssertionError(f"playbook run {run_id} did not reach {statuses}: {run}")


def grant_team(url: str, org_id: str, user_id: str, group_id: str) -> None:
    async def work(session: AsyncSession) -> None:
        session.add(GroupGrant(org_id=org_id, user_id=user_id, group_id=group_id))
        await session.commit()

    query(url, work)
