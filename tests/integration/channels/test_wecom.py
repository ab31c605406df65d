"""WeCom against a fake API: the callback URL check decrypts its echo; encrypted, signed
messages are answered through the app message API; a wrong signature or another corp's message
is refused."""

from __future__ import annotations

import base64
import hashlib
import os
import struct
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tests.fakes.openai_server import FakeOpenAIServer, Reply
from tests.fakes.wecom_platform import FakeWeCom
from tests.support.channels import create_channel, make_agent, map_user, wait_for

CORP_ID, SECRET, TOKEN = "ww-test-corp", "wecom-app-secret", "wecom-callback-token"
AES_KEY = base64.b64encode(b"k" * 32).decode().rstrip("=")  # 43 characters, as WeCom shows it


@pytest.fixture
def wecom() -> Iterator[FakeWeCom]:
    with FakeWeCom(CORP_ID, SECRET) as fake:
        yield fake


def _encrypt(message: bytes, corp_id: str = CORP_ID) -> str:
    """As WeCom documents it: random(16) + length(4, big-endian) + message + corp id, padded
    with PKCS#7 to 32 bytes, AES-256-CBC with the key's first 16 bytes as IV."""
    key = base64.b64decode(AES_KEY + "=")
    plain = os.urandom(16) + struct.pack(">I", len(message)) + message + corp_id.encode()
    pad = 32 - len(plain) % 32
    plain += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def _query(encrypted: str, token: str = TOKEN, **extra: str) -> dict[str, str]:
    stamp, nonce = str(int(time.time())), "n0nce"
    joined = "".join(sorted([token, stamp, nonce, encrypted])).encode()
    digest = hashlib.sha1(joined).hexdigest()  # noqa: S324  (WeCom's signature scheme)
    return {"msg_signature": digest, "timestamp": stamp, "nonce": nonce, **extra}


def _xml(text: str, msg_id: str) -> bytes:
    return (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName>"
        "<FromUserName><![CDATA[zhangsan]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId>"
        "<AgentID>1000002</AgentID></xml>"
    ).encode()


def _post(url: str, message: bytes, corp_id: str = CORP_ID, token: str = TOKEN) -> httpx.Response:
    encrypted = _encrypt(message, corp_id)
    envelope = (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName>"
        f"<Encrypt><![CDATA[{encrypted}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>"
    )
    return httpx.post(url, params=_query(encrypted, token), content=envelope, timeout=10)


def _channel(admin: httpx.Client, wecom: FakeWeCom) -> dict[str, Any]:
    config = {
        "corp_id": CORP_ID,
        "agent_id": 1000002,
        "secret": SECRET,
        "token": TOKEN,
        "encoding_aes_key": AES_KEY,
        "api_base": wecom.url,
    }
    channel = create_channel(admin, "wecom", config, make_agent(admin))
    map_user(admin, channel["id"], "zhangsan")
    return channel


def test_the_callback_is_verified_and_messages_are_answered(
    admin: httpx.Client, llm: FakeOpenAIServer, wecom: FakeWeCom
) -> None:
    llm.default = Reply(text="请假申请已提交。")
    url = _channel(admin, wecom)["inbound_url"]
    echo = _encrypt(b"echo-1234")
    checked = httpx.get(url, params=_query(echo, echostr=echo), timeout=10)
    assert checked.status_code == 200 and checked.text == "echo-1234"
    assert httpx.get(url, params=_query(echo, "wrong", echostr=echo)).status_code == 401

    assert _post(url, _xml("帮我请假", "1001"), token="wrong").status_code == 401
    assert _post(url, _xml("帮我请假", "1001"), corp_id="another-corp").status_code == 401
    assert _post(url, _xml("帮我请假", "1001")).status_code == 200
    assert _post(url, _xml("帮我请假", "1001")).status_code == 200  # WeCom retries: once
    (sent,) = wait_for(lambda: wecom.sent or None, what="the app message")
    assert sent == {
        "touser": "zhangsan",
        "msgtype": "text",
        "agentid": 1000002,
        "text": {"content": "请假申请已提交。"},
        "enable_duplicate_check": 1,
        "duplicate_check_interval": 1800,
    }
    assert wecom.token_requests == 1
