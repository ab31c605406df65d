"""The scheduler: missed times are skipped or run once; a watch posts only what changed;
agents schedule their own follow-ups within limits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from nexora.config import Settings
from tests.fakes.openai_server import FakeOpenAIServer, Reply, ToolCall
from tests.fakes.web_site import LoopbackSite
from tests.fakes.web_site import Reply as SiteReply
from tests.support.api import ok
from tests.support.channels import (
    SECRET,
    create_channel,
    make_agent,
    map_user,
    signed_post,
    wait_for,
)
from tests.support.cron import create_job, firings, make_due
from tests.support.server import RunningServer


def test_missed_times_are_skipped_or_run_once(
    settings: Settings, admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    llm.default = Reply(text="Caught up.")
    agent_id = make_agent(admin)
    skipping = create_job(admin, name="skip", agent_id=agent_id, schedule="0 3 * * *", task="a")
    catching = create_job(
        admin, name="catch", agent_id=agent_id, schedule="0 3 * * *", task="b", missed="run_once"
    )
    for job in (skipping, catching):
        make_due(settings.database_url, job["id"], timedelta(hours=5))
    url = settings.database_url
    wait_for(lambda: firings(url, skipping["id"]) or None, what="the skipped firing")
    wait_for(lambda: firings(url, catching["id"]) or None, what="the late firing")
    assert [status for status, _ in firings(url, skipping["id"])] == ["skipped"]
    ((_, run_id),) = firings(url, catching["id"])
    assert run_id is not None
    wait_for(
        lambda: [s for s, _ in firings(url, catching["id"]) if s == "completed"] or None,
        what="the late run's result",
    )


def test_a_watch_posts_only_what_changed(
    server: RunningServer, admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    with LoopbackSite() as site:
        site.route("/hook", SiteReply.json({"ok": True}))
        config = {"secret": SECRET, "callback_url": site.url("/hook")}
        channel = create_channel(admin, "webhook", config, make_agent(admin, "bot"))
        job = create_job(
            admin,
            name="site status",
            agent_id=make_agent(admin),
            template="watch",
            parameters={"target": "https://status.example.com", "what": "each service's state"},
            deliver={"channel_id": channel["id"], "to": "ops"},
        )

        def posts() -> list[str]:
            return [s.json()["text"] for s in site.requests if s.path == "/hook"]

        def fire_and_settle(answer: str, count: int) -> list[dict[str, Any]]:
            llm.reply_text(answer)
            ok(admin.post(f"/api/cron/{job['id']}/run"), 202)
            return wait_for(
                lambda: (
                    (
                        (f := ok(admin.get(f"/api/cron/{job['id']}/firings")))
                        and len([x for x in f if x["status"] != "started"]) == count
                        and f
                    )
                    or None
                ),
                what=f"firing {count}",
            )

        fire_and_settle("api: up\ndb: up", 1)
        wait_for(lambda: posts() or None, what="the first report")
        firings = fire_and_settle("API: up\n db:  up", 2)  # the same state, worded alike
        assert firings[0]["status"] == "unchanged" and firings[0]["delivered"] is False
        # The watch saw its previous report in its task.
        asked = llm.chat_requests[-1].json["messages"][-1]["content"]
        assert "Your previous report was:\napi: up\ndb: up" in asked
        fire_and_settle("api: up\ndb: down", 3)
        wait_for(lambda: len(posts()) == 2 or None, what="the change")
        assert posts()[1].endswith("db: down")


def test_agents_schedule_their_own_follow_ups_back_to_the_chat(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    agent = ok(
        admin.post(
            "/api/agents",
            json={
                "name": "reminder",
                "tools": ["schedule_task"],
                "tool_policy": {"allow": ["schedule_task"]},
            },
        ),
        201,
    )
    with LoopbackSite() as site:
        site.route("/hook", SiteReply.json({"ok": True}))
        config = {"secret": SECRET, "callback_url": site.url("/hook")}
        channel = create_channel(admin, "webhook", config, agent["id"])
        map_user(admin, channel["id"], "u-1")
        every_minute = {"task": "Ping me", "schedule": "* * * * *"}
        tomorrow = {"task": "Remind me to renew the certificate", "at": "2030-01-01T09:00:00Z"}
        llm.reply(Reply(tool_calls=(ToolCall("schedule_task", every_minute),)))
        llm.reply(Reply(tool_calls=(ToolCall("schedule_task", tomorrow),)))
        llm.reply_text("I will remind you on 1 January 2030.")
        message = {
            "message_id": "m-1",
            "user_id": "u-1",
            "text": "Schedule a reminder for the cert",
        }
        signed_post(channel["inbound_url"], message)
        wait_for(lambda: [s for s in site.requests if s.path == "/hook"] or None)
    results = [
        m["content"]
        for r in llm.chat_requests
        for m in r.json["messages"]
        if m.get("role") == "tool"
    ]
    assert any("at most every 0:05:00" in r for r in results), results
    (job,) = ok(admin.get("/api/cron"))
    assert job["agent_id"] == agent["id"] and job["schedule"] == "@once"
    assert job["deliver"] == {"channel_id": channel["id"], "to": "u-1"}
    assert job["created_by_run_id"] and job["next_fire_at"].startswith("2030-01-01T09:00")
