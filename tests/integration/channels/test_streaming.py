"""Answers shown as they are written: a draft, edits as words arrive, and the finished
answer replacing the draft — one message on the platform, never a second."""

from __future__ import annotations

import time

import httpx

from tests.fakes.openai_server import FakeOpenAIServer, Reply
from tests.fakes.web_site import LoopbackSite
from tests.fakes.web_site import Reply as SiteReply
from tests.support.channels import (
    SECRET,
    create_channel,
    make_agent,
    map_user,
    signed_post,
    wait_for,
)


def test_an_answer_streams_into_one_message(admin: httpx.Client, llm: FakeOpenAIServer) -> None:
    llm.reply(
        Reply(
            text="Disk usage is 81% on db-1.",
            chunks=("Disk usage ", "is 81% ", "on db-1."),
            chunk_delay=0.4,
        )
    )
    with LoopbackSite() as site:
        site.route("/hook", SiteReply.json({"ok": True}))
        config = {"secret": SECRET, "callback_url": site.url("/hook"), "stream_edits": True}
        channel = create_channel(admin, "webhook", config, make_agent(admin))
        map_user(admin, channel["id"], "u-1")
        message = {"message_id": "m-1", "user_id": "u-1", "text": "How full is db-1?"}
        assert signed_post(channel["inbound_url"], message).status_code == 200

        def final() -> list[dict[str, object]] | None:
            posts = [s.json() for s in site.requests if s.path == "/hook"]
            done = posts and posts[-1]["text"] == "Disk usage is 81% on db-1."
            return posts if done else None

        posts = wait_for(final, what="the finished answer")
        time.sleep(0.5)
        assert [s.json() for s in site.requests if s.path == "/hook"] == posts

    draft, *edits = posts
    assert "edit_of" not in draft and str(draft["text"]).endswith(" …")
    assert draft["reply_to"] == "m-1" and draft["id"]
    assert edits, "the draft was never edited"
    assert all(edit["edit_of"] == draft["id"] for edit in edits)
    assert [e for e in edits if not str(e["text"]).endswith(" …")] == [edits[-1]]
