"""DingTalk against a fake: Stream mode frames acknowledged (pings answered) and robot messages
answered through their session webhook; the outgoing webhook's signature checked; an expired
session webhook falls back to the robot message API."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.dingtalk_platform import FakeDingTalk
from tests.fakes.openai_server import FakeOpenAIServer, Reply
from tests.support.channels import create_channel, make_agent, map_user, wait_for

CLIENT_ID, CLIENT_SECRET = "ding-app-key", "ding-app-secret-value"


@pytest.fixture
def dingtalk() -> Iterator[FakeDingTalk]:
    with FakeDingTalk(CLIENT_ID, CLIENT_SECRET) as fake:
        yield fake


def _channel(admin: httpx.Client, dingtalk: FakeDingTalk, **config: Any) -> dict[str, Any]:
    base = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "api_base": dingtalk.url}
    channel = create_channel(admin, "dingtalk", {**base, **config}, make_agent(admin))
    map_user(admin, channel["id"], "staff-7")
    return channel


def test_stream_mode_acks_frames_and_answers_through_the_session_webhook(
    admin: httpx.Client, llm: FakeOpenAIServer, dingtalk: FakeDingTalk
) -> None:
    llm.default = Reply(text="会议室已预订。")
    _channel(admin, dingtalk)
    wait_for(lambda: dingtalk.connections or None, what="the stream")
    dingtalk.push(
        {
            "specVersion": "1.0",
            "type": "SYSTEM",
            "headers": {"topic": "ping", "messageId": "ping-1"},
            "data": json.dumps({"opaque": "x"}),
        }
    )
    frame = dingtalk.push_message(dingtalk.robot_message("帮我订会议室", "msg-1"))
    (posted,) = wait_for(lambda: dingtalk.session_posts or None, what="the reply")
    assert posted == {"msgtype": "text", "text": {"content": "会议室已预订。"}}
    acks = {a["headers"]["messageId"]: a for a in dingtalk.acks}
    assert acks["ping-1"]["data"] == json.dumps({"opaque": "x"})
    assert acks[frame]["code"] == 200

    # A group message not addressed to the bot is acknowledged and left alone.
    quiet = dingtalk.robot_message("闲聊", "msg-2", group=True, isInAtList=False)
    dingtalk.push_message(quiet)
    time.sleep(0.8)
    assert len(dingtalk.session_posts) == 1


def _signed(secret: str) -> dict[str, str]:
    stamp = str(int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
    return {"timestamp": stamp, "sign": base64.b64encode(digest).decode()}


def test_the_outgoing_webhook_is_signed_and_falls_back_to_the_robot_api(
    admin: httpx.Client, llm: FakeOpenAIServer, dingtalk: FakeDingTalk
) -> None:
    llm.default = Reply(text="已处理。")
    url = _channel(admin, dingtalk, mode="webhook")["inbound_url"]
    expired = dingtalk.robot_message(
        "请处理工单", "msg-9", sessionWebhookExpiredTime=int(time.time() * 1000) - 1
    )
    assert httpx.post(url, json=expired, headers=_signed("wrong-secret")).status_code == 401
    assert httpx.post(url, json=expired, headers=_signed(CLIENT_SECRET)).status_code == 200
    ((path, body),) = wait_for(lambda: dingtalk.robot_posts or None, what="the robot message")
    assert path == "oToMessages/batchSend" and body["userIds"] == ["staff-7"]
    assert body["robotCode"] == CLIENT_ID
    assert json.loads(body["msgParam"]) == {"content": "已处理。"}
    assert dingtalk.session_posts == []
