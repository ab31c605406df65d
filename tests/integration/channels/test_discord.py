"""Discord against a fake gateway and REST API: identify with the configured intents, answer
direct messages and mentions as replies, ignore other guild chatter; after a dropped connection
or a gateway that stops acknowledging heartbeats, resume the session so messages of the outage
are answered, and identify afresh when the session cannot be resumed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.discord_platform import BOT_ID, FakeDiscord
from tests.fakes.openai_server import FakeOpenAIServer, Reply
from tests.support.api import ok
from tests.support.channels import create_channel, make_agent, map_user, wait_for

TOKEN = "discord-bot-token-value"


@pytest.fixture
def discord() -> Iterator[FakeDiscord]:
    with FakeDiscord(TOKEN, heartbeat_ms=300) as fake:
        yield fake


def _channel(admin: httpx.Client, discord: FakeDiscord) -> dict[str, Any]:
    config = {"bot_token": TOKEN, "api_base": discord.api_base, "stream_edits": False}
    channel = create_channel(admin, "discord", config, make_agent(admin))
    map_user(admin, channel["id"], "u-7")
    return channel


def test_messages_are_answered_as_replies_and_the_gateway_reconnects(
    admin: httpx.Client, llm: FakeOpenAIServer, discord: FakeDiscord
) -> None:
    llm.default = Reply(text="The build is green.")
    channel = _channel(admin, discord)
    assert channel["inbound_url"] is None and channel["connection"] is True
    wait_for(lambda: discord.identifies or None, what="identify")
    assert discord.identifies[0]["intents"] == (1 << 9) | (1 << 12) | (1 << 15)
    discord.push_message("chatter", "m-100", guild=True)
    discord.push_message(f"<@{BOT_ID}> is the build green?", "m-101", guild=True, mentions=True)
    ((target, body),) = wait_for(lambda: discord.created or None, what="the reply")
    assert target == "c-1" and body["content"] == "The build is green."
    assert body["message_reference"] == {"message_id": "m-101", "fail_if_not_exists": False}
    assert "<@" not in str(llm.chat_requests[0].body)
    wait_for(lambda: discord.heartbeats >= 2 or None, what="heartbeats")

    # The network fails; a message sent meanwhile is replayed when the session resumes.
    discord.start_outage()
    discord.push_message("and now?", "m-102")
    discord.outage = False
    (resume, *_) = wait_for(lambda: discord.resumes or None, what="a resume", seconds=30)
    assert resume["session_id"] == "s-1" and resume["token"] == TOKEN
    assert isinstance(resume["seq"], int) and resume["seq"] >= 2
    wait_for(lambda: len(discord.created) == 2 or None, what="the reply to the missed message")
    assert discord.created[1][1]["message_reference"]["message_id"] == "m-102"
    assert len(discord.identifies) == 1

    # A gateway that stops acknowledging heartbeats is a dead connection: dropped, resumed.
    discord.ack_heartbeats = False
    wait_for(lambda: len(discord.resumes) >= 2 or None, what="a reconnect from a zombie")
    health = ok(admin.get(f"/api/channels/{channel['id']}/health"))
    assert "heartbeat" in (health["last_error"] or "")
    discord.ack_heartbeats = True

    # A session the gateway no longer knows is not resumed: the channel identifies afresh.
    discord.session_valid = False
    discord.drop()
    wait_for(lambda: len(discord.identifies) == 2 or None, what="a new identify", seconds=30)
    discord.push_message("still there?", "m-103")
    wait_for(lambda: len(discord.created) == 3 or None, what="the reply in the new session")
