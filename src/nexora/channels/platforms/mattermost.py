"""Mattermost through a bot account: the websocket event stream (authentication challenge,
`posted` events) and the REST API for replies in the post's thread, edited in place as they
are written. Plain HTTP and `websockets`: Mattermost has no official asyncio SDK."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from pydantic import Field, SecretStr
from websockets.asyncio.client import connect

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


class MattermostConfig(ChannelConfig):
    url: str = Field(min_length=8, max_length=500, pattern=r"^https?://")  # the server
    token: SecretStr = Field(min_length=10)  # the bot account's access token
    api_base: str = ""  # the REST API; by default the server's /api/v4
    stream_edits: bool = True


@register
class MattermostAdapter(Adapter[MattermostConfig]):
    platform = "mattermost"
    config_model = MattermostConfig
    max_chars = 16_000
    min_interval_seconds = 0.1

    def __init__(self, config: MattermostConfig, http: httpx.AsyncClient) -> None:
        super().__init__(config, http)
        self._me: dict[str, Any] | None = None

    @property
    def uses_connection(self) -> bool:
        return True

    @property
    def streams(self) -> bool:
        return self.config.stream_edits

    @property
    def _api(self) -> str:
        return (self.config.api_base or f"{self.config.url.rstrip('/')}/api/v4").rstrip("/")

    async def listen(self, sink: InboundSink, connected: Callable[[], None]) -> None:
        me = await self._bot()
        socket_url = "ws" + self._api.removeprefix("http") + "/websocket"
        async with connect(socket_url, open_timeout=20) as socket:
            challenge = {
                "seq": 1,
                "action": "authentication_challenge",
                "data": {"token": self.config.token.get_secret_value()},
            }
            await socket.send(json.dumps(challenge))
            async for raw in socket:
                frame = json.loads(raw)
                if frame.get("seq_reply") == 1 and frame.get("status") != "OK":
                    raise PermissionError(f"the websocket refused the token: {frame}")
                if frame.get("event") == "hello":
                    connected()
                elif frame.get("event") == "posted":
                    found = _inbound(frame.get("data") or {}, me)
                    if found is not None:
                        await sink(found)

    async def send(self, message: Outbound) -> str | None:
        body = {
            "channel_id": message.conversation_id,
            "message": message.text,
            "root_id": message.thread_id or "",
        }
        answer = await self._rest("POST", "/posts", body)
        return str(answer.get("id")) if answer.get("id") else None

    async def edit(self, message: Outbound, external_id: str) -> None:
        await self._rest("PUT", f"/posts/{external_id}/patch", {"message": message.text})

    async def _bot(self) -> dict[str, Any]:
        if self._me is None:
            self._me = await self._rest("GET", "/users/me", None)
        return self._me

    async def _rest(self, method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
        response = await self.http.request(
            method,
            f"{self._api}{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.config.token.get_secret_value()}"},
        )
        if response.status_code == 429:
            raise RateLimited(float(response.headers.get("x-ratelimit-reset") or 1))
        if response.status_code >= 500:
            response.raise_for_status()
        if response.status_code >= 400:
            raise DeliveryFailed(f"{method} {path}: {response.status_code} {response.text[:300]}")
        answer: dict[str, Any] = response.json()
        return answer


def _inbound(data: dict[str, Any], me: dict[str, Any]) -> Inbound | None:
    post = json.loads(data.get("post") or "{}")
    if not post.get("id") or post.get("user_id") == me.get("id") or post.get("type"):
        return None  # our own posts, and system posts (joins, header changes)
    mentions = json.loads(data.get("mentions") or "[]")
    is_group = data.get("channel_type") != "D"
    username = str(me.get("username") or "")
    text = str(post.get("message") or "")
    if username:
        text = text.replace(f"@{username}", "").strip() or text
    return Inbound(
        message_id=str(post["id"]),
        sender_id=str(post.get("user_id") or ""),
        text=text,
        conversation_id=str(post.get("channel_id") or ""),
        # Replies go in the post's thread: its root, or the post itself when it starts one.
        thread_id=str(post.get("root_id") or post["id"]),
        sender_name=data.get("sender_name"),
        is_group=is_group,
        mentioned=not is_group or me.get("id") in mentions,
    )
