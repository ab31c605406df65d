"""QQ through the official bot API (bot.q.qq.com): the websocket gateway (default) or HTTP
callbacks signed with Ed25519 (a key derived from the app secret), answering one-to-one chats,
group @-messages and guild channel @-messages as passive replies to the message.

Plain HTTP and `websockets`: the official `qq-botpy` SDK runs its own client loop and fixed
endpoints; the gateway and callbacks are a few JSON opcodes, mapped here directly. A dropped
connection resumes its session, so events of the outage are replayed; a session the gateway
refuses is identified afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import Callable
from typing import Any, Literal

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import Field, SecretStr
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

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
from nexora.channels.tokens import CachedToken

GROUP_AND_C2C, PUBLIC_GUILD_MESSAGES = 1 << 25, 1 << 30
DISPATCH, HEARTBEAT, IDENTIFY, RESUME, RECONNECT, INVALID_SESSION, HELLO, HEARTBEAT_ACK = (
    0,
    1,
    2,
    6,
    7,
    9,
    10,
    11,
)
CALLBACK_ACK, VALIDATION = 12, 13
# Close codes after which the session cannot be resumed (bad token, session id or sequence).
NOT_RESUMABLE = {4004, 4006, 4007}
EVENTS = ("C2C_MESSAGE_CREATE", "GROUP_AT_MESSAGE_CREATE", "AT_MESSAGE_CREATE")


class QQConfig(ChannelConfig):
    app_id: str = Field(min_length=1, max_length=64)
    app_secret: SecretStr = Field(min_length=1)
    mode: Literal["websocket", "webhook"] = "websocket"
    api_base: str = Field(default="https://api.sgroup.qq.com", pattern=r"^https?://")
    token_url: str = Field(
        default="https://bots.qq.com/app/getAppAccessToken", pattern=r"^https?://"
    )
    intents: int = Field(default=GROUP_AND_C2C | PUBLIC_GUILD_MESSAGES, ge=0)


def signing_key(secret: str) -> Ed25519PrivateKey:
    """QQ's scheme: the seed is the app secret repeated to 32 bytes."""
    seed = secret.encode()
    while len(seed) < 32:
        seed += seed
    return Ed25519PrivateKey.from_private_bytes(seed[:32])


