"""Telegram against a fake Bot API: long polling and webhooks, replies in the right chat and
topic, mentions in groups, streamed answers, rate limits, redeliveries, and one channel's
broken connection or restart leaving another channel alone."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.openai_server import FakeOpenAIServer, Reply
from tests.fakes.telegram_platform import BOT, FakeTelegram
from tests.support.api import ok
from tests.support.channels import create_channel, make_agent, map_user, wait_for

TOKEN = "123456:telegram-test-token"


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram(TOKEN) as fake:
        yield fake


def _channel(
    admin: httpx.Client, telegram: FakeTelegram, name: str = "tg", **config: Any
) -> dict[str, Any]:
    body = {"bot_token": TOKEN, "api_base": telegram.url, "poll_timeout": 1, "stream_edits": False}
    agent_id = make_agent(admin, f"{name}-agent")
    channel = create_channel(admin, "telegram", {**body, **config}, agent_id, name=name)
    map_user(admin, channel["id"], "7")
    return channel


def _health(admin: httpx.Client, channel: dict[str, Any]) -> dict[str, Any]:
    health: dict[str, Any] = ok(admin.get(f"/api/channels/{channel['id']}/health"))
    return health


def test_a_polled_message_is_answered_once_in_its_chat(
    admin: httpx.Client, llm: FakeOpenAIServer, telegram: FakeTelegram
) -> None:
    llm.reply_text("Pong.")
    channel = _channel(admin, telegram)
    assert channel["inbound_url"] is not None and channel["connection"] is True
    telegram.push_text(chat_id=42, user_id=7, text="Ping", message_id=5)
    (reply,) = wait_for(lambda: telegram.replies() or None, what="the reply")
    assert reply == {
        "chat_id": "42",
        "text": "Pong.",
        "reply_parameters": {"message_id": 5, "allow_sending_without_reply": True},
    }
    assert wait_for(lambda: _health(admin, channel)["connected"] or None)
    # The same message again (an update Telegram redelivers): stored once, answered once.
    telegram.push_text(chat_id=42, user_id=7, text="Ping", message_id=5)
    time.sleep(1.5)
    assert len(telegram.replies()) == 1


def test_groups_answer_mentions_in_their_topic(
    admin: httpx.Client, llm: FakeOpenAIServer, telegram: FakeTelegram
) -> None:
    llm.reply_text("On it.")
    _channel(admin, telegram)
    telegram.push_text(
        chat_id=-100, user_id=7, text="chatter", message_id=1, chat_type="supergroup"
    )
    mention = [{"type": "mention", "offset": 0, "length": len(BOT["username"]) + 1}]
    telegram.push_text(
        chat_id=-100,
        user_id=7,
        text=f"@{BOT['username']} restart the build",
        message_id=2,
        chat_type="supergroup",
        entities=mention,
        thread_id=77,
    )
    (reply,) = wait_for(lambda: telegram.replies() or None, what="the reply")
    assert reply["message_thread_id"] == 77 and reply["reply_parameters"]["message_id"] == 2
    assert "restart the build" in str(llm.chat_requests[0].body)
    assert "@nexora_bot" not in str(llm.chat_requests[0].body)
    time.sleep(0.5)
    assert len(telegram.replies()) == 1


def test_webhooks_need_the_secret_token(
    admin: httpx.Client, llm: FakeOpenAIServer, telegram: FakeTelegram
) -> None:
    llm.reply_text("Hi there.")
    channel = _channel(admin, telegram, mode="webhook", webhook_secret="telegram-webhook-secret")
    assert channel["connection"] is False
    update = {
        "update_id": 1,
        "message": {
            "message_id": 3,
            "from": {"id": 7, "is_bot": False, "first_name": "Ada"},
            "chat": {"id": 42, "type": "private"},
            "text": "hello",
        },
    }
    url = channel["inbound_url"]
    wrong = {"X-Telegram-Bot-Api-Secret-Token": "guess"}
    assert httpx.post(url, json=update, headers=wrong, timeout=10).status_code == 401
    right = {"X-Telegram-Bot-Api-Secret-Token": "telegram-webhook-secret"}
    assert httpx.post(url, json=update, headers=right, timeout=10).status_code == 200
    (reply,) = wait_for(lambda: telegram.replies() or None, what="the reply")
    assert reply["text"] == "Hi there." and reply["chat_id"] == "42"
    assert "getUpdates" not in telegram.calls


def test_answers_stream_into_one_message_and_rate_limits_are_waited_out(
    admin: httpx.Client, llm: FakeOpenAIServer, telegram: FakeTelegram
) -> None:
    llm.reply(
        Reply(text="Step one. Step two.", chunks=("Step one. ", "Step two."), chunk_delay=0.5)
    )
    _channel(admin, telegram, stream_edits=True)
    telegram.push_text(chat_id=42, user_id=7, text="Steps?", message_id=9)
    wait_for(
        lambda: (
            [e for e in telegram.replies("editMessageText") if e["text"] == "Step one. Step two."]
            or None
        ),
        what="the final edit",
    )
    (draft,) = telegram.replies()
    assert draft["text"].endswith(" …")
    edits = telegram.replies("editMessageText")
    assert {e["message_id"] for e in edits} == {telegram.sent[0].message_id}

    telegram.rate_limited = 1
    llm.reply_text("Later.")
    telegram.push_text(chat_id=43, user_id=7, text="And then?", message_id=1)
    late = wait_for(
        lambda: [r for r in telegram.replies() if r["chat_id"] == "43"] or None,
        seconds=20,
        what="the reply after the rate limit",
    )
    assert len(late) == 1


def test_a_broken_or_restarted_channel_leaves_the_others_alone(
    admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    llm.default = Reply(text="Answered.")
    with FakeTelegram(TOKEN) as first, FakeTelegram(TOKEN) as second:
        broken = _channel(admin, first, name="first")
        steady = _channel(admin, second, name="second")
        wait_for(lambda: _health(admin, steady)["connected"] or None, what="a connection")
        first.down = True
        failing = wait_for(
            lambda: (_health(admin, broken)["last_error"] and _health(admin, broken)) or None,
            what="the broken channel's error",
        )
        assert failing["connected"] is False and "502" in failing["last_error"]

        second.push_text(chat_id=1, user_id=7, text="still there?", message_id=1)
        wait_for(lambda: second.replies() or None, what="the steady channel's reply")

        first.push_text(chat_id=2, user_id=7, text="back?", message_id=1)
        first.down = False  # the next attempt reconnects and takes the waiting message
        wait_for(lambda: first.replies() or None, what="the recovered channel's reply")
        assert wait_for(lambda: _health(admin, broken)["connected"] or None)

        connects = second.calls.count("getMe")
        before = first.calls.count("getMe")
        ok(admin.post(f"/api/channels/{broken['id']}/restart"))
        wait_for(lambda: first.calls.count("getMe") > before or None, what="the restart")
        time.sleep(0.5)
        assert second.calls.count("getMe") == connects
