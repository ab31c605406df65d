"""Playbooks over HTTP on both backends: review rejections, retries, the owner's takeover,
abort, timeouts, the periodic reconcile, validation, grants and tenancy."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from nexora.config import Settings
from nexora.platform import Platform
from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.api import ADMIN_PASSWORD, assert_problem, auth, login, ok
from tests.support.playbooks import (
    StageReply,
    grant_team,
    make_team,
    play_stages,
    wait_for_playbook,
)
from tests.support.runs import wait_for_run
from tests.support.server import RunningServer, run_server

REVIEWED = """
name: reviewed
description: implement, then review
stages:
  - name: implement
    agent: dev
    instructions: Write the login module.
    retries: {retries}
  - name: review
    agent: reviewer
    instructions: Review the implementation.
    review: {{on_reject: implement}}
"""


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"playbook_reconcile_seconds": 0.2})


@pytest.fixture
def slow_reconcile_server(settings: Settings) -> Iterator[RunningServer]:
    """A server whose periodic reconcile does not come round during a test."""
    with run_server(settings.model_copy(update={"playbook_reconcile_seconds": 3600})) as running:
        yield running


def _agents(admin: httpx.Client, *names: str) -> dict[str, str]:
    return {n: ok(admin.post("/api/agents", json={"name": n}), 201)["id"] for n in names}


def _playbook(admin: httpx.Client, text: str) -> dict[str, Any]:
    playbook: dict[str, Any] = ok(admin.post("/api/playbooks", json={"yaml": text}), 201)
    return playbook


def _start(admin: httpx.Client, playbook_id: str, **body: Any) -> dict[str, Any]:
    run: dict[str, Any] = ok(
        admin.post(f"/api/playbooks/{playbook_id}/runs", json={"objective": "login", **body}), 201
    )
    return run


def _review(decisions: list[str]) -> Any:
    def script(stage: str, attempt: int) -> StageReply:
        if stage == "review":
            decision = decisions[min(attempt, len(decisions)) - 1]
            reason = "tests are missing" if decision == "reject" else "looks right"
            return StageReply(
                [("review_decision", {"decision": decision, "reason": reason})],
                f"review {attempt}: {decision}",
            )
        return StageReply(answer=f"implemented, attempt {attempt}")

    return script


def test_review_rejects_once_then_the_playbook_completes(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    _agents(admin, "dev", "reviewer")
    started = play_stages(llm, _review(["reject", "approve"]))
    playbook = _playbook(admin, REVIEWED.format(retries=2))
    run = _start(admin, playbook["id"])
    assert run["status"] == "running" and run["stages"][0]["stage"] == "implement"
    done = wait_for_playbook(admin, run["id"], {"completed", "waiting_owner", "failed"})
    assert done["status"] == "completed", done
    stages = [(s["stage"], s["attempt"], s["status"]) for s in done["stages"]]
    assert stages == [
        ("implement", 1, "completed"),
        ("review", 1, "rejected"),
        ("implement", 2, "completed"),
        ("review", 2, "approved"),
    ]
    assert started == [("implement", 1), ("review", 1), ("implement", 2), ("review", 2)]
    rejected = done["stages"][1]["review"]
    assert rejected == {"decision": "reject", "reason": "tests are missing", "back_to": "implement"}
    # The second attempt is told why, and sees its own first attempt's summary.
    again = ok(admin.get(f"/api/runs/{done['stages'][2]['run_id']}"))
    assert "tests are missing" in again["input"]
    assert "implemented, attempt 1" in again["input"]
    assert "implement: implemented, attempt 2" in done["result_summary"]
    assert all(s["handoff_tokens"] > 0 for s in done["stages"])


def test_exhausted_retries_wait_for_the_owner_who_takes_over(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    _agents(admin, "dev", "reviewer")
    play_stages(llm, _review(["reject", "reject", "approve"]))
    playbook = _playbook(admin, REVIEWED.format(retries=1))
    run = _start(admin, playbook["id"])
    waiting = wait_for_playbook(admin, run["id"], {"waiting_owner", "completed", "failed"})
    assert waiting["status"] == "waiting_owner", waiting
    assert waiting["current_stage_name"] == "implement"
    assert "used its retries" in waiting["error"]
    assert [s["status"] for s in waiting["stages"]] == [
        "completed",
        "rejected",
        "completed",
        "rejected",
    ]
    assert (
        ok(admin.get("/api/playbook-runs", params={"status": "waiting_owner"}))[0]["id"]
        == (run["id"])
    )

    taken = ok(
        admin.post(
            f"/api/playbook-runs/{run['id']}/takeover",
            json={"summary": "I wrote the tests myself."},
        )
    )
    assert taken["status"] == "running"
    by_hand = taken["stages"][4]
    assert (by_hand["stage"], by_hand["status"], by_hand["run_id"]) == (
        "implement",
        "taken_over",
        None,
    )
    done = wait_for_playbook(admin, run["id"], {"completed", "waiting_owner", "failed"})
    assert done["status"] == "completed", done
    assert done["stages"][-1]["stage"] == "review" and done["stages"][-1]["status"] == "approved"
    last_review = ok(admin.get(f"/api/runs/{done['stages'][-1]['run_id']}"))
    assert "I wrote the tests myself." in last_review["input"]


def test_owner_takeover_of_a_review_can_send_the_work_back(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    _agents(admin, "dev", "reviewer")
    play_stages(
        llm,
        lambda stage, attempt: (
            StageReply(answer="slow", delay=30)
            if stage == "review" and attempt == 1
            else _review(["approve"])(stage, attempt)
        ),
    )
    playbook = _playbook(admin, REVIEWED.format(retries=0))
    run = _start(admin, playbook["id"])
    reviewing = _wait_stage(admin, run["id"], "review")
    taken = ok(
        admin.post(
            f"/api/playbook-runs/{run['id']}/takeover",
            json={"summary": "Not good enough.", "decision": "reject", "reason": "no tests"},
        )
    )
    # The owner's rejection sends the work back although `implement` has no retries left.
    assert taken["stages"][1]["status"] == "taken_over"
    assert taken["stages"][1]["review"]["decision"] == "reject"
    assert taken["current_stage_name"] == "implement"
    assert wait_for_run(admin, reviewing["run_id"])["status"] == "cancelled"
    done = wait_for_playbook(admin, run["id"], {"completed", "waiting_owner", "failed"})
    assert done["status"] == "completed", done
    assert [s["stage"] for s in done["stages"]] == ["implement", "review", "implement", "review"]


def _wait_stage(admin: httpx.Client, run_id: str, stage: str) -> dict[str, Any]:
    def current() -> dict[str, Any] | None:
        stages = ok(admin.get(f"/api/playbook-runs/{run_id}"))["stages"]
        found: dict[str, Any] | None = stages[-1] if stages[-1]["stage"] == stage else None
        return found

    for _ in range(400):
        if (found := current()) is not None:
            return found
        time.sleep(0.05)
    raise AssertionError(f"stage {stage} never started")


def test_abort_stops_the_current_stage(admin: httpx.Client, llm: FakeOpenAIServer) -> None:
    _agents(admin, "dev", "reviewer")
    play_stages(llm, lambda stage, attempt: StageReply(answer="late", delay=30))
    playbook = _playbook(admin, REVIEWED.format(retries=2))
    run = _start(admin, playbook["id"])
    aborted = ok(admin.post(f"/api/playbook-runs/{run['id']}/abort", json={"reason": "changed"}))
    assert aborted["status"] == "aborted" and aborted["error"] == "changed"
    assert aborted["stages"][0]["status"] == "aborted"
    assert wait_for_run(admin, run["stages"][0]["run_id"])["status"] == "cancelled"
    again = ok(admin.post(f"/api/playbook-runs/{run['id']}/abort"))
    assert again["status"] == "aborted"
    assert_problem(
        admin.post(f"/api/playbook-runs/{run['id']}/takeover", json={"summary": "x"}), 409
    )


def test_a_stage_past_its_timeout_is_cancelled_and_retried(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    _agents(admin, "dev")
    play_stages(
        llm,
        lambda stage, attempt: (
            StageReply(answer="late", delay=30) if attempt == 1 else StageReply(answer="in time")
        ),
    )
    text = "name: timed\nstages:\n  - {name: work, agent: dev, timeout_minutes: 0.02}\n"
    run = _start(admin, _playbook(admin, text)["id"])
    done = wait_for_playbook(admin, run["id"], {"completed", "waiting_owner", "failed"})
    assert done["status"] == "completed", done
    first, second = done["stages"]
    assert first["status"] == "timed_out" and "timed out" in first["note"]
    assert second["status"] == "completed" and second["summary"] == "in time"
    assert wait_for_run(admin, first["run_id"])["status"] == "cancelled"
    assert "timed out" in ok(admin.get(f"/api/runs/{second['run_id']}"))["input"]


def test_a_failed_stage_without_retries_waits_for_the_owner(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    _agents(admin, "dev")
    llm.answer_when(lambda body: True, lambda body: _error_reply())
    text = "name: fragile\nstages:\n  - {name: work, agent: dev, retries: 0}\n"
    run = _start(admin, _playbook(admin, text)["id"])
    waiting = wait_for_playbook(admin, run["id"], {"waiting_owner", "completed", "failed"})
    assert waiting["status"] == "waiting_owner"
    assert waiting["stages"][0]["status"] == "failed"
    assert "model is down" in waiting["stages"][0]["note"]


def _error_reply() -> Any:
    from tests.fakes.openai_server import Reply

    return Reply(status=400, error_message="model is down")


def test_the_periodic_reconcile_alone_advances_a_run(
    settings: Settings, slow_reconcile_server: RunningServer, llm: FakeOpenAIServer
) -> None:
    """The worker's observer never fires (as after a crash right after a run's end) and this
    server's own reconcile waits an hour: another process's reconcile moves the playbook on."""
    server = slow_reconcile_server
    server.platform.worker.deps.observers.clear()
    with server.client() as anon:
        admin = server.client(login(anon, "admin", ADMIN_PASSWORD))
    _agents(admin, "dev", "reviewer")
    play_stages(llm, _review(["approve"]))
    run = _start(admin, _playbook(admin, REVIEWED.format(retries=2))["id"])
    wait_for_run(admin, run["stages"][0]["run_id"])
    assert ok(admin.get(f"/api/playbook-runs/{run['id']}"))["current_stage_name"] == "implement"

    async def reconcile() -> int:
        other = Platform.from_settings(settings)
        try:
            return await other.playbooks.reconcile()
        finally:
            await other.db.dispose()

    async def two_at_once() -> list[int]:
        return list(await asyncio.gather(reconcile(), reconcile()))

    # Two processes reconciling at once: one transition commits, the other's is undone.
    assert sorted(asyncio.run(two_at_once())) == [0, 1]
    reviewing = ok(admin.get(f"/api/playbook-runs/{run['id']}"))
    assert reviewing["current_stage_name"] == "review"
    assert [s["stage"] for s in reviewing["stages"]] == ["implement", "review"]
    wait_for_run(admin, reviewing["stages"][1]["run_id"])
    assert asyncio.run(reconcile()) == 1
    assert asyncio.run(reconcile()) == 0  # nothing left to do: idempotent
    assert ok(admin.get(f"/api/playbook-runs/{run['id']}"))["status"] == "completed"
    admin.close()


def test_bad_definitions_are_refused_with_their_path(admin: httpx.Client) -> None:
    _agents(admin, "dev")
    broken = admin.post("/api/playbooks", json={"yaml": "name: [unclosed"})
    assert_problem(broken, 422, "not valid yaml")
    unknown = (
        "name: x\nstages:\n  - {name: a, agent: dev}\n"
        "  - {name: b, agent: dev, review: {on_reject: c}}\n"
    )
    response = admin.post("/api/playbooks", json={"yaml": unknown})
    assert_problem(response, 422, "stages[1].review.on_reject")
    assert response.json()["errors"][0]["path"] == "stages[1].review.on_reject"
    later = {
        "name": "x",
        "stages": [
            {"name": "a", "agent": "dev", "review": {"on_reject": "b"}},
            {"name": "b", "agent": "dev"},
        ],
    }
    assert_problem(admin.post("/api/playbooks", json=later), 422, "not an earlier stage")
    duplicate = {"name": "x", "stages": [{"name": "a", "agent": "dev"}] * 2}
    assert_problem(admin.post("/api/playbooks", json=duplicate), 422, "stages[1].name")
    missing = {"name": "x", "stages": [{"name": "a", "agent": "nobody"}]}
    assert_problem(admin.post("/api/playbooks", json=missing), 422, "stages[0].agent")
    both = {"name": "x", "stages": [{"name": "a", "agent": "dev", "role": "r"}]}
    assert_problem(admin.post("/api/playbooks", json=both), 422, "exactly one")

    created = ok(
        admin.post("/api/playbooks", json={"name": "x", "stages": [{"name": "a", "agent": "dev"}]}),
        201,
    )
    assert created["version"] == 1 and "name: x" in created["yaml"]
    assert_problem(admin.post("/api/playbooks", json={"yaml": created["yaml"]}), 409)
    changed = ok(
        admin.put(
            f"/api/playbooks/{created['id']}",
            json={"yaml": created["yaml"] + "description: changed\n"},
        )
    )
    assert changed["version"] == 2 and changed["description"] == "changed"
    ok(admin.delete(f"/api/playbooks/{created['id']}"), 204)
    assert_problem(admin.get(f"/api/playbooks/{created['id']}"), 404)


def test_grants_and_tenancy(
    admin: httpx.Client, anon: httpx.Client, server: RunningServer, llm: FakeOpenAIServer
) -> None:
    agents = _agents(admin, "dev", "reviewer")
    play_stages(llm, _review(["approve"]))
    playbook = _playbook(admin, REVIEWED.format(retries=2))
    operator = ok(
        admin.post("/api/admin/users", json={"username": "op", "password": "password-1"}), 201
    )
    op = server.client(login(anon, "op", "password-1"))
    # Reading is for every member; starting needs every agent the stages name.
    assert ok(op.get(f"/api/playbooks/{playbook['id']}"))["name"] == "reviewed"
    assert_problem(
        op.post(f"/api/playbooks/{playbook['id']}/runs", json={"objective": "x"}), 403, "grant"
    )
    ok(
        admin.post(
            "/api/admin/grants", json={"user_id": operator["id"], "agent_id": agents["dev"]}
        ),
        201,
    )
    assert_problem(op.post(f"/api/playbooks/{playbook['id']}/runs", json={"objective": "x"}), 403)
    ok(
        admin.post(
            "/api/admin/grants", json={"user_id": operator["id"], "agent_id": agents["reviewer"]}
        ),
        201,
    )
    mine = ok(op.post(f"/api/playbooks/{playbook['id']}/runs", json={"objective": "x"}), 201)
    assert mine["user_id"] == operator["id"]
    # The operator started it but does not own it: no takeover, but an abort.
    assert_problem(op.post(f"/api/playbook-runs/{mine['id']}/takeover", json={"summary": "x"}), 403)
    started_by_admin = _start(admin, playbook["id"])
    assert_problem(op.get(f"/api/playbook-runs/{started_by_admin['id']}"), 404)
    assert [r["id"] for r in ok(op.get("/api/playbook-runs"))] == [mine["id"]]

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
    other = httpx.Client(
        base_url=str(admin.base_url), headers=auth(login(anon, "other", "password-1"))
    )
    with other:
        assert_problem(other.get(f"/api/playbooks/{playbook['id']}"), 404)
        assert_problem(
            other.post(f"/api/playbooks/{playbook['id']}/runs", json={"objective": "x"}), 404
        )
        assert_problem(other.get(f"/api/playbook-runs/{mine['id']}"), 404)
        assert_problem(other.post(f"/api/playbook-runs/{mine['id']}/abort"), 404)
        assert ok(other.get("/api/playbooks")) == []
    op.close()


def test_a_team_grant_lets_an_operator_start_its_roles(
    admin: httpx.Client,
    anon: httpx.Client,
    server: RunningServer,
    llm: FakeOpenAIServer,
    settings: Settings,
) -> None:
    agents = _agents(admin, "dev", "reviewer")
    me = ok(admin.get("/api/auth/me"))
    team = make_team(
        settings.database_url,
        me["org_id"],
        "pair",
        [(agents["dev"], "developer"), (agents["reviewer"], "reviewer")],
    )
    by_role = REVIEWED.format(retries=2).replace("agent: dev", "role: developer")
    by_role = by_role.replace("agent: reviewer", "role: reviewer") + "team: pair\n"
    playbook = _playbook(admin, by_role)
    play_stages(llm, _review(["approve"]))
    operator = ok(
        admin.post("/api/admin/users", json={"username": "op", "password": "password-1"}), 201
    )
    with server.client(login(anon, "op", "password-1")) as op:
        start = f"/api/playbooks/{playbook['id']}/runs"
        assert_problem(op.post(start, json={"objective": "x"}), 403, "team")
        grant_team(settings.database_url, me["org_id"], operator["id"], team)
        run = ok(op.post(start, json={"objective": "x"}), 201)
        assert run["group_id"] == team
        assert run["stages"][0]["agent_id"] == agents["dev"]
        done = wait_for_playbook(op, run["id"], {"completed", "waiting_owner", "failed"})
        assert done["status"] == "completed", done
        assert done["stages"][1]["agent_id"] == agents["reviewer"]
    nobody = REVIEWED.format(retries=2).replace("agent: dev", "role: developer")
    nobody = nobody.replace("name: reviewed", "name: lonely")
    lonely = _playbook(admin, nobody)
    assert_problem(
        admin.post(f"/api/playbooks/{lonely['id']}/runs", json={"objective": "x"}),
        422,
        "needs a team",
    )