@register
class QQAdapter(Adapter[QQConfig]):
    platform = "qq"
    config_model = QQConfig
    max_chars = 2000
    min_interval_seconds = 0.2

    def __init__(self, config: QQConfig, http: httpx.AsyncClient) -> None:
        super().__init__(config, http)
        self._token = CachedToken(self._fetch_token)
        # The gateway session, kept across connections so a reconnect resumes it.
        self._session_id = ""
        self._seq: int | None = None

    @property
    def uses_connection(self) -> bool:
        return self.config.mode == "websocket"

    async def handle_webhook(self, request: WebhookRequest) -> WebhookResult:
        key = signing_key(self.config.app_secret.get_secret_value())
        payload = json.loads(request.body or b"{}")
        if payload.get("op") == VALIDATION:
            d = payload.get("d") or {}
            message = f"{d.get('event_ts', '')}{d.get('plain_token', '')}".encode()
            return WebhookResult(
                body={"plain_token": d.get("plain_token"), "signature": key.sign(message).hex()}
            )
        stamp = request.headers.get("x-signature-timestamp", "")
        try:
            signature = bytes.fromhex(request.headers.get("x-signature-ed25519", ""))
            key.public_key().verify(signature, stamp.encode() + request.body)
        except (ValueError, InvalidSignature):
            raise BadSignature("X-Signature-Ed25519 does not verify") from None
        found = _inbound(payload.get("t"), payload.get("d") or {})
        return WebhookResult(messages=[found] if found else [], body={"op": CALLBACK_ACK})

    async def listen(self, sink: InboundSink, connected: Callable[[], None]) -> None:
        token = await self._token.get()
        response = await self.http.get(
            f"{self.config.api_base.rstrip('/')}/gateway", headers=self._headers(token)
        )
        response.raise_for_status()
        try:
            async with connect(str(response.json()["url"]), open_timeout=20) as socket:
                await self._connected(socket, token, sink, connected)
        except ConnectionClosed as closed:
            if closed.rcvd is not None and closed.rcvd.code in NOT_RESUMABLE:
                self._session_id, self._seq = "", None
            raise

    async def _connected(
        self,
        socket: ClientConnection,
        token: str,
        sink: InboundSink,
        connected: Callable[[], None],
    ) -> None:
        hello = json.loads(await socket.recv())
        if hello.get("op") != HELLO:
            raise RuntimeError("the gateway did not say hello")
        beat = asyncio.ensure_future(
            _heartbeat(socket, hello["d"]["heartbeat_interval"] / 1000, lambda: self._seq)
        )
        try:
            if self._session_id:
                resume = {
                    "token": f"QQBot {token}",
                    "session_id": self._session_id,
                    "seq": self._seq,
                }
                await socket.send(json.dumps({"op": RESUME, "d": resume}))
            else:
                identify = {
                    "token": f"QQBot {token}",
                    "intents": self.config.intents,
                    "shard": [0, 1],
                }
                await socket.send(json.dumps({"op": IDENTIFY, "d": identify}))
            await self._dispatches(socket, sink, connected)
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await beat

    async def _dispatches(
        self, socket: ClientConnection, sink: InboundSink, connected: Callable[[], None]
    ) -> None:
        async for raw in socket:
            frame = json.loads(raw)
            if frame.get("s") is not None:
                self._seq = frame["s"]
            op, kind = frame.get("op"), frame.get("t")
            if op == RECONNECT:
                return  # the gateway asks us to reconnect; the session resumes
            if op == INVALID_SESSION:
                self._session_id, self._seq = "", None  # the next connection identifies
                return
            if op == DISPATCH and kind == "READY":
                self._session_id = str((frame.get("d") or {}).get("session_id") or "")
                connected()
            elif op == DISPATCH and kind == "RESUMED":
                connected()
            elif op == DISPATCH:
                found = _inbound(kind, frame.get("d") or {})
                if found is not None:
                    await sink(found)

    async def send(self, message: Outbound) -> str | None:
        context = message.reply_context
        event = context.get("event")
        target = message.conversation_id
        body: dict[str, Any] = {"content": message.text, "msg_id": context.get("message_id")}
        if event == "AT_MESSAGE_CREATE":
            path = f"/channels/{target}/messages"
        else:
            kind = "groups" if event == "GROUP_AT_MESSAGE_CREATE" else "users"
            path = f"/v2/{kind}/{target}/messages"
            body["msg_type"] = 0
            # Parts of one passive reply differ in msg_seq; a retry of a part repeats its own,
            # which QQ drops as a duplicate.
            digest = hashlib.sha256(message.delivery_id.encode()).hexdigest()
            body["msg_seq"] = int(digest[:8], 16) % 1_000_000 + 1
        token = await self._token.get()
        response = await self.http.post(
            f"{self.config.api_base.rstrip('/')}{path}", json=body, headers=self._headers(token)
        )
        if response.status_code == 429:
            raise RateLimited(5.0)
        if response.status_code == 401:
            self._token.forget()
            raise RuntimeError("the access token was refused; retrying with a new one")
        if response.status_code >= 500:
            response.raise_for_status()
        if response.status_code >= 400:
            raise DeliveryFailed(f"{path}: {response.status_code} {response.text[:300]}")
        answer = response.json() if response.content else {}
        return str(answer.get("id") or "") or None

    def _headers(self, token: str) -> dict[str, str]:
        return {"Authorization": f"QQBot {token}", "X-Union-Appid": self.config.app_id}

    async def _fetch_token(self) -> tuple[str, float]:
        response = await self.http.post(
            self.config.token_url,
            json={
                "appId": self.config.app_id,
                "clientSecret": self.config.app_secret.get_secret_value(),
            },
        )
        response.raise_for_status()
        answer = response.json()
        if "access_token" not in answer:
            raise DeliveryFailed(f"getAppAccessToken: {answer}")
        return str(answer["access_token"]), float(answer.get("expires_in", 7200))


async def _heartbeat(
    socket: ClientConnection, interval: float, seq: Callable[[], int | None]
) -> None:
    while True:
        await asyncio.sleep(interval)
        await socket.send(json.dumps({"op": HEARTBEAT, "d": seq()}))


def _inbound(event: str | None, d: dict[str, Any]) -> Inbound | None:
    if event not in EVENTS or not d.get("id"):
        return None
    author = d.get("author") or {}
    if event == "C2C_MESSAGE_CREATE":
        sender = conversation = str(author.get("user_openid") or "")
    elif event == "GROUP_AT_MESSAGE_CREATE":
        sender, conversation = str(author.get("member_openid") or ""), str(d.get("group_openid"))
    else:
        sender, conversation = str(author.get("id") or ""), str(d.get("channel_id"))
    return Inbound(
        message_id=str(d["id"]),
        sender_id=sender,
        text=str(d.get("content") or "").strip(),
        conversation_id=conversation,
        is_group=event != "C2C_MESSAGE_CREATE",
        mentioned=True,  # group and channel events come only for @-messages to the bot
        reply_context={"event": str(event), "message_id": str(d["id"])},
    )
