"""Slack against a fake Slack: Socket Mode envelopes acknowledged and answered in their thread,
a rotated connection reopened, Events API signatures checked (and old requests refused),
URL verification answered, and answers edited in place as they are written."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.openai_server import FakeOpenAIServer, Reply
from tests.fakes.slack_platform import BOT_USER, FakeSlack
from tests.support.channels import create_channel, make_agent, map_user, wait_for

BOT_TOKEN = "xoxb-test-bot-token"
APP_TOKEN = "xapp-test-app-token"
SIGNING_SECRET = "slack-signing-secret-0123"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(BOT_TOKEN, APP_TOKEN) as fake:
        yield fake


def _channel(admin: httpx.Client, slack: FakeSlack, **config: Any) -> dict[str, Any]:
    base = {
        "bot_token": BOT_TOKEN,
        "app_token": APP_TOKEN,
        "api_base": slack.api_base,
        "stream_edits": False,
    }
    channel = create_channel(admin, "slack", {**base, **config}, make_agent(admin))
    map_user(admin, channel["id"], "U123")
    return channel


def _message(text: str, ts: str, channel_type: str = "channel", **extra: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "channel": "C42",
        "channel_type": channel_type,
        "user": "U123",
        "text": text,
        "ts": ts,
        **extra,
    }


def test_socket_mode_answers_in_the_thread_and_reconnects(
    admin: httpx.Client, llm: FakeOpenAIServer, slack: FakeSlack
) -> None:
    llm.default = Reply(text="Deploy finished.")
    _channel(admin, slack)
    wait_for(lambda: slack.connections or None, what="the socket")
    # In a channel: a plain message is ignored, a mention is answered in its thread.
    slack.push(_message("nothing for the bot", "100.000001"))
    mention = _message(f"<@{BOT_USER}> status of the deploy?", "100.000002")
    slack.push({**mention, "type": "app_mention"})
    slack.push(mention)  # Slack sends both events for one message
    (reply,) = wait_for(lambda: slack.replies() or None, what="the reply")
    assert reply == {"channel": "C42", "text": "Deploy finished.", "thread_ts": "100.000002"}
    assert "status of the deploy?" in str(llm.chat_requests[0].body)
    time.sleep(0.5)
    assert len(slack.replies()) == 1 and len(slack.acks) == 3

    slack.disconnect()
    wait_for(lambda: slack.connections == 2 or None, what="a new connection")
    slack.push(_message("and now?", "100.000003", channel_type="im"))
    wait_for(lambda: len(slack.replies()) == 2 or None, what="the reply after reconnecting")


def _signed(secret: str, body: bytes, stamp: int) -> dict[str, str]:
    base = f"v0:{stamp}:".encode() + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/json",
    }


def test_the_events_api_is_verified_and_answers_stream(
    admin: httpx.Client, llm: FakeOpenAIServer, slack: FakeSlack
) -> None:
    llm.reply(Reply(text="All green.", chunks=("All ", "green."), chunk_delay=0.4))
    channel = _channel(
        admin, slack, mode="events", signing_secret=SIGNING_SECRET, stream_edits=True
    )
    url = channel["inbound_url"]
    challenge = json.dumps({"type": "url_verification", "challenge": "c-123"}).encode()
    now = int(time.time())
    answered = httpx.post(url, content=challenge, headers=_signed(SIGNING_SECRET, challenge, now))
    assert answered.json() == {"challenge": "c-123"}
    body = json.dumps(slack.event_callback(_message("ci status?", "200.1", "im"))).encode()
    assert httpx.post(url, content=body, headers=_signed("wrong", body, now)).status_code == 401
    stale = _signed(SIGNING_SECRET, body, now - 600)
    assert httpx.post(url, content=body, headers=stale).status_code == 401
    assert httpx.post(url, content=body, headers=_signed(SIGNING_SECRET, body, now)).is_success
    wait_for(
        lambda: [u for u in slack.replies("chat.update") if u["text"] == "All green."] or None,
        what="the final edit",
    )
    (draft,) = slack.replies()
    assert draft["thread_ts"] == "200.1" and draft["text"].endswith(" …")
