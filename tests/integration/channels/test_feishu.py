"""Feishu against a fake open platform: over the long connection, events acknowledged in
protobuf frames (split ones joined), pings sent, a dropped connection reconnected; by event
subscription, encrypted, signed events verified and answered in the message's thread, the URL
check answered, bad tokens and signatures refused; group messages answered only when the bot
is mentioned; answers streamed into one updatable card."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tests.fakes.feishu_platform import BOT_OPEN_ID, FakeFeishu
from tests.fakes.openai_server import FakeOpenAIServer, Reply
from tests.support.api import ok
from tests.support.channels import create_channel, make_agent, map_user, wait_for

APP_ID, APP_SECRET = "cli_test", "feishu-app-secret"
VERIFICATION_TOKEN, ENCRYPT_KEY = "feishu-verification-token", "feishu-encrypt-key"


@pytest.fixture
def feishu() -> Iterator[FakeFeishu]:
    with FakeFeishu(APP_ID, APP_SECRET) as fake:
        yield fake


def _encrypt(payload: dict[str, Any]) -> str:
    """As Feishu documents it: AES-256-CBC, key sha256(encrypt key), random IV first, PKCS#7."""
    key = hashlib.sha256(ENCRYPT_KEY.encode()).digest()
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    data = padder.update(json.dumps(payload).encode()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return base64.b64encode(iv + encryptor.update(data) + encryptor.finalize()).decode()


def _post(url: str, payload: dict[str, Any], key: str = ENCRYPT_KEY) -> httpx.Response:
    body = json.dumps({"encrypt": _encrypt(payload)}).encode()
    stamp, nonce = str(int(time.time())), "nonce-1"
    signature = hashlib.sha256((stamp + nonce + key).encode() + body).hexdigest()
    headers = {
        "X-Lark-Request-Timestamp": stamp,
        "X-Lark-Request-Nonce": nonce,
        "X-Lark-Signature": signature,
        "Content-Type": "application/json",
    }
    return httpx.post(url, content=body, headers=headers, timeout=10)


def _event(text: str, message_id: str, chat_type: str = "p2p", **message: Any) -> dict[str, Any]:
    return {
        "schema": "2.0",
        "header": {
            "event_id": f"ev-{message_id}",
            "event_type": "im.message.receive_v1",
            "token": VERIFICATION_TOKEN,
            "app_id": APP_ID,
        },
        "event": {
            "sender": {"sender_id": {"open_id": "ou_ada"}, "sender_type": "user"},
            "message": {
                "message_id": message_id,
                "chat_id": "oc_chat",
                "chat_type": chat_type,
                "message_type": "text",
                "content": json.dumps({"text": text}),
                **message,
            },
        },
    }


def _channel(admin: httpx.Client, feishu: FakeFeishu, stream: bool) -> dict[str, Any]:
    config = {
        "app_id": APP_ID,
        "app_secret": APP_SECRET,
        "verification_token": VERIFICATION_TOKEN,
        "encrypt_key": ENCRYPT_KEY,
        "api_base": feishu.url,
        "stream_edits": stream,
        "mode": "webhook",
    }
    channel = create_channel(admin, "feishu", config, make_agent(admin))
    map_user(admin, channel["id"], "ou_ada")
    return channel


def test_encrypted_events_are_verified_and_answered_in_their_thread(
    admin: httpx.Client, llm: FakeOpenAIServer, feishu: FakeFeishu
) -> None:
    llm.default = Reply(text="报表已生成。")
    url = _channel(admin, feishu, stream=False)["inbound_url"]
    challenge = {"challenge": "c-1", "token": VERIFICATION_TOKEN, "type": "url_verification"}
    assert _post(url, challenge).json() == {"challenge": "c-1"}
    assert _post(url, _event("hi", "om_1"), key="not-the-key").status_code == 401
    forged = _event("hi", "om_1")
    forged["header"]["token"] = "guess"
    assert _post(url, forged).status_code == 401

    # In a group: only a message mentioning the bot is answered, in its thread.
    assert _post(url, _event("随便聊聊", "om_2", chat_type="group")).status_code == 200
    mention = [{"key": "@_user_1", "id": {"open_id": BOT_OPEN_ID}, "name": "Nexora"}]
    asked = _event("@_user_1 生成周报", "om_3", "group", mentions=mention, thread_id="omt_9")
    assert _post(url, asked).status_code == 200
    assert _post(url, asked).status_code == 200  # Feishu redelivers: answered once
    ((target, body),) = wait_for(lambda: feishu.sent() or None, what="the reply")
    assert target == "om_3" and body["reply_in_thread"] is True
    assert body["msg_type"] == "text" and json.loads(body["content"]) == {"text": "报表已生成。"}
    assert "生成周报" in str(llm.chat_requests[0].body) and "@_user_1" not in str(
        llm.chat_requests[0].body
    )
    time.sleep(0.5)
    assert len(feishu.sent()) == 1


def test_answers_stream_into_one_card(
    admin: httpx.Client, llm: FakeOpenAIServer, feishu: FakeFeishu
) -> None:
    llm.reply(
        Reply(
            text="第一步完成。第二步完成。",
            chunks=("第一步完成。", "第二步完成。"),
            chunk_delay=0.4,
        )
    )
    url = _channel(admin, feishu, stream=True)["inbound_url"]
    assert _post(url, _event("进度如何", "om_10")).status_code == 200

    def final() -> list[tuple[str, dict[str, Any]]] | None:
        done = [
            u
            for u in feishu.sent("update")
            if json.loads(u[1]["content"])["elements"][0]["content"] == "第一步完成。第二步完成。"
        ]
        return done or None

    ((updated, _),) = wait_for(final, what="the final card")
    ((_, draft),) = feishu.sent()
    assert draft["msg_type"] == "interactive"
    assert updated == "om_1"  # the fake's id for the draft card


def test_the_long_connection_acks_events_joins_split_ones_pings_and_reconnects(
    admin: httpx.Client, llm: FakeOpenAIServer, feishu: FakeFeishu
) -> None:
    llm.default = Reply(text="已收到。")
    feishu.ping_seconds = 1
    config = {
        "app_id": APP_ID,
        "app_secret": APP_SECRET,
        "api_base": feishu.url,
        "stream_edits": False,
    }
    channel = create_channel(admin, "feishu", config, make_agent(admin))
    map_user(admin, channel["id"], "ou_ada")
    wait_for(lambda: feishu.connections or None, what="the long connection")

    frame = feishu.push_event(_event("你好", "om_21"))
    ((target, body),) = wait_for(lambda: feishu.sent() or None, what="the reply")
    assert target == "om_21" and json.loads(body["content"]) == {"text": "已收到。"}
    ack = feishu.acks()[frame]
    assert json.loads(ack["payload"]) == {"code": 200}
    assert ack["SeqID"] == 1 and ack["headers"]["trace_id"] == f"trace-{frame}"
    assert int(ack["headers"]["biz_rt"]) >= 0
    (ping, *_) = wait_for(lambda: feishu.pings() or None, what="a ping frame")
    assert ping["method"] == 0 and ping["service"] == 33

    # A long event arrives in three frames; it is answered once, and each part acknowledged
    # only when the whole event is in.
    split = feishu.push_event(_event("很长的消息" * 200, "om_22"), parts=3)
    wait_for(lambda: len(feishu.sent()) == 2 or None, what="the split event's reply")
    assert feishu.acks()[split]["headers"]["sum"] == "3"

    # The network drops: the client connects again and the same event redelivered after the
    # reconnect is not answered twice.
    feishu.drop_connections()
    wait_for(lambda: feishu.connections >= 2 or None, what="the reconnect", seconds=30)
    feishu.push_event(_event("你好", "om_21"))
    feishu.push_event(_event("还在吗", "om_23"))
    wait_for(lambda: len(feishu.sent()) == 3 or None, what="the answer after reconnecting")
    time.sleep(0.5)
    assert [target for target, _ in feishu.sent()] == ["om_21", "om_22", "om_23"]
    health = ok(admin.get(f"/api/channels/{channel['id']}/health"))
    assert health["connected"] is True
