"""Team runs over HTTP on both backends: members in order or at once, the lead's decision,
the blackboard entry, who may start them."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.config import Settings
from nexora.storage.models import MemoryItem, TokenUsage
from tests.fakes.openai_server import FakeOpenAIServer, Reply, mentions
from tests.support.api import assert_problem, auth, login, ok
from tests.support.db import eventually, query
from tests.support.runs import counting_tool, events_of, wait_for_run
from tests.support.server import RunningServer
from tests.support.sse import stream
from tests.support.teams import add_role, add_team, grant_group


def _agent(admin: httpx.Client, name: str, persona: str, **extra: object) -> str:
    body = {"name": name, "persona": persona, **extra}
    agent_id: str = ok(admin.post("/api/agents", json=body), 201)["id"]
    return agent_id


def _team(
    admin: httpx.Client, settings: Settings, *, tools: list[str] | None = None
) -> dict[str, str]:
    """A lead and two members: a researcher (with a role) and a critic."""
    org_id = ok(admin.get("/api/auth/me"))["org_id"]
    lead = _agent(admin, "lead", "You lead the team.")
    researcher = _agent(admin, "researcher", "You research.", tools=tools or [])
    critic = _agent(admin, "critic", "You criticise.")
    role = add_role(settings.database_url, org_id, "analyst", "Find the facts and cite them.")
    group = add_team(
        settings.database_url,
        org_id,
        "research-team",
        lead=lead,
        members=[(researcher, role), (critic, None)],
    )
    return {
        "org_id": org_id,
        "group": group,
        "lead": lead,
        "researcher": researcher,
        "critic": critic,
    }


def _messages(request_body: dict[str, Any]) -> str:
    return json.dumps(request_body["messages"], ensure_ascii=False)


def test_serial_team_run_members_in_order_then_the_lead_decides(
    admin: httpx.Client, llm: FakeOpenAIServer, settings: Settings
) -> None:
    llm.reply_tool_call("add", {"a": 40, "b": 2}, usage=(11, 3))
    llm.reply_text("The sum is 42, says the add tool.", usage=(12, 4))
    llm.reply_text("Agreed, 42; no objection.", usage=(13, 5))
    llm.reply_text("Decision: the answer is 42.", usage=(14, 6))
    with counting_tool() as counter:
        team = _team(admin, settings, tools=["add"])
        run = ok(
            admin.post(f"/api/groups/{team['group']}/runs", json={"input": "What is 40+2?"}), 201
        )
        assert run["group_id"] == team["group"] and run["agent_id"] == team["lead"]
        done = wait_for_run(admin, run["id"])
    assert done["status"] == "completed", done
    assert done["output"] == "Decision: the answer is 42."
    assert counter.calls == [{"a": 40, "b": 2}]
    assert done["usage"] == {"prompt_tokens": 50, "completion_tokens": 18, "total_tokens": 68}

    events = events_of(admin, run["id"])
    messages = [
        (e["type"], e["payload"].get("agent_id"))
        for e in events
        if e["type"] in ("message.task", "message.proposal", "message.decision")
    ]
    assert messages == [
        ("message.task", team["researcher"]),
        ("message.proposal", team["researcher"]),
        ("message.task", team["critic"]),
        ("message.proposal", team["critic"]),
        ("message.task", team["lead"]),
        ("message.decision", team["lead"]),
    ]
    started = events[0]
    assert started["type"] == "run.started" and started["payload"]["mode"] == "serial"
    statuses = [
        (e["payload"]["agent"], e["payload"]["status"])
        for e in events
        if e["type"] == "message.status"
    ]
    assert statuses == [
        ("researcher", "working"),
        ("researcher", "done"),
        ("critic", "working"),
        ("critic", "done"),
        ("lead", "working"),
        ("lead", "done"),
    ]
    task = next(e["payload"] for e in events if e["type"] == "message.task")
    assert task["role"] == "analyst" and "What is 40+2?" in task["task"]
    evidence = next(e["payload"] for e in events if e["type"] == "message.evidence")
    assert evidence["agent_id"] == team["researcher"]
    assert evidence["evidence"] == [{"tool": "add", "excerpt": "42"}]
    decision = next(e["payload"] for e in events if e["type"] == "message.decision")
    assert decision["text"] == "Decision: the answer is 42."
    assert {c["agent"] for c in decision["contributors"]} == {"researcher", "critic"}
    assert events[-1]["type"] == "run.completed"

    # Each member works in its own agent's configuration, with its role's instructions.
    researcher_prompt = _messages(llm.chat_requests[0].json)
    assert (
        "You research." in researcher_prompt
        and "Find the facts and cite them." in researcher_prompt
    )
    critic_prompt = _messages(llm.chat_requests[2].json)
    assert "You criticise." in critic_prompt and "Find the facts" not in critic_prompt
    # The critic reads the researcher's proposal, not its tool transcript.
    assert "The sum is 42, says the add tool." in critic_prompt
    assert all(m["role"] != "tool" for m in llm.chat_requests[2].json["messages"])
    lead_prompt = _messages(llm.chat_requests[3].json)
    assert "You lead the team." in lead_prompt
    assert "Agreed, 42; no objection." in lead_prompt and "The sum is 42" in lead_prompt

    children = ok(admin.get(f"/api/runs/{run['id']}/children"))["items"]
    assert [c["agent_id"] for c in children] == [team["researcher"], team["critic"], team["lead"]]
    assert all(c["parent_run_id"] == run["id"] and c["status"] == "completed" for c in children)
    assert children[0]["output"] == "The sum is 42, says the add tool."
    child_events = {e["type"] for e in events_of(admin, children[0]["id"])}
    assert {"run.started", "tool.called", "tool.result", "run.completed"} <= child_events

    listed = ok(admin.get(f"/api/groups/{team['group']}/runs"))
    assert [r["id"] for r in listed["items"]] == [run["id"]] and listed["total"] == 1

    async def usage_by_agent(session: AsyncSession) -> dict[str, int]:
        rows = await session.scalars(select(TokenUsage).where(TokenUsage.run_id.is_not(None)))
        totals: dict[str, int] = {}
        for row in rows:
            totals[row.agent_id or ""] = totals.get(row.agent_id or "", 0) + row.prompt_tokens
        return totals

    usage = eventually(settings.database_url, usage_by_agent, lambda found: len(found) >= 3)
    assert usage == {team["researcher"]: 23, team["critic"]: 13, team["lead"]: 14}

    async def blackboard(session: AsyncSession) -> list[MemoryItem]:
        return list(
            await session.scalars(select(MemoryItem).where(MemoryItem.group_id == team["group"]))
        )

    (entry,) = query(settings.database_url, blackboard)
    assert entry.layer == "episodic" and entry.kind == "outcome" and entry.origin == "auto"
    assert entry.run_id == run["id"] and entry.agent_id is None
    for part in ("What is 40+2?", "Decision: the answer is 42.", "add: 42", "researcher (analyst)"):
        assert part in entry.text, entry.text

    # In the team's next run, a member's memory search finds the blackboard entry, and a
    # member can write to the blackboard.
    llm.reply_tool_call("memory_search", {"query": "answer 42 decision"})
    llm.reply_text("Last time we decided 42.")
    llm.reply_tool_call("blackboard_write", {"text": "Critic note: check the inputs."})
    llm.reply_text("Nothing to add.")
    llm.reply_text("Decision again: 42.")
    with counting_tool():
        again = ok(admin.post(f"/api/groups/{team['group']}/runs", json={"input": "Again?"}), 201)
        assert wait_for_run(admin, again["id"])["status"] == "completed"
    researcher_run, critic_run, _ = ok(admin.get(f"/api/runs/{again['id']}/children"))["items"]
    found = next(
        e["payload"]["content"]
        for e in events_of(admin, researcher_run["id"])
        if e["type"] == "tool.result"
    )
    assert "Decision: the answer is 42." in found
    written = next(
        e["payload"] for e in events_of(admin, critic_run["id"]) if e["type"] == "memory.written"
    )
    assert written["tool"] == "blackboard_write" and written["group_id"] == team["group"]
    texts = {item.text for item in query(settings.database_url, blackboard)}
    assert "Critic note: check the inputs." in texts and len(texts) == 3


def test_parallel_team_run_members_work_at_once(
    admin: httpx.Client, llm: FakeOpenAIServer, settings: Settings
) -> None:
    llm.answer_when(mentions("You research."), lambda _: Reply(text="Research: 42.", delay=0.8))
    llm.answer_when(mentions("You criticise."), lambda _: Reply(text="Critique: fine.", delay=0.8))
    llm.answer_when(mentions("You lead the team."), lambda _: Reply(text="Decided: 42."))
    team = _team(admin, settings)
    run = ok(
        admin.post(
            f"/api/groups/{team['group']}/runs", json={"input": "40+2?", "mode": "parallel"}
        ),
        201,
    )
    done = wait_for_run(admin, run["id"])
    assert done["status"] == "completed", done
    assert done["output"] == "Decided: 42."
    events = events_of(admin, run["id"])
    assert events[0]["payload"]["mode"] == "parallel"
    kinds = [
        (e["type"], e["payload"].get("status"))
        for e in events
        if e["type"] in ("message.status", "message.proposal")
    ]
    # Both members were working before either proposed anything.
    assert kinds[:2] == [("message.status", "working")] * 2
    proposals = {e["payload"]["text"] for e in events if e["type"] == "message.proposal"}
    assert proposals == {"Research: 42.", "Critique: fine."}
    assert [e["type"] for e in events if e["type"].startswith("message.")][-4:] == [
        "message.task",
        "message.status",
        "message.status",
        "message.decision",
    ]
    children = ok(admin.get(f"/api/runs/{run['id']}/children"))["items"]
    members = [c for c in children if c["agent_id"] != team["lead"]]
    assert len(members) == 2
    starts = [datetime.fromisoformat(c["started_at"]) for c in members]
    ends = [datetime.fromisoformat(c["finished_at"]) for c in members]
    assert max(starts) < min(ends)  # the two member runs overlapped in time
    # Neither member saw the other's proposal.
    for request in llm.chat_requests[:2]:
        assert "Research: 42." not in _messages(request.json)
        assert "Critique: fine." not in _messages(request.json)


def test_failing_member_is_left_out_and_all_failing_fails_the_run(
    admin: httpx.Client, llm: FakeOpenAIServer, settings: Settings
) -> None:
    team = _team(admin, settings)
    llm.answer_when(
        mentions("You research."), lambda _: Reply(status=400, error_message="model broke")
    )
    llm.answer_when(mentions("You criticise."), lambda _: Reply(text="Critique stands."))
    llm.answer_when(mentions("You lead the team."), lambda _: Reply(text="Decided without R."))
    run = ok(admin.post(f"/api/groups/{team['group']}/runs", json={"input": "go"}), 201)
    done = wait_for_run(admin, run["id"])
    assert done["status"] == "completed" and done["output"] == "Decided without R."
    events = events_of(admin, run["id"])
    failed = [e["payload"] for e in events if e["payload"].get("status") == "failed"]
    assert [f["agent"] for f in failed] == ["researcher"] and "model broke" in failed[0]["error"]
    lead_prompt = _messages(llm.chat_requests[-1].json)
    assert "could not contribute: researcher (analyst)" in lead_prompt

    critic_only = add_team(
        settings.database_url,
        team["org_id"],
        "broken-team",
        lead=team["lead"],
        members=[(team["researcher"], None)],
    )
    broken = ok(admin.post(f"/api/groups/{critic_only}/runs", json={"input": "go"}), 201)
    done = wait_for_run(admin, broken["id"])
    assert done["status"] == "failed" and "every member of the team failed" in done["error"]


def test_who_may_start_team_runs(
    server: RunningServer, admin: httpx.Client, anon: httpx.Client, settings: Settings
) -> None:
    team = _team(admin, settings)
    url = settings.database_url
    operator = ok(
        admin.post("/api/admin/users", json={"username": "op", "password": "password-1"}), 201
    )
    op = auth(login(anon, "op", "password-1"))
    body = {"input": "go"}
    assert_problem(
        anon.post(f"/api/groups/{team['group']}/runs", json=body, headers=op), 403, "no grant"
    )
    assert_problem(anon.get(f"/api/groups/{team['group']}/runs", headers=op), 403)
    grant_group(url, team["org_id"], operator["id"], team["group"])
    mine = ok(anon.post(f"/api/groups/{team['group']}/runs", json=body, headers=op), 201)
    assert mine["user_id"] == operator["id"]
    assert [
        r["id"] for r in ok(anon.get(f"/api/groups/{team['group']}/runs", headers=op))["items"]
    ] == [mine["id"]]

    no_lead = add_team(url, team["org_id"], "no-lead", lead=None, members=[(team["critic"], None)])
    assert_problem(admin.post(f"/api/groups/{no_lead}/runs", json=body), 422, "lead")
    alone = add_team(url, team["org_id"], "alone", lead=team["lead"], members=[])
    assert_problem(admin.post(f"/api/groups/{alone}/runs", json=body), 422, "besides its lead")
    assert_problem(
        admin.post(f"/api/groups/{team['group']}/runs", json={"input": "x", "mode": "chaos"}), 422
    )

    org = ok(admin.post("/api/admin/orgs", json={"name": "elsewhere"}), 201)
    ok(
        admin.post(
            "/api/admin/users",
            json={
                "username": "other",
                "password": "password-1",
                "role": "admin",
                "org_id": org["id"],
            },
        ),
        201,
    )
    other = auth(login(anon, "other", "password-1"))
    assert_problem(anon.post(f"/api/groups/{team['group']}/runs", json=body, headers=other), 404)
    assert_problem(anon.get(f"/api/groups/{team['group']}/runs", headers=other), 404)


def test_role_tool_rules_narrow_a_member_and_the_run_streams_and_cancels(
    admin: httpx.Client, llm: FakeOpenAIServer, settings: Settings
) -> None:
    org_id = ok(admin.get("/api/auth/me"))["org_id"]
    lead = _agent(admin, "lead", "You lead the team.")
    calc = _agent(admin, "calc", "You calculate.", tools=["add"])
    slow = _agent(admin, "slow", "You take your time.")
    reviewer = add_role(
        settings.database_url, org_id, "reviewer", "Review only.", {"block": ["add"]}
    )
    group = add_team(settings.database_url, org_id, "narrow", lead=lead, members=[(calc, reviewer)])
    llm.reply_tool_call("add", {"a": 1, "b": 2})
    llm.reply_text("I may not add.")
    llm.reply_text("Decided.")
    with counting_tool() as counter:
        run = ok(admin.post(f"/api/groups/{group}/runs", json={"input": "1+2?"}), 201)
        events = stream(admin, "GET", f"/api/runs/{run['id']}/stream")
    assert counter.calls == []  # the agent allows `add`; its role in this team does not
    assert events[-1].event == "run.completed"
    assert "message.decision" in [e.event for e in events]
    member = ok(admin.get(f"/api/runs/{run['id']}/children"))["items"][0]
    blocked = next(e for e in events_of(admin, member["id"]) if e["type"] == "tool.blocked")
    assert blocked["payload"]["reasons"][-1]["rule"] == "policy.role_block"

    # Cancelling a team run stops the member at work and ends the member's run too.
    waiting = add_team(settings.database_url, org_id, "waiting", lead=lead, members=[(slow, None)])
    llm.answer_when(mentions("You take your time."), lambda _: Reply(text="late", delay=60))
    run = ok(admin.post(f"/api/groups/{waiting}/runs", json={"input": "wait"}), 201)
    deadline = time.monotonic() + 10
    while not any(e["type"] == "message.status" for e in events_of(admin, run["id"])):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    ok(admin.post(f"/api/runs/{run['id']}/cancel"))
    done = wait_for_run(admin, run["id"], seconds=5)
    assert done["status"] == "cancelled"
    (child,) = ok(admin.get(f"/api/runs/{run['id']}/children"))["items"]
    assert child["status"] == "cancelled"
