"""Feishu / Lark: the long connection (the default: a protobuf-framed websocket Feishu hands
us, no public URL) or event subscription over HTTP (verification token, and AES-256-CBC
encrypted events signed with the encrypt key); replies through the IM API in the message's
thread, and answers streamed into an updatable message card.

Plain HTTP and `websockets` rather than `lark-oapi`: the SDK's long-connection client runs its
own event loop and blocking HTTP, and its dispatcher owns request handling; here events map
straight into the channel pipeline.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any, Literal
from urllib.parse import parse_qs, urlparse

import httpx
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
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
from nexora.channels.platforms.feishu_frames import CONTROL, DATA, Frame, Reassembly, ping
from nexora.channels.signatures import same
from nexora.channels.tokens import CachedToken

log = logging.getLogger(__name__)

RATE_LIMITED = {99991400, 230020}
TOKEN_EXPIRED = {99991663, 99991661, 99991668}


class FeishuConfig(ChannelConfig):
    app_id: str = Field(min_length=1, max_length=64)
    app_secret: SecretStr = Field(min_length=1)
    mode: Literal["websocket", "webhook"] = "websocket"
    verification_token: SecretStr | None = None
    encrypt_key: SecretStr | None = None
    api_base: str = Field(default="https://open.feishu.cn", pattern=r"^https?://")
    stream_edits: bool = True


def decrypt(encrypt_key: str, encrypted: str) -> bytes:
    """Feishu's event encryption: AES-256-CBC, key sha256(encrypt key), IV first, PKCS#7."""
    data = base64.b64decode(encrypted)
    key = hashlib.sha256(encrypt_key.encode()).digest()
    decryptor = Cipher(algorithms.AES(key), modes.CBC(data[:16])).decryptor()
    padded = decryptor.update(data[16:]) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


