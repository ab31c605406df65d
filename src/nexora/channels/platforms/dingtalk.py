"""DingTalk robots: Stream mode (the default: a websocket DingTalk's gateway hands us, no public
URL) or the outgoing webhook (requests signed with the app secret). Replies go through the
message's session webhook while it lasts, else through the robot message API.

Plain HTTP and `websockets` rather than `dingtalk-stream`: that SDK runs its own connection
loop and callback handlers; the protocol is a handful of JSON frames, mapped here directly.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any, Literal

import httpx
from pydantic import Field, SecretStr
from websockets.asyncio.client import ClientConnection, connect

from nexora.channels.base import (
    Adapter,
    BadSignature,
    ChannelConfig,
    DeliveryFailed,
    Inbound,
    InboundSink,
    Outbound,
    RateLimited,
    WebhookRequest,
    WebhookResult,
    register,
)
from nexora.channels.signatures import same
from nexora.channels.tokens import CachedToken

BOT_TOPIC = "/v1.0/im/bot/messages/get"
MAX_SKEW_MS = 3_600_000  # DingTalk's rule: a signature is valid for an hour


class DingTalkConfig(ChannelConfig):
    client_id: str = Field(min_length=1, max_length=100)  # the app's AppKey, also its robotCode
    client_secret: SecretStr = Field(min_length=1)
    mode: Literal["stream", "webhook"] = "stream"
    api_base: str = Field(default="https://api.dingtalk.com", pattern=r"^https?://")


def outgoing_signature(secret: str, timestamp: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@register
class DingTalkAdapter(Adapter[DingTalkConfig]):
    platform = "dingtalk"
    config_model = DingTalkConfig
    max_chars = 5000
    min_interval_seconds = 3.0  # robots may send about 20 messages a minute

    def __init__(self, config: DingTalkConfig, http: httpx.AsyncClient) -> None:
        super().__init__(config, http)
        self._token = CachedToken(self._fetch_token)

    @property
    def uses_connection(self) -> bool:
        return self.config.mode == "stream"

    async def handle_webhook(self, request: WebhookRequest) -> WebhookResult:
        stamp = request.headers.get("timestamp", "")
        if not stamp.isdigit() or abs(time.time() * 1000 - int(stamp)) > MAX_SKEW_MS:
            raise BadSignature("missing or stale timestamp")
        expected = outgoing_signature(self.config.client_secret.get_secret_value(), stamp)
        if not same(expected, request.headers.get("sign")):
            raise BadSignature("the sign header does not match")
        found = _inbound(json.loads(request.body or b"{}"))
        return WebhookResult(messages=[found] if found else [], body={})

    async def listen(self, sink: InboundSink, connected: Callable[[], None]) -> None:
        response = await self.http.post(
            f"{self.config.api_base.rstrip('/')}/v1.0/gateway/connections/open",
            json={
                "clientId": self.config.client_id,
                "clientSecret": self.config.client_secret.get_secret_value(),
                "subscriptions": [{"type": "CALLBACK", "topic": BOT_TOPIC}],
                "ua": "nexora",
            },
        )
        response.raise_for_status()
        opened = response.json()
        url = f"{opened['endpoint']}?ticket={opened['ticket']}"
        async with connect(url, open_timeout=20) as socket:
            connected()
            async for raw in socket:
                frame = json.loads(raw)
                headers = frame.get("headers") or {}
                topic = headers.get("topic")
                if frame.get("type") == "SYSTEM":
                    if topic == "disconnect":
                        return  # the gateway moves us; the pipeline connects again
                    await _answer(socket, headers, frame.get("data") or "{}")
                    continue
                if topic == BOT_TOPIC:
                    found = _inbound(json.loads(frame.get("data") or "{}"))
                    if found is not None:
                        await sink(found)  # stored before the ack, so none is lost
                await _answer(socket, headers, json.dumps({"response": None}))

    async def send(self, message: Outbound) -> str | None:
        context = message.reply_context
        text = {"msgtype": "text", "text": {"content": message.text}}
        session = context.get("session_webhook")
        expires = int(context.get("session_expires") or 0)
        if session and expires > time.time() * 1000 + 5_000:
            response = await self.http.post(session, json=text)
            self._check(response, "session webhook")
            return None
        body: dict[str, Any] = {
            "robotCode": self.config.client_id,
            "msgKey": "sampleText",
            "msgParam": json.dumps({"content": message.text}, ensure_ascii=False),
        }
        if context.get("conversation_type") == "2":
            body["openConversationId"] = message.conversation_id
            path = "/v1.0/robot/groupMessages/send"
        else:
            body["userIds"] = [context.get("staff_id") or message.conversation_id]
            path = "/v1.0/robot/oToMessages/batchSend"
        response = await self.http.post(
            f"{self.config.api_base.rstrip('/')}{path}",
            json=body,
            headers={"x-acs-dingtalk-access-token": await self._token.get()},
        )
        self._check(response, path)
        return str(response.json().get("processQueryKey") or "") or None

    def _check(self, response: httpx.Response, what: str) -> None:
        if response.status_code == 429:
            raise RateLimited(float(response.headers.get("retry-after") or 10))
        if response.status_code >= 500:
            response.raise_for_status()
        answer = response.json() if response.content else {}
        errcode = answer.get("errcode", 0) if isinstance(answer, dict) else 0
        if errcode == 130101 or answer.get("code") == "Throttling.Api":
            raise RateLimited(10.0)
        if response.status_code >= 400 or errcode:
            raise DeliveryFailed(f"{what}: {answer}")

    async def _fetch_token(self) -> tuple[str, float]:
        response = await self.http.post(
            f"{self.config.api_base.rstrip('/')}/v1.0/oauth2/accessToken",
            json={
                "appKey": self.config.client_id,
                "appSecret": self.config.client_secret.get_secret_value(),
            },
        )
        self._check(response, "accessToken")
        answer = response.json()
        return str(answer["accessToken"]), float(answer.get("expireIn", 7200))


async def _answer(socket: ClientConnection, headers: dict[str, Any], data: str) -> None:
    await socket.send(
        json.dumps(
            {
                "code": 200,
                "headers": {
                    "contentType": "application/json",
                    "messageId": headers.get("messageId"),
                },
                "message": "OK",
                "data": data,
            }
        )
    )


def _inbound(body: dict[str, Any]) -> Inbound | None:
    if body.get("msgtype") != "text" or not body.get("msgId"):
        return None
    is_group = str(body.get("conversationType")) == "2"
    staff = str(body.get("senderStaffId") or "")
    return Inbound(
        message_id=str(body["msgId"]),
        sender_id=staff or str(body.get("senderId") or ""),
        text=str((body.get("text") or {}).get("content") or "").strip(),
        conversation_id=str(body.get("conversationId") or ""),
        sender_name=body.get("senderNick"),
        is_group=is_group,
        mentioned=not is_group or bool(body.get("isInAtList")),
        reply_context={
            "session_webhook": str(body.get("sessionWebhook") or ""),
            "session_expires": str(body.get("sessionWebhookExpiredTime") or 0),
            "conversation_type": str(body.get("conversationType") or "1"),
            "staff_id": staff,
        },
    )
