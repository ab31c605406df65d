"""Dispatch: the secretary picks agents by their capabilities among those the caller may use,
reuses an identical team, names the roles itself when asked to, and keeps dispatches private."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.config import Settings
from nexora.storage.base import new_id
from nexora.storage.models import Group, GroupMember, Role
from tests.fakes.openai_server import FakeOpenAIServer, Reply, ToolCall, mentions
from tests.fakes.web_site import LoopbackSite
from tests.fakes.web_site import Reply as SiteReply
from tests.support.api import assert_problem, auth, login, ok
from tests.support.channels import SECRET, create_channel, make_agent, wait_for
from tests.support.db import query
from tests.support.server import RunningServer

ROLES_PROMPT = "Which of these capabilities does the objective need?"


def _agent(admin: httpx.Client, name: str, capabilities: list[str]) -> dict[str, Any]:
    body = {"name": name, "capabilities": capabilities}
    agent: dict[str, Any] = ok(admin.post("/api/agents", json=body), 201)
    return agent


def _tester_role(url: str, org_id: str, agent_id: str) -> str:
    """qa-bot declares nothing itself: it can test because it holds the tester role."""
    role_id, group_id = new_id(), new_id()

    async def work(session: AsyncSession) -> None:
        session.add(Role(id=role_id, org_id=org_id, name="tester", capabilities=["qa", "testing"]))
        session.add(Group(id=group_id, org_id=org_id, name="qa-guild"))
        await session.flush()
        session.add(
            GroupMember(
                org_id=org_id, group_id=group_id, agent_id=agent_id, role_id=role_id, is_lead=True
            )
        )
        await session.commit()

    query(url, work)
    return role_id


def _setup(
    server: RunningServer, admin: httpx.Client, anon: httpx.Client
) -> tuple[dict[str, str], dict[str, dict[str, Any]], str]:
    agents = {
        "web-dev": _agent(admin, "web-dev", ["frontend", "css"]),
        "api-dev": _agent(admin, "api-dev", ["backend", "API"]),
        "qa-bot": _agent(admin, "qa-bot", []),
        # More specialised than web-dev, so it would win "frontend": but olga may not use it.
        "other-fe": _agent(admin, "other-fe", ["frontend"]),
    }
    org_id = agents["web-dev"]["org_id"]
    role_id = _tester_role(server.platform.settings.database_url, org_id, agents["qa-bot"]["id"])
    body = {"username": "olga", "password": "password-123", "role": "operator"}
    olga = ok(admin.post("/api/admin/users", json=body), 201)
    for name in ("web-dev", "api-dev", "qa-bot"):
        grant = {"user_id": olga["id"], "agent_id": agents[name]["id"]}
        ok(admin.post("/api/admin/grants", json=grant), 201)
    return auth(login(anon, "olga", "password-123")), agents, role_id


def test_dispatch_picks_granted_agents_by_capability(
    server: RunningServer, admin: httpx.Client, anon: httpx.Client
) -> None:
    olga, agents, tester_role = _setup(server, admin, anon)
    body = {"objective": "Build the signup page and test it", "required_roles": ["Frontend", "qa"]}
    made = ok(anon.post("/api/dispatch", json=body, headers=olga), 201)
    assert [(a["role"], a["agent"]) for a in made["assignments"]] == [
        ("Frontend", "web-dev"),
        ("qa", "qa-bot"),
    ]
    assert made["assignments"][0]["agent_id"] == agents["web-dev"]["id"]
    assert made["assignments"][1]["role_id"] == tester_role
    assert made["roles_by"] == "caller" and made["reply_to"] == "api"
    # A team run of the chosen agents, the first one leading, started as olga.
    assert made["status"] == "running" and made["error"] is None
    run = ok(anon.get(f"/api/runs/{made['run_id']}", headers=olga))
    assert run["group_id"] == made["group_id"] and run["agent_id"] == agents["web-dev"]["id"]
    seen = ok(anon.get(f"/api/dispatch/{made['id']}", headers=olga))
    assert seen["assignments"] == made["assignments"] and seen["run_id"] == made["run_id"]

    secretary = [a for a in ok(admin.get("/api/agents")) if a["name"] == "secretary"]
    assert len(secretary) == 1 and "dispatch" in secretary[0]["capabilities"]
    assert "secretary" in secretary[0]["persona"]

    # The same agents in the same roles: the same team, and still one secretary.
    again = ok(anon.post("/api/dispatch", json=body, headers=olga), 201)
    assert again["group_id"] == made["group_id"] and again["id"] != made["id"]
    assert len([a for a in ok(admin.get("/api/agents")) if a["name"] == "secretary"]) == 1
    # The tester role's name is a capability as well; an admin may use every agent.
    by_role = ok(admin.post("/api/dispatch", json={**body, "required_roles": ["tester"]}), 201)
    assert [a["agent"] for a in by_role["assignments"]] == ["qa-bot"]
    admins_fe = ok(admin.post("/api/dispatch", json={**body, "required_roles": ["frontend"]}), 201)
    assert [a["agent"] for a in admins_fe["assignments"]] == ["other-fe"]


def test_no_agent_for_a_role_is_422(
    server: RunningServer, admin: httpx.Client, anon: httpx.Client
) -> None:
    olga, _, _ = _setup(server, admin, anon)
    body = {"objective": "Ship the iOS app", "required_roles": ["frontend", "mobile"]}
    assert_problem(anon.post("/api/dispatch", json=body, headers=olga), 422, "'mobile'")
    assert_problem(
        anon.post("/api/dispatch", json={**body, "reply_to": "ftp://x"}, headers=olga),
        422,
        "reply_to",
    )


def test_the_secretary_names_the_roles_with_its_model(
    server: RunningServer, admin: httpx.Client, anon: httpx.Client, llm: FakeOpenAIServer
) -> None:
    olga, _, _ = _setup(server, admin, anon)
    llm.answer_when(
        mentions(ROLES_PROMPT),
        lambda body: Reply(
            tool_calls=(ToolCall("final_result", {"roles": ["Backend", "juggling"]}),)
        ),
    )
    made = ok(
        anon.post("/api/dispatch", json={"objective": "Add a refunds endpoint"}, headers=olga), 201
    )
    assert made["roles_by"] == "model"
    # A capability nobody has is dropped: the model only chooses among those on offer.
    assert [(a["role"], a["agent"]) for a in made["assignments"]] == [("backend", "api-dev")]
    asked = [r for r in llm.chat_requests if ROLES_PROMPT in str(r.json)]
    assert len(asked) == 1 and "frontend" in str(asked[0].json)
    assert "other-fe" not in str(asked[0].json)


def test_rules_name_the_roles_when_the_model_fails(
    server: RunningServer, admin: httpx.Client, anon: httpx.Client, llm: FakeOpenAIServer
) -> None:
    olga, _, _ = _setup(server, admin, anon)
    llm.answer_when(mentions(ROLES_PROMPT), lambda body: Reply(status=400))
    objective = {"objective": "Build the backend API and test it"}
    made = ok(anon.post("/api/dispatch", json=objective, headers=olga), 201)
    assert made["roles_by"] == "rule"
    assert {a["agent"] for a in made["assignments"]} == {"api-dev", "qa-bot"}
    vague = {"objective": "Make it better"}
    assert_problem(anon.post("/api/dispatch", json=vague, headers=olga), 422, "name them")


def test_dispatches_are_private(
    server: RunningServer, admin: httpx.Client, anon: httpx.Client
) -> None:
    olga, _, _ = _setup(server, admin, anon)
    body = {"objective": "Style the header", "required_roles": ["frontend"]}
    made = ok(anon.post("/api/dispatch", json=body, headers=olga), 201)
    ok(admin.post("/api/admin/users", json={"username": "bob", "password": "password-123"}), 201)
    bob = auth(login(anon, "bob", "password-123"))
    assert_problem(anon.get(f"/api/dispatch/{made['id']}", headers=bob), 404)
    assert ok(admin.get(f"/api/dispatch/{made['id']}"))["id"] == made["id"]
    org = ok(admin.post("/api/admin/orgs", json={"name": "acme"}), 201)
    other = {"username": "acme-admin", "password": "password-123", "role": "admin"}
    ok(admin.post("/api/admin/users", json={**other, "org_id": org["id"]}), 201)
    acme = auth(login(anon, "acme-admin", "password-123"))
    assert_problem(anon.get(f"/api/dispatch/{made['id']}", headers=acme), 404)
    # Another org's secretary has none of this org's agents to choose from.
    assert_problem(anon.post("/api/dispatch", json=body, headers=acme), 422, "frontend")


class TestReporting:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"web_allowed_hosts": ["127.0.0.1"]})

    def test_a_finished_dispatch_keeps_its_result_and_posts_it_to_its_webhook(
        self, server: RunningServer, admin: httpx.Client, llm: FakeOpenAIServer
    ) -> None:
        _agent(admin, "web-dev", ["frontend"])
        body = {"required_roles": ["frontend"], "objective": "Style the header"}
        with LoopbackSite() as site:
            site.route("/hook", SiteReply(204))
            llm.reply_text("The header is styled.")
            hooked = ok(
                admin.post("/api/dispatch", json={**body, "reply_to": site.url("/hook")}), 201
            )
            # One agent: a plain run of it.
            assert hooked["status"] == "running" and hooked["run_id"]
            done = _eventually_settled(admin, hooked["id"])
            assert done["status"] == "completed" and done["result"] == "The header is styled."
            assert done["delivery"] == "delivered (HTTP 204)"
            (posted,) = site.requests
            assert posted.method == "POST" and posted.json()["id"] == hooked["id"]
            assert posted.json()["result"] == "The header is styled."
        llm.reply_text("Styled again.")
        refused = ok(
            admin.post("/api/dispatch", json={**body, "reply_to": "http://127.0.0.2:9/x"}), 201
        )
        failed = _eventually_settled(admin, refused["id"])
        assert failed["status"] == "completed" and failed["delivery"].startswith("failed:")
        assert "loopback" in failed["delivery"]

    def test_a_finished_dispatch_is_posted_in_a_chat(
        self, server: RunningServer, admin: httpx.Client, llm: FakeOpenAIServer
    ) -> None:
        _agent(admin, "web-dev", ["frontend"])
        with LoopbackSite() as site:
            site.route("/hook", SiteReply.json({"ok": True}))
            config = {"secret": SECRET, "callback_url": site.url("/hook")}
            channel = create_channel(admin, "webhook", config, make_agent(admin, "bot"))
            llm.reply_text("The footer is styled.")
            body = {
                "required_roles": ["frontend"],
                "objective": "Style the footer",
                "reply_to": f"channel:{channel['id']}:design-room",
            }
            created = ok(admin.post("/api/dispatch", json=body), 201)
            done = _eventually_settled(admin, created["id"])
            assert done["delivery"] == "queued to the channel"
            posted = wait_for(lambda: [s for s in site.requests if s.path == "/hook"] or None)
            assert posted[0].json()["text"] == "The footer is styled."
            assert posted[0].json()["to"] == "design-room"
        elsewhere = {**body, "reply_to": "channel:no-such-channel:room"}
        assert_problem(admin.post("/api/dispatch", json=elsewhere), 422, "reply_to")


def test_a_dispatch_starts_a_playbook_on_the_chosen_team(
    server: RunningServer, admin: httpx.Client, anon: httpx.Client
) -> None:
    ok(admin.post("/api/templates/software/apply"))
    roles = ["product manager", "developer", "tester", "reviewer"]
    body = {"objective": "Add a dark mode", "required_roles": roles}
    missing = admin.post("/api/dispatch", json={**body, "playbook": "nope"})
    assert_problem(missing, 422, "no playbook 'nope'")
    made = ok(
        admin.post("/api/dispatch", json={**body, "playbook": "design-implement-test-review"}),
        201,
    )
    assert made["status"] == "running" and made["playbook_run_id"] and made["run_id"] is None
    # The template's team has exactly these agents in these roles: it is reused.
    team = query(server.platform.settings.database_url, lambda s: s.get(Group, made["group_id"]))
    assert team is not None and team.name == "software-team"
    flow = ok(admin.get(f"/api/playbook-runs/{made['playbook_run_id']}"))
    assert flow["objective"] == "Add a dark mode" and flow["group_id"] == made["group_id"]


def _eventually_settled(admin: httpx.Client, dispatch_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while True:
        seen: dict[str, Any] = ok(admin.get(f"/api/dispatch/{dispatch_id}"))
        if seen["status"] != "running" or time.monotonic() > deadline:
            return seen
        time.sleep(0.1)