@register
class FeishuAdapter(Adapter[FeishuConfig]):
    platform = "feishu"
    config_model = FeishuConfig
    max_chars = 4000
    min_interval_seconds = 0.2  # Feishu allows 5 messages a second to one chat

    def __init__(self, config: FeishuConfig, http: httpx.AsyncClient) -> None:
        super().__init__(config, http)
        self._token = CachedToken(self._fetch_token)
        self._bot_open_id: str | None = None

    @property
    def streams(self) -> bool:
        return self.config.stream_edits

    @property
    def uses_connection(self) -> bool:
        return self.config.mode == "websocket"

    async def listen(self, sink: InboundSink, connected: Callable[[], None]) -> None:
        url, ping_seconds = await self._endpoint()
        service = int(parse_qs(urlparse(url).query).get("service_id", ["0"])[0])
        async with connect(url, open_timeout=20) as socket:
            connected()
            pinger = _Pinger(socket, service, ping_seconds)
            pinging = asyncio.create_task(pinger.run())
            try:
                await self._receive(socket, sink, pinger)
            finally:
                pinging.cancel()

    async def _receive(self, socket: ClientConnection, sink: InboundSink, pinger: _Pinger) -> None:
        parts = Reassembly()
        async for raw in socket:
            if not isinstance(raw, bytes):
                continue
            frame = Frame.decode(raw)
            if frame.method == CONTROL:
                if frame.type == "pong" and frame.payload:
                    pinger.configure(json.loads(frame.payload))
                continue
            if frame.method != DATA or frame.type != "event":
                continue  # card callbacks are not used
            payload = parts.add(frame)
            if payload is None:
                continue  # more parts to come
            started = time.monotonic()
            try:
                event = json.loads(payload)
            except ValueError:
                log.warning("feishu: event %s is not JSON; acknowledged and dropped", frame.headers)
                event = {}
            found = await self._inbound(event)
            if found is not None:
                await sink(found)  # stored before the ack, so none is lost
            elapsed = str(int((time.monotonic() - started) * 1000))
            answer = json.dumps({"code": 200}).encode()
            await socket.send(frame.answer(answer, biz_rt=elapsed).encode())

    async def _endpoint(self) -> tuple[str, float]:
        """Asks Feishu where to connect; its answer also sets how often to ping."""
        response = await self.http.post(
            f"{self.config.api_base.rstrip('/')}/callback/ws/endpoint",
            json={
                "AppID": self.config.app_id,
                "AppSecret": self.config.app_secret.get_secret_value(),
            },
            headers={"locale": "zh"},
        )
        response.raise_for_status()
        answer = response.json()
        if answer.get("code") != 0:
            raise DeliveryFailed(
                f"long connection endpoint: {answer.get('code')} {answer.get('msg')}"
            )
        data = answer.get("data") or {}
        settings = data.get("ClientConfig") or {}
        return str(data["URL"]), float(settings.get("PingInterval") or 120)

    async def handle_webhook(self, request: WebhookRequest) -> WebhookResult:
        payload = json.loads(request.body or b"{}")
        encrypt_key = self.config.encrypt_key
        if encrypt_key is not None:
            self._check_signature(encrypt_key.get_secret_value(), request, payload)
            if "encrypt" not in payload:
                raise BadSignature("the event is not encrypted with the encrypt key")
            try:
                payload = json.loads(decrypt(encrypt_key.get_secret_value(), payload["encrypt"]))
            except ValueError:
                raise BadSignature("the event does not decrypt with the encrypt key") from None
        token = payload.get("token") or (payload.get("header") or {}).get("token")
        expected = self.config.verification_token
        if expected is not None and not same(expected.get_secret_value(), token):
            raise BadSignature("the verification token does not match")
        if payload.get("type") == "url_verification":
            return WebhookResult(body={"challenge": payload.get("challenge", "")})
        found = await self._inbound(payload)
        return WebhookResult(messages=[found] if found else [], body={})

    def _check_signature(
        self, encrypt_key: str, request: WebhookRequest, payload: dict[str, Any]
    ) -> None:
        signature = request.headers.get("x-lark-signature")
        if signature is None:
            # Feishu signs event deliveries; only its URL check comes unsigned.
            if payload.get("type") == "url_verification" or "encrypt" in payload:
                return
            raise BadSignature("missing X-Lark-Signature")
        stamp = request.headers.get("x-lark-request-timestamp", "")
        nonce = request.headers.get("x-lark-request-nonce", "")
        content = (stamp + nonce + encrypt_key).encode() + request.body
        if not same(hashlib.sha256(content).hexdigest(), signature):
            raise BadSignature("X-Lark-Signature does not match")

    async def _inbound(self, payload: dict[str, Any]) -> Inbound | None:
        header = payload.get("header") or {}
        event = payload.get("event") or {}
        if header.get("event_type") != "im.message.receive_v1":
            return None
        message = event.get("message") or {}
        sender = event.get("sender") or {}
        if sender.get("sender_type") != "user" or message.get("message_type") != "text":
            return None
        text = str(json.loads(message.get("content") or "{}").get("text") or "")
        mentions = message.get("mentions") or []
        is_group = message.get("chat_type") != "p2p"
        mentioned = not is_group
        if is_group and mentions:
            bot = await self._bot()
            mentioned = any((m.get("id") or {}).get("open_id") == bot for m in mentions)
        return Inbound(
            message_id=str(message["message_id"]),
            sender_id=str((sender.get("sender_id") or {}).get("open_id") or ""),
            text=re.sub(r"@_user_\d+\s*", "", text).strip() or text,
            conversation_id=str(message.get("chat_id") or ""),
            thread_id=message.get("thread_id") or None,
            is_group=is_group,
            mentioned=mentioned,
            reply_context={"message_id": str(message["message_id"])},
        )

    async def send(self, message: Outbound) -> str | None:
        kind, content = self._content(message.text)
        body: dict[str, Any] = {"msg_type": kind, "content": content}
        if message.delivery_id:
            body["uuid"] = message.delivery_id[:50]  # Feishu drops a repeat within an hour
        replied = message.reply_context.get("message_id")
        if replied:
            body["reply_in_thread"] = bool(message.thread_id)
            path = f"/open-apis/im/v1/messages/{replied}/reply"
        else:
            body["receive_id"] = message.conversation_id
            path = "/open-apis/im/v1/messages?receive_id_type=chat_id"
        data = await self._call("POST", path, body)
        return str(data.get("message_id")) if data.get("message_id") else None

    async def edit(self, message: Outbound, external_id: str) -> None:
        _, content = self._content(message.text)
        await self._call("PATCH", f"/open-apis/im/v1/messages/{external_id}", {"content": content})

    def _content(self, text: str) -> tuple[str, str]:
        """Streamed answers are cards (only cards can be updated); others plain text."""
        if self.streams:
            card = {
                "config": {"update_multi": True},
                "elements": [{"tag": "markdown", "content": text}],
            }
            return "interactive", json.dumps(card, ensure_ascii=False)
        return "text", json.dumps({"text": text}, ensure_ascii=False)

    async def _bot(self) -> str:
        if self._bot_open_id is None:
            data = await self._call("GET", "/open-apis/bot/v3/info", None, whole=True)
            self._bot_open_id = str((data.get("bot") or {}).get("open_id") or "")
        return self._bot_open_id

    async def _fetch_token(self) -> tuple[str, float]:
        response = await self.http.post(
            f"{self.config.api_base.rstrip('/')}/open-apis/auth/v3/tenant_access_token/internal",
            json={
                "app_id": self.config.app_id,
                "app_secret": self.config.app_secret.get_secret_value(),
            },
        )
        response.raise_for_status()
        answer = response.json()
        if answer.get("code") != 0:
            raise DeliveryFailed(f"tenant_access_token: {answer.get('msg')}")
        return str(answer["tenant_access_token"]), float(answer.get("expire", 7200))

    async def _call(
        self, method: str, path: str, body: dict[str, Any] | None, *, whole: bool = False
    ) -> dict[str, Any]:
        token = await self._token.get()
        response = await self.http.request(
            method,
            f"{self.config.api_base.rstrip('/')}{path}",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
        if response.status_code == 429:
            raise RateLimited(float(response.headers.get("x-ogw-ratelimit-reset") or 1))
        if response.status_code >= 500:
            response.raise_for_status()
        answer: dict[str, Any] = response.json()
        code = answer.get("code")
        if code == 0:
            return answer if whole else dict(answer.get("data") or {})
        if code in RATE_LIMITED:
            raise RateLimited(1.0)
        if code in TOKEN_EXPIRED:
            self._token.forget()
            raise RuntimeError(f"{path}: the access token expired; retrying with a new one")
        raise DeliveryFailed(f"{path}: {code} {answer.get('msg')}")


class _Pinger:
    """Feishu expects an application-level ping frame every `PingInterval` seconds; a pong may
    carry a new interval."""

    def __init__(self, socket: ClientConnection, service: int, seconds: float) -> None:
        self._socket = socket
        self._service = service
        self.seconds = seconds

    def configure(self, settings: dict[str, Any]) -> None:
        if settings.get("PingInterval"):
            self.seconds = float(settings["PingInterval"])

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.seconds)
            await self._socket.send(ping(self._service).encode())
