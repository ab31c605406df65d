"""QQ against a fake bot platform: the gateway identified with the app's token and intents
(and resumed after a dropped connection, or identified afresh when the session is gone),
one-to-one and group @-messages answered as passive replies, and HTTP callbacks validated and
verified with the Ed25519 key derived from the app secret."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.fakes.openai_server import FakeOpenAIServer, Reply
from tests.fakes.qq_platform import FakeQQ
from tests.support.channels import create_channel, make_agent, map_user, wait_for

APP_ID, APP_SECRET = "102000001", "qq-secret-value"


@pytest.fixture
def qq() -> Iterator[FakeQQ]:
    with FakeQQ(APP_ID, APP_SECRET) as fake:
        yield fake


def _channel(admin: httpx.Client, qq: FakeQQ, **config: Any) -> dict[str, Any]:
    base = {
        "app_id": APP_ID,
        "app_secret": APP_SECRET,
        "api_base": qq.url,
        "token_url": f"{qq.url}/app/getAppAccessToken",
    }
    channel = create_channel(admin, "qq", {**base, **config}, make_agent(admin))
    for openid in ("user-openid-1", "member-openid-2"):
        map_user(admin, channel["id"], openid)
    return channel


def test_the_gateway_answers_chats_and_group_mentions(
    admin: httpx.Client, llm: FakeOpenAIServer, qq: FakeQQ
) -> None:
    llm.default = Reply(text="明天晴。")
    _channel(admin, qq)
    wait_for(lambda: qq.identifies or None, what="identify")
    assert qq.identifies[0]["token"] == "QQBot qq-access-token"
    assert qq.identifies[0]["intents"] == (1 << 25) | (1 << 30)
    qq.dispatch(
        "C2C_MESSAGE_CREATE",
        {"id": "msg-1", "author": {"user_openid": "user-openid-1"}, "content": "明天天气"},
    )
    qq.dispatch(
        "GROUP_AT_MESSAGE_CREATE",
        {
            "id": "msg-2",
            "group_openid": "group-openid-9",
            "author": {"member_openid": "member-openid-2"},
            "content": " 明天呢",
        },
    )
    replies = wait_for(lambda: (len(qq.replies) == 2 and qq.replies) or None, what="two replies")
    by_path = dict(replies)
    one = by_path["/v2/users/user-openid-1/messages"]
    assert one["content"] == "明天晴。" and one["msg_id"] == "msg-1" and one["msg_type"] == 0
    assert by_path["/v2/groups/group-openid-9/messages"]["msg_id"] == "msg-2"


def test_callbacks_are_validated_and_verified(
    admin: httpx.Client, llm: FakeOpenAIServer, qq: FakeQQ
) -> None:
    llm.default = Reply(text="收到。")
    url = _channel(admin, qq, mode="webhook")["inbound_url"]
    seed = (APP_SECRET * 4).encode()[:32]  # QQ's derivation, done here independently
    key = Ed25519PrivateKey.from_private_bytes(seed)
    validation = {"op": 13, "d": {"plain_token": "pt-1", "event_ts": "1763800000"}}
    answer = httpx.post(url, json=validation, timeout=10).json()
    key.public_key().verify(bytes.fromhex(answer["signature"]), b"1763800000pt-1")
    assert answer["plain_token"] == "pt-1"

    event = {
        "op": 0,
        "id": "ev-1",
        "t": "C2C_MESSAGE_CREATE",
        "d": {"id": "msg-7", "author": {"user_openid": "user-openid-1"}, "content": "在吗"},
    }
    body = json.dumps(event).encode()
    stamp = str(int(time.time()))
    good = {
        "X-Signature-Timestamp": stamp,
        "X-Signature-Ed25519": key.sign(stamp.encode() + body).hex(),
    }
    bad = {**good, "X-Signature-Ed25519": key.sign(b"something else").hex()}
    assert httpx.post(url, content=body, headers=bad, timeout=10).status_code == 401
    acked = httpx.post(url, content=body, headers=good, timeout=10)
    assert acked.json() == {"op": 12}
    ((path, reply),) = wait_for(lambda: qq.replies or None, what="the reply")
    assert path == "/v2/users/user-openid-1/messages" and reply["content"] == "收到。"


def _message(message_id: str, text: str) -> dict[str, Any]:
    return {"id": message_id, "author": {"user_openid": "user-openid-1"}, "content": text}


def test_a_dropped_gateway_connection_resumes_and_answers_what_was_missed(
    admin: httpx.Client, llm: FakeOpenAIServer, qq: FakeQQ
) -> None:
    llm.default = Reply(text="在。")
    _channel(admin, qq)
    wait_for(lambda: qq.identifies or None, what="identify")
    qq.dispatch("C2C_MESSAGE_CREATE", _message("msg-1", "在吗"))
    wait_for(lambda: qq.replies or None, what="the first reply")

    qq.outage = True
    wait_for(lambda: qq.open_sockets == 0 or None, what="the outage")
    qq.dispatch("C2C_MESSAGE_CREATE", _message("msg-2", "还在吗"))
    qq.outage = False
    (resume, *_) = wait_for(lambda: qq.resumes or None, what="a resume", seconds=30)
    assert resume["session_id"] == "s-1" and resume["token"] == "QQBot qq-access-token"
    assert isinstance(resume["seq"], int) and resume["seq"] >= 2
    wait_for(lambda: len(qq.replies) == 2 or None, what="the reply to the missed message")
    assert qq.replies[1][1]["msg_id"] == "msg-2"
    assert len(qq.identifies) == 1

    # A session the gateway forgot is refused; the channel identifies afresh.
    qq.forget_session()
    qq.outage = True
    wait_for(lambda: qq.open_sockets == 0 or None, what="the second outage")
    qq.outage = False
    wait_for(lambda: len(qq.identifies) == 2 or None, what="a new identify", seconds=30)
    qq.dispatch("C2C_MESSAGE_CREATE", _message("msg-3", "新会话"))
    wait_for(lambda: len(qq.replies) == 3 or None, what="the reply in the new session")
