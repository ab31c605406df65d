"""Discord bots over the gateway websocket (hello, identify, heartbeats with acks, dispatches),
replying through the REST API as replies to the message, edited in place as they are written.

Plain HTTP and `websockets` rather than `discord.py`: that library is a whole client with its
own cache, event loop ownership and fixed endpoints; the gateway needs a few opcodes here.
A dropped connection resumes its session where the gateway allows it, so messages sent while
it was down are replayed; otherwise it identifies afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import Field, SecretStr
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from nexora.channels.base import (
    Adapter,
    ChannelConfig,
    DeliveryFailed,
    Inbound,
    InboundSink,
    Outbound,
    RateLimited,
    register,
)

GUILD_MESSAGES, DIRECT_MESSAGES, MESSAGE_CONTENT = 1 << 9, 1 << 12, 1 << 15
HELLO, HEARTBEAT, IDENTIFY, RESUME, RECONNECT, INVALID_SESSION, HEARTBEAT_ACK, DISPATCH = (
    10,
    1,
    2,
    6,
    7,
    9,
    11,
    0,
)
# Close codes after which the session cannot be resumed (bad token, sequence or intents, or the
# session timed out): the next connection identifies.
NOT_RESUMABLE = {4004, 4007, 4009, 4010, 4011, 4012, 4013, 4014}


class DiscordConfig(ChannelConfig):
    bot_token: SecretStr = Field(min_length=10)
    api_base: str = Field(default="https://discord.com/api/v10", pattern=r"^https?://")
    intents: int = Field(default=GUILD_MESSAGES | DIRECT_MESSAGES | MESSAGE_CONTENT, ge=0)
    stream_edits: bool = True


class ZombieConnection(Exception):
    """The gateway stopped acknowledging heartbeats: the connection is dead though open."""


@dataclass
class _Session:
    """What survives a dropped connection: the gateway session to resume and where."""

    session_id: str = ""
    resume_url: str = ""
    seq: int | None = None
    me: str = ""
    acked: bool = True

    @property
    def resumable(self) -> bool:
        return bool(self.session_id and self.resume_url)


@register
class DiscordAdapter(Adapter[DiscordConfig]):
    platform = "discord"
    config_model = DiscordConfig
    max_chars = 2000
    min_interval_seconds = 0.25  # 5 messages per 5 s per channel, Discord's usual bucket

    def __init__(self, config: DiscordConfig, http: httpx.AsyncClient) -> None:
        super().__init__(config, http)
        self._session = _Session()

    @property
    def uses_connection(self) -> bool:
        return True

    @property
    def streams(self) -> bool:
        return self.config.stream_edits

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bot {self.config.bot_token.get_secret_value()}"}

    async def listen(self, sink: InboundSink, connected: Callable[[], None]) -> None:
        session = self._session
        if session.resumable:
            base = session.resume_url
        else:
            response = await self.http.get(
                f"{self.config.api_base.rstrip('/')}/gateway/bot", headers=self._auth()
            )
            response.raise_for_status()
            base = response.json()["url"]
        url = f"{base.rstrip('/')}/?v=10&encoding=json"
        try:
            async with connect(url, open_timeout=20, max_size=2**22) as socket:
                await self._connected(socket, session, sink, connected)
        except ConnectionClosed as closed:
            if closed.rcvd is not None and closed.rcvd.code in NOT_RESUMABLE:
                self._session = _Session()
            raise

    async def _connected(
        self,
        socket: ClientConnection,
        session: _Session,
        sink: InboundSink,
        connected: Callable[[], None],
    ) -> None:
        hello = json.loads(await socket.recv())
        if hello.get("op") != HELLO:
            raise RuntimeError("the gateway did not say hello")
        session.acked = True
        beat = asyncio.ensure_future(
            _heartbeat(socket, hello["d"]["heartbeat_interval"] / 1000, session)
        )
        try:
            if session.resumable:
                token = self.config.bot_token.get_secret_value()
                resume = {"token": token, "session_id": session.session_id, "seq": session.seq}
                await socket.send(json.dumps({"op": RESUME, "d": resume}))
            else:
                await socket.send(json.dumps({"op": IDENTIFY, "d": self._identity()}))
            await self._dispatches(socket, session, sink, connected, beat)
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await beat

    def _identity(self) -> dict[str, Any]:
        return {
            "token": self.config.bot_token.get_secret_value(),
            "intents": self.config.intents,
            "properties": {"os": "linux", "browser": "nexora", "device": "nexora"},
        }

    async def _dispatches(
        self,
        socket: ClientConnection,
        session: _Session,
        sink: InboundSink,
        connected: Callable[[], None],
        beat: asyncio.Future[None],
    ) -> None:
        frames = aiter(socket)
        while True:
            reader: asyncio.Future[Any] = asyncio.ensure_future(anext(frames))
            waiting: set[asyncio.Future[Any]] = {reader, beat}
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if not reader.done():
                reader.cancel()
                beat.result()  # raises why the heartbeat stopped
                return
            try:
                frame = json.loads(reader.result())
            except StopAsyncIteration:
                raise ConnectionError("the gateway closed the connection") from None
            op, kind = frame.get("op"), frame.get("t")
            if frame.get("s") is not None:
                session.seq = frame["s"]
            if op == HEARTBEAT_ACK:
                session.acked = True
            elif op == HEARTBEAT:
                await socket.send(json.dumps({"op": HEARTBEAT, "d": session.seq}))
            elif op == RECONNECT:
                return  # the gateway asks us to reconnect; the session resumes
            elif op == INVALID_SESSION:
                if not frame.get("d"):
                    self._session = _Session()  # not resumable: the next connection identifies
                return
            elif op == DISPATCH and kind == "READY":
                ready = frame["d"]
                session.me = str(ready["user"]["id"])
                session.session_id = str(ready.get("session_id") or "")
                session.resume_url = str(ready.get("resume_gateway_url") or "")
                connected()
            elif op == DISPATCH and kind == "RESUMED":
                connected()
            elif op == DISPATCH and kind == "MESSAGE_CREATE":
                found = _inbound(frame["d"], session.me)
                if found is not None:
                    await sink(found)

    async def send(self, message: Outbound) -> str | None:
        body: dict[str, Any] = {"content": message.text}
        replied = message.reply_context.get("message_id")
        if replied:
            body["message_reference"] = {"message_id": replied, "fail_if_not_exists": False}
        answer = await self._rest("POST", f"/channels/{message.conversation_id}/messages", body)
        return str(answer.get("id")) if answer.get("id") else None

    async def edit(self, message: Outbound, external_id: str) -> None:
        path = f"/channels/{message.conversation_id}/messages/{external_id}"
        await self._rest("PATCH", path, {"content": message.text})

    async def _rest(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.http.request(
            method, f"{self.config.api_base.rstrip('/')}{path}", json=body, headers=self._auth()
        )
        if response.status_code == 429:
            retry = (response.json() if response.content else {}).get("retry_after")
            raise RateLimited(float(retry or response.headers.get("retry-after") or 1))
        if response.status_code >= 500:
            response.raise_for_status()
        if response.status_code >= 400:
            raise DeliveryFailed(f"{method} {path}: {response.status_code} {response.text[:300]}")
        answer: dict[str, Any] = response.json() if response.content else {}
        return answer


async def _heartbeat(socket: ClientConnection, interval: float, session: _Session) -> None:
    while True:
        await asyncio.sleep(interval)
        if not session.acked:  # leaving closes the connection
            raise ZombieConnection("no heartbeat acknowledgement from the gateway")
        session.acked = False
        await socket.send(json.dumps({"op": HEARTBEAT, "d": session.seq}))


def _inbound(message: dict[str, Any], me: str) -> Inbound | None:
    author = message.get("author") or {}
    if author.get("bot") or not message.get("content") or not author.get("id"):
        return None
    is_group = message.get("guild_id") is not None
    mentioned = not is_group or any(str(m.get("id")) == me for m in message.get("mentions") or [])
    text = re.sub(rf"<@!?{re.escape(me)}>\s*", "", str(message["content"])).strip() if me else ""
    return Inbound(
        message_id=str(message["id"]),
        sender_id=str(author["id"]),
        text=text or str(message["content"]),
        conversation_id=str(message["channel_id"]),
        sender_name=author.get("global_name") or author.get("username"),
        is_group=is_group,
        mentioned=mentioned,
        reply_context={"message_id": str(message["id"])},
    )
