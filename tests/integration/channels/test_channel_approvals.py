"""Approvals from a chat app, as in the console: a tool call that needs approval is announced
in the conversation, and `/confirm` sent there lets the run finish and answer."""

from __future__ import annotations

import httpx

from nexora.security.verdict import Danger
from tests.fakes.openai_server import FakeOpenAIServer
from tests.fakes.web_site import LoopbackSite, Reply
from tests.support.api import ok
from tests.support.channels import SECRET, create_channel, map_user, signed_post, wait_for
from tests.support.runs import counting_tool


def test_a_tool_call_is_approved_from_the_chat(admin: httpx.Client, llm: FakeOpenAIServer) -> None:
    llm.reply_tool_call("add", {"a": 40, "b": 2})
    with counting_tool(danger=Danger.HIGH) as counter, LoopbackSite() as site:
        site.route("/hook", Reply.json({"ok": True}))
        agent = ok(admin.post("/api/agents", json={"name": "calc", "tools": ["add"]}), 201)
        config = {"secret": SECRET, "callback_url": site.url("/hook")}
        channel = create_channel(admin, "webhook", config, agent["id"])
        map_user(admin, channel["id"], "u-1")

        def replies() -> list[dict[str, object]]:
            return [s.json() for s in site.requests if s.path == "/hook"]

        ask = {"message_id": "m-1", "user_id": "u-1", "text": "What is 40+2?", "thread_id": "t"}
        signed_post(channel["inbound_url"], ask)
        notice = wait_for(lambda: replies() or None, what="the approval notice")[0]
        assert notice["reply_to"] == "m-1" and "Waiting for approval to use add" in str(
            notice["text"]
        )
        assert counter.calls == []

        llm.reply_text("40 + 2 is 42.")
        confirm = {"message_id": "m-2", "user_id": "u-1", "text": "/confirm", "thread_id": "t"}
        signed_post(channel["inbound_url"], confirm)
        answered = wait_for(lambda: replies()[1:] or None, what="the answer")
        assert answered == [{"reply_to": "m-1", "thread_id": "t", "text": "40 + 2 is 42."}]
        assert len(counter.calls) == 1
