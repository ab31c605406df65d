"""The generic signed webhook channel end to end: verified, acknowledged, answered once in its
thread as the mapped user; refused when unsigned, unmapped or not granted; paired by code."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.openai_server import FakeOpenAIServer
from tests.fakes.web_site import LoopbackSite, Reply, Seen
from tests.support.api import ok
from tests.support.channels import (
    SECRET,
    agent_turns,
    create_channel,
    make_agent,
    map_user,
    signed_post,
    wait_for,
)
from tests.support.server import RunningServer
from tests.support.users import add_user, client_of, other_org_admin


@pytest.fixture
def receiver() -> Iterator[LoopbackSite]:
    with LoopbackSite() as site:
        site.route("/hook", Reply.json({"ok": True}))
        yield site


def _replies(site: LoopbackSite) -> list[Seen]:
    return [seen for seen in site.requests if seen.path == "/hook"]


def _channel(admin: httpx.Client, site: LoopbackSite, **extra: Any) -> dict[str, Any]:
    config = {"secret": SECRET, "callback_url": site.url("/hook")}
    return create_channel(admin, "webhook", config, make_agent(admin), **extra)


def test_a_message_is_answered_once_in_its_thread(
    admin: httpx.Client, llm: FakeOpenAIServer, receiver: LoopbackSite
) -> None:
    llm.reply_text("Backups run nightly at 02:00.")
    channel = _channel(admin, receiver)
    assert channel["credentials"] == {"secret": True}
    assert SECRET not in json.dumps(channel)
    map_user(admin, channel["id"], "u-42")
    message = {
        "message_id": "m-1",
        "user_id": "u-42",
        "text": "When do backups run?",
        "thread_id": "t-9",
    }

    first = signed_post(channel["inbound_url"], message)
    assert first.status_code == 200
    reply = wait_for(lambda: _replies(receiver) or None, what="the reply")[0]
    assert reply.json() == {
        "reply_to": "m-1",
        "thread_id": "t-9",
        "text": "Backups run nightly at 02:00.",
    }
    expected = hmac.new(SECRET.encode(), reply.body, hashlib.sha256).hexdigest()
    assert reply.headers["x-nexora-signature"] == f"sha256={expected}"

    # The platform retries (it never saw our 200, say): acknowledged, not answered again.
    assert signed_post(channel["inbound_url"], message).status_code == 200
    time.sleep(1.0)
    assert len(_replies(receiver)) == 1
    assert len(agent_turns(llm)) == 1

    # The same thread continues the same session; the turn ran as the mapped user.
    llm.reply_text("Yes, to the vault.")
    follow_up = {**message, "message_id": "m-2", "text": "Offsite too?"}
    assert signed_post(channel["inbound_url"], follow_up).status_code == 200
    wait_for(lambda: len(_replies(receiver)) == 2 or None, what="the second reply")
    sessions = ok(admin.get("/api/sessions"))
    items = sessions["items"] if isinstance(sessions, dict) else sessions
    assert [s["channel"] for s in items] == ["webhook"]


def test_bad_or_missing_signatures_are_refused_and_audited(
    admin: httpx.Client, llm: FakeOpenAIServer, receiver: LoopbackSite
) -> None:
    channel = _channel(admin, receiver)
    message = {"message_id": "m-1", "user_id": "u-1", "text": "hi"}
    assert (
        signed_post(channel["inbound_url"], message, secret="not-the-secret-at-all").status_code
        == 401
    )
    unsigned = httpx.post(channel["inbound_url"], json=message, timeout=10)
    assert unsigned.status_code == 401
    assert unsigned.headers["content-type"].startswith("application/problem+json")

    def audited() -> list[dict[str, Any]] | None:
        query = {"action": "channel.signature_rejected"}
        items: list[dict[str, Any]] = ok(admin.get("/api/admin/audit", params=query))["items"]
        return items if len(items) == 2 else None

    events = wait_for(audited, what="two audit events")
    assert {e["status"] for e in events} == {"failure"}
    assert {e["resource_id"] for e in events} == {channel["id"]}
    time.sleep(0.5)
    assert _replies(receiver) == [] and agent_turns(llm) == []


def test_an_unmapped_user_is_refused_until_they_pair(
    server: RunningServer, admin: httpx.Client, llm: FakeOpenAIServer, receiver: LoopbackSite
) -> None:
    channel = _channel(admin, receiver)
    url = channel["inbound_url"]
    signed_post(url, {"message_id": "m-1", "user_id": "stranger", "text": "Run the report"})
    refusal = wait_for(lambda: _replies(receiver) or None, what="the refusal")[0].json()
    assert refusal["reply_to"] == "m-1" and "not linked" in refusal["text"]
    assert agent_turns(llm) == []

    add_user(admin, "dana")
    with client_of(server, "dana") as dana:
        code = ok(dana.post(f"/api/channels/{channel['id']}/pairing-codes"), 201)["code"]
        dana_id = ok(dana.get("/api/auth/me"))["user_id"]
    signed_post(url, {"message_id": "m-2", "user_id": "stranger", "text": f"pair {code}"})
    wait_for(lambda: len(_replies(receiver)) == 2 or None, what="the pairing answer")
    assert "Linked" in _replies(receiver)[1].json()["text"]
    # A code works once.
    signed_post(url, {"message_id": "m-3", "user_id": "other", "text": f"pair {code}"})
    wait_for(lambda: len(_replies(receiver)) == 3 or None, what="the second pairing answer")
    assert "unknown, used or expired" in _replies(receiver)[2].json()["text"]

    identities = ok(admin.get(f"/api/channels/{channel['id']}/identities"))
    assert [(i["external_id"], i["user_id"], i["via"]) for i in identities] == [
        ("stranger", dana_id, "pairing")
    ]


def test_a_mapped_user_without_a_grant_cannot_use_the_agent(
    admin: httpx.Client, llm: FakeOpenAIServer, receiver: LoopbackSite
) -> None:
    channel = _channel(admin, receiver)
    eve = add_user(admin, "eve")
    ok(
        admin.post(
            f"/api/channels/{channel['id']}/identities",
            json={"external_id": "eve-chat", "user_id": eve["id"]},
        ),
        201,
    )
    signed_post(
        channel["inbound_url"], {"message_id": "m-1", "user_id": "eve-chat", "text": "hello"}
    )
    refusal = wait_for(lambda: _replies(receiver) or None, what="the refusal")[0].json()
    assert "no grant for this agent" in refusal["text"]
    time.sleep(0.3)
    assert agent_turns(llm) == []


def test_channels_are_validated_and_kept_to_their_org(
    server: RunningServer, admin: httpx.Client, receiver: LoopbackSite
) -> None:
    agent_id = make_agent(admin)
    bad = [
        ({"type": "fax"}, "unknown channel type"),
        ({"config": {"callback_url": receiver.url("/hook")}}, "config.secret"),
        ({"config": {"secret": "short", "callback_url": receiver.url("/hook")}}, "config.secret"),
        ({"config": {"secret": SECRET, "callback_url": "ftp://x"}}, "config.callback_url"),
        ({"unmapped": "guest"}, "guest_user_id"),
    ]
    for change, detail in bad:
        body = {
            "type": "webhook",
            "name": "hook",
            "agent_id": agent_id,
            "config": {"secret": SECRET, "callback_url": receiver.url("/hook")},
            **change,
        }
        response = admin.post("/api/channels", json=body)
        assert response.status_code == 422, (change, response.text)
        assert detail in response.json()["detail"], (change, response.json())
    config = {"secret": SECRET, "callback_url": receiver.url("/hook")}
    channel = create_channel(admin, "webhook", config, agent_id)
    with other_org_admin(server, admin) as globex:
        for path in ("", "/health", "/identities"):
            assert globex.get(f"/api/channels/{channel['id']}{path}").status_code == 404
        assert globex.delete(f"/api/channels/{channel['id']}").status_code == 404
        assert globex.get("/api/channels").json() == []

    health = ok(admin.get(f"/api/channels/{channel['id']}/health"))
    assert health["connected"] is None and health["backlog"] == {
        "inbound": 0,
        "outbound": 0,
        "failed": 0,
    }
    renamed = ok(
        admin.put(
            f"/api/channels/{channel['id']}",
            json={"name": "renamed", "config": {"secret": "another-long-secret-value"}},
        )
    )
    assert renamed["name"] == "renamed" and renamed["credentials"] == {"secret": True}
    assert admin.delete(f"/api/channels/{channel['id']}").status_code == 204
    assert admin.get(f"/api/channels/{channel['id']}").status_code == 404


def test_a_rotated_credential_takes_effect_without_a_restart(
    admin: httpx.Client, llm: FakeOpenAIServer, receiver: LoopbackSite
) -> None:
    llm.reply_text("Rotated.")
    ok(admin.put("/api/admin/secrets/hook-secret", json={"value": "old-secret-value"}))
    config = {"secret": "secret:hook-secret", "callback_url": receiver.url("/hook")}
    channel = create_channel(admin, "webhook", config, make_agent(admin))
    map_user(admin, channel["id"], "u-42")
    message = {"message_id": "m-1", "user_id": "u-42", "text": "hi"}
    assert signed_post(channel["inbound_url"], message, "old-secret-value").status_code == 200

    ok(admin.put("/api/admin/secrets/hook-secret", json={"value": "new-secret-value"}))
    second = {**message, "message_id": "m-2"}
    assert signed_post(channel["inbound_url"], second, "old-secret-value").status_code == 401
    assert signed_post(channel["inbound_url"], second, "new-secret-value").status_code == 200
    wait_for(lambda: len(_replies(receiver)) == 2 or None, what="both replies")
    signature = _replies(receiver)[1].headers["x-nexora-signature"]
    body = _replies(receiver)[1].body
    assert signature == "sha256=" + hmac.new(b"new-secret-value", body, "sha256").hexdigest()
