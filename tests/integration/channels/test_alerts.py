"""Alert intake: Alertmanager, Grafana and Uptime Kuma notifications go to the alerts agent,
whose answer is posted to the people's channel; a repeated notification is answered once."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.fakes.openai_server import FakeOpenAIServer
from tests.fakes.web_site import LoopbackSite, Reply
from tests.support.api import ok
from tests.support.channels import SECRET, agent_turns, create_channel, make_agent, wait_for

TOKEN = "alerts-bearer-token-0123456789"

ALERTMANAGER = {
    "version": "4",
    "groupKey": '{}:{alertname="HighCPU"}',
    "status": "firing",
    "receiver": "nexora",
    "commonLabels": {"alertname": "HighCPU", "severity": "critical"},
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "HighCPU", "instance": "db-1:9100"},
            "annotations": {"summary": "CPU above 95% for 10 minutes"},
            "startsAt": "2026-11-22T10:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "fingerprint": "c0ffee",
        }
    ],
}

UPTIME_KUMA = {
    "heartbeat": {"status": 0, "msg": "connect ECONNREFUSED", "time": "2026-11-22 10:05:00"},
    "monitor": {"name": "Public site", "url": "https://example.com"},
    "msg": "[Public site] [DOWN] connect ECONNREFUSED",
}


def _post(url: str, payload: dict[str, Any], token: str = TOKEN) -> httpx.Response:
    return httpx.post(url, json=payload, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_alerts_reach_the_alerts_agent_and_its_answer_reaches_people(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    me = ok(admin.get("/api/auth/me"))
    with LoopbackSite() as site:
        site.route("/hook", Reply.json({"ok": True}))
        people = create_channel(
            admin,
            "webhook",
            {"secret": SECRET, "callback_url": site.url("/hook")},
            make_agent(admin, "assistant"),
        )
        alerts = ok(
            admin.post(
                "/api/channels",
                json={
                    "type": "alerts",
                    "name": "monitoring",
                    "agent_id": make_agent(admin, "alerts"),
                    "unmapped": "guest",
                    "guest_user_id": me["user_id"],
                    "config": {
                        "token": TOKEN,
                        "deliver": {"channel_id": people["id"], "to": "ops-room"},
                    },
                },
            ),
            201,
        )
        url = alerts["inbound_url"]
        assert _post(url, ALERTMANAGER, token="wrong-token-wrong-token").status_code == 401

        llm.reply_text("db-1 CPU is pegged; check the nightly reindex.")
        assert _post(url, ALERTMANAGER).status_code == 200
        posted = wait_for(lambda: [s for s in site.requests if s.path == "/hook"] or None)
        assert posted[0].json() == {
            "reply_to": None,
            "thread_id": None,
            "text": "db-1 CPU is pegged; check the nightly reindex.",
            "to": "ops-room",
        }
        prompt = str(agent_turns(llm)[0].body)
        assert "HighCPU" in prompt and "CPU above 95% for 10 minutes" in prompt

        # Alertmanager repeats a still-firing group: nothing new, nothing posted.
        assert _post(url, ALERTMANAGER).status_code == 200
        llm.reply_text("The public site is down: connection refused.")
        assert httpx.post(f"{url}?token={TOKEN}", json=UPTIME_KUMA, timeout=10).status_code == 200
        wait_for(lambda: len([s for s in site.requests if s.path == "/hook"]) == 2 or None)
        time.sleep(0.5)
        texts = [s.json()["text"] for s in site.requests if s.path == "/hook"]
        assert texts[1] == "The public site is down: connection refused."
        assert "Public site is DOWN" in str(agent_turns(llm)[1].body)
        assert len(agent_turns(llm)) == 2

        unknown = _post(url, {"hello": "world"})
        assert unknown.status_code == 422


def test_alerts_must_forward_to_a_channel_of_the_org(admin: httpx.Client) -> None:
    body = {
        "type": "alerts",
        "name": "monitoring",
        "agent_id": make_agent(admin, "alerts"),
        "config": {"token": TOKEN, "deliver": {"channel_id": "nope", "to": "x"}},
    }
    response = admin.post("/api/channels", json=body)
    assert response.status_code == 422
    assert "config.deliver.channel_id" in response.json()["detail"]
