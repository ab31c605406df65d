"""Scheduled tasks over the API: validated, private to their owner (and admins), never seen
across organizations; run now gives a normal run as the owner, delivered to a chat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.fakes.openai_server import FakeOpenAIServer
from tests.fakes.web_site import LoopbackSite, Reply
from tests.support.api import assert_problem, ok
from tests.support.channels import SECRET, create_channel, make_agent, map_user, wait_for
from tests.support.cron import create_job
from tests.support.runs import wait_for_run
from tests.support.server import RunningServer
from tests.support.users import add_user, client_of, other_org_admin


def test_jobs_are_validated(admin: httpx.Client) -> None:
    agent_id = make_agent(admin)
    base = {"name": "digest", "agent_id": agent_id, "schedule": "0 9 * * 1-5", "task": "Report"}
    for change, detail in [
        ({"schedule": "0 9 * *"}, "5 fields"),
        ({"schedule": "61 * * * *"}, "5 fields"),
        ({"timezone": "Mars/Olympus"}, "IANA"),
        ({"agent_id": None}, "exactly one"),
        ({"group_id": "x"}, "exactly one"),
        ({"task": None}, "task"),
        ({"at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}, "not both"),
        ({"schedule": None, "at": "2020-01-01T00:00:00Z"}, "future"),
        ({"template": "horoscope", "task": None}, "unknown template"),
        ({"template": "watch", "task": None}, "needs target"),
        ({"deliver": {"channel_id": "nope"}}, "deliver.channel_id"),
        ({"agent_id": "no-such-agent"}, "not found"),
    ]:
        response = admin.post("/api/cron", json={**base, **change})
        assert response.status_code in (404, 422), (change, response.text)
        assert detail in response.json()["detail"], (change, response.json())
    job = create_job(admin, **base, timezone="Europe/Paris")
    assert job["next_fire_at"] is not None and job["owner_id"]
    assert_problem(admin.post("/api/cron", json=base), 422, "exists")
    watch = create_job(
        admin,
        name="site",
        agent_id=agent_id,
        template="watch",
        parameters={"target": "https://example.com", "what": "status"},
    )
    assert watch["only_on_change"] is True and watch["schedule"] == "*/15 * * * *"
    templates = ok(admin.get("/api/cron/templates"))
    assert {t["name"] for t in templates} == {"news-digest", "email-highlights", "watch"}


def test_jobs_are_private_to_their_owner_and_org(
    server: RunningServer, admin: httpx.Client
) -> None:
    agent_id = make_agent(admin)
    olga = add_user(admin, "olga")
    ok(admin.post("/api/admin/grants", json={"user_id": olga["id"], "agent_id": agent_id}), 201)
    mine = create_job(admin, name="admin-job", agent_id=agent_id, schedule="0 9 * * *", task="x")
    with client_of(server, "olga") as operator:
        hers = create_job(
            operator, name="olga-job", agent_id=agent_id, schedule="0 9 * * *", task="y"
        )
        assert [j["name"] for j in ok(operator.get("/api/cron"))] == ["olga-job"]
        assert operator.get(f"/api/cron/{mine['id']}").status_code == 404
        assert operator.delete(f"/api/cron/{mine['id']}").status_code == 404
    assert {j["name"] for j in ok(admin.get("/api/cron"))} == {"admin-job", "olga-job"}
    assert ok(admin.get(f"/api/cron/{hers['id']}"))["owner_id"] == olga["id"]
    with other_org_admin(server, admin) as globex:
        for method, path in [
            ("GET", ""),
            ("PUT", ""),
            ("DELETE", ""),
            ("POST", "/run"),
            ("GET", "/firings"),
        ]:
            response = globex.request(method, f"/api/cron/{mine['id']}{path}", json={})
            assert response.status_code == 404, (method, path, response.text)
        assert globex.get("/api/cron").json() == []
        # Another org's agent cannot be scheduled either.
        body = {"name": "steal", "agent_id": agent_id, "schedule": "0 9 * * *", "task": "x"}
        assert globex.post("/api/cron", json=body).status_code == 404


def test_run_now_is_a_run_as_the_owner_delivered_to_the_chat(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    agent_id = make_agent(admin)
    me = ok(admin.get("/api/auth/me"))
    with LoopbackSite() as site:
        site.route("/hook", Reply.json({"ok": True}))
        config = {"secret": SECRET, "callback_url": site.url("/hook")}
        channel = create_channel(admin, "webhook", config, make_agent(admin, "bot"))
        map_user(admin, channel["id"], "admin-chat")
        job = create_job(
            admin,
            name="Morning report",
            agent_id=agent_id,
            schedule="0 9 * * 1-5",
            task="Summarise the open incidents.",
            deliver={"channel_id": channel["id"]},
        )
        # Without `to`, the result goes to the owner's own account on that channel.
        assert job["deliver"] == {"channel_id": channel["id"], "to": "admin-chat"}
        llm.reply_text("No open incidents.")
        firing = ok(admin.post(f"/api/cron/{job['id']}/run"), 202)
        run = wait_for_run(admin, firing["run_id"])
        assert run["status"] == "completed" and run["input"] == "Summarise the open incidents."
        assert run["user_id"] == me["user_id"]
        posted = wait_for(lambda: [s for s in site.requests if s.path == "/hook"] or None)
        assert posted[0].json()["to"] == "admin-chat"
        assert posted[0].json()["text"] == "Morning report\n\nNo open incidents."
    firings = wait_for(
        lambda: (
            [f for f in ok(admin.get(f"/api/cron/{job['id']}/firings")) if f["delivered"]] or None
        )
    )
    assert firings[0]["status"] == "completed" and firings[0]["manual"] is True
