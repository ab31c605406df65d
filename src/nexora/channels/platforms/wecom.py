"""WeCom (企业微信) self-built apps: the encrypted callback (URL check by echo, messages as
AES-encrypted XML signed with the callback token) and replies through the app message API.

XML from the network is read with `defusedxml`, which refuses DTDs and entities outright.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from typing import Any
from xml.etree.ElementTree import Element

import httpx
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from defusedxml.ElementTree import fromstring
from pydantic import Field, SecretStr

from nexora.channels.base import (
    Adapter,
    BadSignature,
    ChannelConfig,
    DeliveryFailed,
    Inbound,
    Outbound,
    RateLimited,
    WebhookRequest,
    WebhookResult,
    register,
)
from nexora.channels.signatures import same
from nexora.channels.tokens import CachedToken

RATE_LIMITED = {45009, 45033, 45047}
TOKEN_INVALID = {40014, 42001}


class WeComConfig(ChannelConfig):
    corp_id: str = Field(min_length=1, max_length=64)
    agent_id: int = Field(ge=1)
    secret: SecretStr = Field(min_length=1)  # the app's secret
    token: SecretStr = Field(min_length=1)  # the callback's Token
    encoding_aes_key: SecretStr = Field(min_length=43, max_length=43)
    api_base: str = Field(default="https://qyapi.weixin.qq.com", pattern=r"^https?://")


def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypted])).encode()).hexdigest()  # noqa: S324  (WeCom's scheme)


def decrypt(aes_key: str, encrypted: str, corp_id: str) -> bytes:
    """WeCom's scheme: AES-256-CBC, IV the key's first 16 bytes, PKCS#7 padded to 32 bytes;
    the plaintext is 16 random bytes, a 4-byte length, the message, then the corp id."""
    key = base64.b64decode(aes_key + "=")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= 32:
        raise ValueError("bad padding")
    plain = plain[:-pad]
    (length,) = struct.unpack(">I", plain[16:20])
    message, receiver = plain[20 : 20 + length], plain[20 + length :]
    if receiver.decode() != corp_id:
        raise ValueError("the message is for another corp")
    return message


@register
class WeComAdapter(Adapter[WeComConfig]):
    platform = "wecom"
    config_model = WeComConfig
    # WeCom limits a text message to 2,048 bytes; Chinese takes 3 bytes a character in UTF-8.
    max_chars = 680
    min_interval_seconds = 0.5

    def __init__(self, config: WeComConfig, http: httpx.AsyncClient) -> None:
        super().__init__(config, http)
        self._token = CachedToken(self._fetch_token)

    async def handle_webhook(self, request: WebhookRequest) -> WebhookResult:
        query = request.query
        stamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        if request.method == "GET":
            echo = query.get("echostr", "")
            plain = self._open(stamp, nonce, echo, query.get("msg_signature"))
            return WebhookResult(body=plain.decode())
        encrypted = (fromstring(request.body).findtext("Encrypt") or "").strip()
        message = fromstring(self._open(stamp, nonce, encrypted, query.get("msg_signature")))
        found = _inbound(message)
        return WebhookResult(messages=[found] if found else [], body="")

    def _open(self, stamp: str, nonce: str, encrypted: str, given: str | None) -> bytes:
        expected = signature(self.config.token.get_secret_value(), stamp, nonce, encrypted)
        if not encrypted or not same(expected, given):
            raise BadSignature("msg_signature does not match")
        try:
            return decrypt(
                self.config.encoding_aes_key.get_secret_value(), encrypted, self.config.corp_id
            )
        except ValueError:
            raise BadSignature("the message does not decrypt with the EncodingAESKey") from None

    async def send(self, message: Outbound) -> str | None:
        body = {
            "touser": message.conversation_id,
            "msgtype": "text",
            "agentid": self.config.agent_id,
            "text": {"content": message.text},
            "enable_duplicate_check": 1,
            "duplicate_check_interval": 1800,
        }
        answer = await self._call("/cgi-bin/message/send", body)
        return str(answer.get("msgid") or "") or None

    async def _call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        token = await self._token.get()
        response = await self.http.post(
            f"{self.config.api_base.rstrip('/')}{path}",
            params={"access_token": token},
            content=json.dumps(body, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json"},
        )
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        code = answer.get("errcode", 0)
        if code == 0:
            return answer
        if code in RATE_LIMITED:
            raise RateLimited(60.0)
        if code in TOKEN_INVALID:
            self._token.forget()
            raise RuntimeError(f"{path}: the access token expired; retrying with a new one")
        raise DeliveryFailed(f"{path}: {code} {answer.get('errmsg')}")

    async def _fetch_token(self) -> tuple[str, float]:
        response = await self.http.get(
            f"{self.config.api_base.rstrip('/')}/cgi-bin/gettoken",
            params={
                "corpid": self.config.corp_id,
                "corpsecret": self.config.secret.get_secret_value(),
            },
        )
        response.raise_for_status()
        answer = response.json()
        if answer.get("errcode", 0) != 0:
            raise DeliveryFailed(f"gettoken: {answer.get('errcode')} {answer.get('errmsg')}")
        return str(answer["access_token"]), float(answer.get("expires_in", 7200))


def _inbound(message: Element) -> Inbound | None:
    if (message.findtext("MsgType") or "") != "text":
        return None
    sender = message.findtext("FromUserName") or ""
    return Inbound(
        message_id=message.findtext("MsgId") or f"{sender}:{message.findtext('CreateTime')}",
        sender_id=sender,
        text=(message.findtext("Content") or "").strip(),
        conversation_id=sender,  # an app's messages are one to one
    )
