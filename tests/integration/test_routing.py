"""Chat routing end to end: the route opens the trace, fast runs get no tools, /confirm makes
every call wait, /deep and teams, and a router model for the messages the rules are unsure of."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.config import Settings
from nexora.security.verdict import Danger
from nexora.storage.base import new_id
from nexora.storage.models import Group, GroupMember
from tests.fakes.openai_server import FakeOpenAIServer, Reply, ToolCall, mentions
from tests.support.api import ok
from tests.support.db import query
from tests.support.runs import counting_tool, events_of, wait_for_run
from tests.support.sse import stream

ROUTER_PROMPT = "You route chat messages"
UNSURE = "Tell me a little about the history of the Roman empire and its fall"


def _agent(admin: httpx.Client, **extra: object) -> dict[str, Any]:
    body = {"name": "assistant", **extra}
    agent: dict[str, Any] = ok(admin.post("/api/agents", json=body), 201)
    return agent


def _chat(admin: httpx.Client, agent_id: str, message: str, **kwargs: Any) -> list[Any]:
    return stream(
        admin, "POST", "/api/chat", json_body={"agent_id": agent_id, "message": message}, **kwargs
    )


def _wait_waiting(admin: httpx.Client, run_id: str) -> None:
    deadline = time.monotonic() + 20
    while ok(admin.get(f"/api/runs/{run_id}"))["status"] != "waiting_approval":
        assert time.monotonic() < deadline, "the run never waited for approval"
        time.sleep(0.02)


def _routing(admin: httpx.Client, run_id: str) -> dict[str, Any]:
    run = wait_for_run(admin, run_id)
    events = events_of(admin, run_id)
    assert events[0]["type"] == "route.chosen", [e["type"] for e in events]
    assert events[0]["payload"] == run["routing"]
    assert [e["type"] for e in events].count("route.chosen") == 1
    payload: dict[str, Any] = events[0]["payload"]
    return payload


def test_a_greeting_takes_the_fast_route_and_is_offered_no_tool(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    with counting_tool(danger=Danger.SAFE) as counter:
        agent = _agent(admin, tools=["add"])
        # The model tries a tool anyway: none exists for it, and nothing runs.
        llm.reply(Reply(tool_calls=(ToolCall("add", {"a": 1, "b": 2}),)))
        llm.reply_text("Hello!")
        events = _chat(admin, agent["id"], "hi")
        run_id = events[0].json["run_id"]
        # The stream opens with the route, before the run starts.
        assert [e.event for e in events[1:3]] == ["route.chosen", "run.started"]
        routing = _routing(admin, run_id)
        assert routing["route"] == "fast" and routing["by"] == "rule"
        assert routing["reason"] == "a greeting" and routing["scores"]["tool_cues"] == 0
        assert wait_for_run(admin, run_id)["output"] == "Hello!"
        assert counter.calls == []
        assert "tools" not in llm.chat_requests[0].json


def test_a_tool_request_takes_the_agent_route_with_its_tools(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    with counting_tool(danger=Danger.SAFE) as counter:
        agent = _agent(admin, tools=["add"])
        llm.reply_tool_call("add", {"a": 2, "b": 3})
        llm.reply_text("Five.")
        events = _chat(admin, agent["id"], "What is 2 + 3?")
        routing = _routing(admin, events[0].json["run_id"])
        assert routing["route"] == "agent" and "compute" in routing["reason"]
        assert counter.calls == [{"a": 2, "b": 3}]
        assert "add" in [t["function"]["name"] for t in llm.chat_requests[0].json["tools"]]


@pytest.mark.parametrize("prefix", ["/fast", "/快速"])
def test_fast_override_wins_over_the_rules_and_is_stripped(
    admin: httpx.Client, llm: FakeOpenAIServer, prefix: str
) -> None:
    agent = _agent(admin)
    llm.reply_text("From memory: 42.")
    events = _chat(admin, agent["id"], f"{prefix} read report.csv and compute the total")
    run_id = events[0].json["run_id"]
    routing = _routing(admin, run_id)
    assert routing == {"route": "fast", "reason": "the user asked for /fast", "by": "user"}
    assert wait_for_run(admin, run_id)["input"] == "read report.csv and compute the total"
    assert "tools" not in llm.chat_requests[0].json


@pytest.mark.parametrize("prefix", ["/confirm", "/确认"])
def test_confirm_route_asks_before_a_low_danger_call(
    admin: httpx.Client, llm: FakeOpenAIServer, prefix: str
) -> None:
    with counting_tool(danger=Danger.LOW) as counter:
        agent = _agent(admin, tools=["add"])
        llm.reply_tool_call("add", {"a": 4, "b": 5})
        llm.reply_text("Nine.")
        opened = _chat(admin, agent["id"], f"{prefix} add 4 and 5", until="tool.requires_approval")
        session_id, run_id = opened[0].json["session_id"], opened[0].json["run_id"]
        waiting = opened[-1].json["payload"]
        assert waiting["approver"] == "user" and waiting["danger"] == "low"
        assert "route.confirm" in [r["rule"] for r in waiting["reasons"]]
        assert counter.calls == []
        _wait_waiting(admin, run_id)
        # A bare /confirm (either spelling) still decides the waiting call.
        answered = stream(
            admin,
            "POST",
            "/api/chat",
            json_body={"session_id": session_id, "message": prefix},
        )
        assert answered[-1].event == "run.completed"
        assert counter.calls == [{"a": 4, "b": 5}]
        routing = _routing(admin, run_id)
        assert routing["by"] == "user" and routing["confirm"] is True
        assert wait_for_run(admin, run_id)["input"] == "add 4 and 5"


def test_deep_without_a_team_gives_the_agent_more_steps(
    admin: httpx.Client, llm: FakeOpenAIServer, settings: Settings
) -> None:
    agent = _agent(admin)
    llm.reply_text("A careful answer.")
    events = _chat(admin, agent["id"], "/深度 hi")
    routing = _routing(admin, events[0].json["run_id"])
    assert routing["route"] == "agent" and routing["deep"] is True
    assert routing["max_steps"] == settings.router_deep_max_steps


def _team(url: str, org_id: str, name: str, lead_id: str, member_id: str) -> str:
    group_id = new_id()

    async def work(session: AsyncSession) -> None:
        session.add(Group(id=group_id, org_id=org_id, name=name))
        await session.flush()
        session.add_all(
            [
                GroupMember(org_id=org_id, group_id=group_id, agent_id=member_id, position=0),
                GroupMember(
                    org_id=org_id, group_id=group_id, agent_id=lead_id, is_lead=True, position=1
                ),
            ]
        )
        await session.commit()

    query(url, work)
    return group_id


def test_team_route_starts_a_run_of_the_agents_team(
    admin: httpx.Client, llm: FakeOpenAIServer, settings: Settings
) -> None:
    lead = _agent(admin, name="lead")
    dev = _agent(admin, name="dev")
    group_id = _team(settings.database_url, lead["org_id"], "builders", lead["id"], dev["id"])
    front = _agent(admin, name="front", team="builders")
    llm.reply_text("The team will do it.")
    events = _chat(admin, front["id"], "Review and test the login module")
    run_id = events[0].json["run_id"]
    routing = _routing(admin, run_id)
    assert routing["route"] == "team" and routing["by"] == "rule"
    assert routing["group_id"] == group_id and routing["team"] == "builders"
    run = wait_for_run(admin, run_id)
    assert run["agent_id"] == lead["id"]  # a team run is the lead's
    # /deep on an agent with a team goes to the team as well; routing "off" sends the same
    # request to the agent alone.
    llm.reply_text("Deep.")
    deep = _routing(admin, _chat(admin, front["id"], "/deep hi")[0].json["run_id"])
    assert deep["route"] == "team" and deep["deep"] is True and deep["by"] == "user"
    spec = {"name": "front", "team": "builders", "routing": "off"}
    ok(admin.put(f"/api/agents/{front['id']}", json=spec))
    llm.reply_text("Alone.")
    off = _routing(admin, _chat(admin, front["id"], "Review and test it")[0].json["run_id"])
    assert off == {"route": "agent", "reason": "routing is off for this agent", "by": "rule"}


class TestRouterModel:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(
            update={"router_model": "openai:router-model", "router_timeout_seconds": 5.0}
        )

    def test_the_model_routes_what_the_rules_are_unsure_of(
        self, admin: httpx.Client, llm: FakeOpenAIServer
    ) -> None:
        llm.answer_when(
            mentions(ROUTER_PROMPT),
            lambda body: Reply(
                tool_calls=(ToolCall("final_result", {"route": "fast", "reason": "history"}),)
            ),
        )
        agent = _agent(admin)
        llm.reply_text("Rome fell in 476.")
        run_id = _chat(admin, agent["id"], UNSURE)[0].json["run_id"]
        routing = _routing(admin, run_id)
        assert routing["route"] == "fast" and routing["by"] == "model"
        assert routing["reason"] == "history"
        asked = [r for r in llm.chat_requests if ROUTER_PROMPT in str(r.json)]
        assert len(asked) == 1 and asked[0].json["model"] == "router-model"
        # A message the rules are sure of never reaches the router model.
        llm.reply_text("Hello!")
        _routing(admin, _chat(admin, agent["id"], "hi")[0].json["run_id"])
        assert len([r for r in llm.chat_requests if ROUTER_PROMPT in str(r.json)]) == 1

    def test_a_failing_model_leaves_the_choice_to_the_rules(
        self, admin: httpx.Client, llm: FakeOpenAIServer
    ) -> None:
        llm.answer_when(mentions(ROUTER_PROMPT), lambda body: Reply(status=400))
        agent = _agent(admin)
        llm.reply_text("An answer.")
        routing = _routing(admin, _chat(admin, agent["id"], UNSURE)[0].json["run_id"])
        assert routing["route"] == "agent" and routing["by"] == "rule"
        assert "router model failed" in routing["reason"]
