"""Roles, teams, members and team grants over HTTP: round trips, validation, one lead, batch
deletes, stats, tenancy and what an operator without grants may see; the blackboard."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from tests.support.api import assert_problem, auth, login, ok


@dataclass(frozen=True)
class People:
    olga_id: str
    olga: dict[str, str]  # an operator
    outsider: dict[str, str]  # an admin of another org
    agents: dict[str, str]  # name → id


@pytest.fixture
def people(admin: httpx.Client, anon: httpx.Client) -> People:
    agents = {
        name: ok(admin.post("/api/agents", json={"name": name}), 201)["id"]
        for name in ("planner", "coder", "tester")
    }
    body = {"username": "olga", "password": "password-123"}
    olga_id = ok(admin.post("/api/admin/users", json=body), 201)["id"]
    org = ok(admin.post("/api/admin/orgs", json={"name": "globex"}), 201)
    boss = {"username": "boss", "password": "password-123", "role": "admin", "org_id": org["id"]}
    ok(admin.post("/api/admin/users", json=boss), 201)
    return People(
        olga_id=olga_id,
        olga=auth(login(anon, "olga", "password-123")),
        outsider=auth(login(anon, "boss", "password-123")),
        agents=agents,
    )


def make_team(admin: httpx.Client) -> dict[str, object]:
    for name in ("planner", "developer"):
        ok(admin.post("/api/roles", json={"name": name, "capabilities": [name]}), 201)
    team = {
        "name": "delivery",
        "members": [
            {"agent_id": "planner", "role": "planner", "is_lead": True},
            {"agent_id": "coder", "role": "developer"},
        ],
    }
    return ok(admin.post("/api/groups", json=team), 201)  # type: ignore[no-any-return]


def test_roles_round_trip_validate_and_refuse_deleting_one_in_use(
    admin: httpx.Client, people: People
) -> None:
    body = {
        "name": "reviewer",
        "instructions": "Review the diff.",
        "tool_rules": {"block": ["shell"]},
        "capabilities": ["code_review"],
    }
    role = ok(admin.post("/api/roles", json=body), 201)
    assert role["tool_rules"] == {"block": ["shell"]}
    assert_problem(admin.post("/api/roles", json=body), 409, "already exists")
    assert admin.post("/api/roles", json={**body, "name": "x" * 65}).status_code == 422
    assert (
        admin.post("/api/roles", json={**body, "capabilities": ["Not A Slug"]}).status_code == 422
    )
    assert admin.post("/api/roles", json={**body, "tool_rules": {"maybe": []}}).status_code == 422
    edited = ok(admin.put(f"/api/roles/{role['id']}", json={"instructions": "Be strict."}))
    assert edited["instructions"] == "Be strict." and edited["capabilities"] == ["code_review"]

    team = make_team(admin)
    developer = next(r for r in ok(admin.get("/api/roles")) if r["name"] == "developer")
    assert_problem(admin.delete(f"/api/roles/{developer['id']}"), 409, "held by 1")
    stats = ok(admin.get(f"/api/roles/{developer['id']}/stats"))
    assert stats == {"members": 1, "groups": 1, "team_runs": 0}
    batch = {"ids": [role["id"], developer["id"], "missing"]}
    results = ok(admin.post("/api/roles/batch-delete", json=batch))["results"]
    assert results == {role["id"]: "deleted", developer["id"]: "in_use", "missing": "not_found"}
    assert ok(admin.get(f"/api/groups/{team['id']}"))["members"][1]["role"] == "developer"

    # Operators read roles; only admins write them.
    assert ok(admin.get("/api/roles", headers=people.olga)) is not None
    assert admin.post("/api/roles", json={"name": "x"}, headers=people.olga).status_code == 403
    assert_problem(admin.get(f"/api/roles/{developer['id']}", headers=people.outsider), 404)


def test_teams_have_members_with_one_lead(admin: httpx.Client, people: People) -> None:
    team = make_team(admin)
    assert team["lead"]["agent"] == "planner"  # type: ignore[index]
    assert [(m["agent"], m["role"]) for m in team["members"]] == [  # type: ignore[attr-defined]
        ("planner", "planner"),
        ("coder", "developer"),
    ]
    group_id = team["id"]
    tester = ok(
        admin.post(f"/api/groups/{group_id}/members", json={"agent_id": people.agents["tester"]}),
        201,
    )
    assert_problem(
        admin.post(f"/api/groups/{group_id}/members", json={"agent_id": "tester"}), 409, "already"
    )
    assert_problem(admin.post(f"/api/groups/{group_id}/members", json={"agent_id": "nobody"}), 404)
    made_lead = ok(
        admin.put(f"/api/groups/{group_id}/members/{tester['id']}", json={"is_lead": True})
    )
    assert made_lead["is_lead"]
    members = ok(admin.get(f"/api/groups/{group_id}/members"))
    assert [m["agent"] for m in members if m["is_lead"]] == ["tester"]
    ok(admin.delete(f"/api/groups/{group_id}/members/{tester['id']}"), 204)
    assert ok(admin.get(f"/api/groups/{group_id}"))["lead"] is None

    renamed = ok(admin.put(f"/api/groups/{group_id}", json={"default_mode": "parallel"}))
    assert renamed["default_mode"] == "parallel"
    assert admin.put(f"/api/groups/{group_id}", json={"default_mode": "chaos"}).status_code == 422
    two_leads = {
        "name": "bad",
        "members": [
            {"agent_id": "coder", "is_lead": True},
            {"agent_id": "tester", "is_lead": True},
        ],
    }
    assert_problem(admin.post("/api/groups", json=two_leads), 422, "one lead")
    stats = ok(admin.get(f"/api/groups/{group_id}/stats"))
    assert stats["members"] == 2 and stats["runs_by_status"] == {} and stats["last_run_at"] is None

    other = ok(admin.post("/api/groups", json={"name": "spare"}), 201)
    results = ok(admin.post("/api/groups/batch-delete", json={"ids": [other["id"], "missing"]}))
    assert results["results"] == {other["id"]: "deleted", "missing": "not_found"}


def test_who_may_use_a_team(admin: httpx.Client, people: People) -> None:
    team = make_team(admin)
    group_id = team["id"]
    # No grant at all: the team is invisible in lists and forbidden by id.
    assert ok(admin.get("/api/groups", headers=people.olga))["total"] == 0
    assert_problem(admin.get(f"/api/groups/{group_id}", headers=people.olga), 403)
    # Grants on one of its two agents are not enough...
    grant = {"user_id": people.olga_id, "agent_id": people.agents["planner"]}
    ok(admin.post("/api/admin/grants", json=grant), 201)
    assert ok(admin.get("/api/groups", headers=people.olga))["total"] == 0
    # ...on all of them are.
    ok(admin.post("/api/admin/grants", json={**grant, "agent_id": people.agents["coder"]}), 201)
    assert ok(admin.get("/api/groups", headers=people.olga))["total"] == 1

    # A team grant alone also does, for a team with an agent she may not use.
    ok(admin.post(f"/api/groups/{group_id}/members", json={"agent_id": "tester"}), 201)
    assert_problem(admin.get(f"/api/groups/{group_id}", headers=people.olga), 403)
    team_grant = ok(
        admin.post(f"/api/groups/{group_id}/grants", json={"user_id": people.olga_id}), 201
    )
    assert ok(admin.get(f"/api/groups/{group_id}", headers=people.olga))["name"] == "delivery"
    assert [g["id"] for g in ok(admin.get(f"/api/groups/{group_id}/grants"))] == [team_grant["id"]]
    assert (
        admin.post(
            f"/api/groups/{group_id}/members", json={"agent_id": "coder"}, headers=people.olga
        ).status_code
        == 403
    )
    ok(admin.delete(f"/api/groups/{group_id}/grants/{team_grant['id']}"), 204)
    assert_problem(admin.get(f"/api/groups/{group_id}", headers=people.olga), 403)

    # Another organization's admin sees nothing of it.
    assert_problem(admin.get(f"/api/groups/{group_id}", headers=people.outsider), 404)
    assert_problem(admin.get(f"/api/groups/{group_id}/members", headers=people.outsider), 404)
    assert ok(admin.get("/api/groups", headers=people.outsider))["total"] == 0
    agent_elsewhere = {"agent_id": people.agents["coder"]}
    mine = ok(admin.post("/api/groups", json={"name": "theirs"}, headers=people.outsider), 201)
    assert_problem(
        admin.post(
            f"/api/groups/{mine['id']}/members", json=agent_elsewhere, headers=people.outsider
        ),
        404,
    )


def test_the_blackboard_is_written_read_and_searched(admin: httpx.Client, people: People) -> None:
    team = make_team(admin)
    board = f"/api/groups/{team['id']}/blackboard"
    english = ok(admin.post(board, json={"text": "The release train leaves on Thursdays."}), 201)
    chinese = ok(admin.post(board, json={"text": "数据库备份策略:每天凌晨两点全量备份。"}), 201)
    assert english["origin"] == "person" and english["kind"] == "note"
    listed = ok(admin.get(board))
    assert [e["id"] for e in listed["items"]] == [chinese["id"], english["id"]]
    assert (
        ok(admin.get(board, params={"q": "when does the release train leave"}))["items"][0]["id"]
        == english["id"]
    )
    assert ok(admin.get(board, params={"q": "数据"}))["items"][0]["id"] == chinese["id"]
    assert ok(admin.get(f"{board}/{english['id']}"))["text"].startswith("The release train")
    assert admin.post(board, json={"text": "x" * 20_001}).status_code == 422
    assert admin.post(board, json={"text": "x", "kind": "message"}).status_code == 422

    other = ok(admin.post("/api/groups", json={"name": "other-team"}), 201)
    assert_problem(admin.get(f"/api/groups/{other['id']}/blackboard/{english['id']}"), 404)
    assert (
        ok(admin.get(f"/api/groups/{other['id']}/blackboard", params={"q": "release"}))["items"]
        == []
    )
    assert_problem(admin.get(board, headers=people.outsider), 404)
    assert_problem(admin.get(board, headers=people.olga), 403)
    assert ok(admin.get(f"/api/groups/{team['id']}/stats"))["blackboard_entries"] == 2
