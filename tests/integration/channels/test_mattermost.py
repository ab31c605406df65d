"""Mattermost against a fake server: the websocket authenticated by the bot's token, direct
messages and mentions answered in the post's thread, other channel chatter left alone, and
answers edited in place as they are written."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.fakes.mattermost_platform import FakeMattermost
from tests.fakes.openai_server import FakeOpenAIServer, Reply
from tests.support.channels import create_channel, make_agent, map_user, wait_for

TOKEN = "mattermost-bot-token"


@pytest.fixture
def mattermost() -> Iterator[FakeMattermost]:
    with FakeMattermost(TOKEN) as fake:
        yield fake


def test_posts_are_answered_in_their_thread(
    admin: httpx.Client, llm: FakeOpenAIServer, mattermost: FakeMattermost
) -> None:
    llm.reply(
        Reply(text="Sprint ends Friday.", chunks=("Sprint ends ", "Friday."), chunk_delay=0.4)
    )
    config = {"url": mattermost.url, "token": TOKEN}
    channel = create_channel(admin, "mattermost", config, make_agent(admin))
    map_user(admin, channel["id"], "user-ada")
    wait_for(lambda: mattermost.logins or None, what="the websocket login")
    mattermost.post("lunch?", "p-1", channel_type="O")
    mattermost.post("@nexora when does the sprint end?", "p-2", channel_type="O", mention=True)
    wait_for(
        lambda: [p for p in mattermost.patches if p[1]["message"] == "Sprint ends Friday."] or None,
        what="the final edit",
    )
    (draft,) = mattermost.posts
    assert draft["channel_id"] == "chan-1" and draft["root_id"] == "p-2"
    assert draft["message"].endswith(" …")
    assert "when does the sprint end?" in str(llm.chat_requests[0].body)
    assert "@nexora" not in str(llm.chat_requests[0].body)
    time.sleep(0.3)
    assert len(mattermost.posts) == 1
