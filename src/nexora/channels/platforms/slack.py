"""Slack: Socket Mode (the default: a websocket Slack opens to us, no public URL) or the Events
API (requests signed with the app's signing secret). Replies go in the message's thread and
are edited in place as they are written.

Plain HTTP and `websockets` rather than `slack_bolt`: Bolt is an app framework that dispatches
events to its own listeners; here events only need mapping into the channel pipeline's inbox.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any, Literal

import httpx
from pydantic import Field, SecretStr, model_validator
from websockets.asyncio.client import connect

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
from nexora.channels.signatures import hmac_sha256_hex, same

MAX_AGE_SECONDS = 300  # Slack's advice: refuse requests older than five minutes (replays)
PERMANENT = {
    "channel_not_found",
    "not_in_channel",
    "invalid_auth",
    "account_inactive",
    "is_archived",
    "msg_too_long",
    "no_text",
    "cant_update_message",
}


class SlackConfig(ChannelConfig):
    bot_token: SecretStr = Field(min_length=10)
    mode: Literal["socket", "events"] = "socket"
    app_token: SecretStr | None = None  # xapp-…, for Socket Mode
    signing_secret: SecretStr | None = None  # for the Events API
    api_base: str = Field(default="https://slack.com/api", pattern=r"^https?://")
    stream_edits: bool = True

    @model_validator(mode="after")
    def _credentials_for_the_mode(self) -> SlackConfig:
        if self.mode == "socket" and self.app_token is None:
            raise ValueError("socket mode needs app_token (xapp-…)")
        if self.mode == "events" and self.signing_secret is None:
            raise ValueError("events mode needs signing_secret")
        return self


@register
class SlackAdapter(Adapter[SlackConfig]):
    platform = "slack"
    config_model = SlackConfig
    max_chars = 3000  # well under Slack's 40k: long walls of text read badly there
    min_interval_seconds = 1.0  # chat.postMessage: about one message a second per channel

    def __init__(self, config: SlackConfig, http: httpx.AsyncClient) -> None:
        super().__init__(config, http)
        self._bot_user: str | None = None

    @property
    def uses_connection(self) -> bool:
        return self.config.mode == "socket"

    @property
    def streams(self) -> bool:
        return self.config.stream_edits

    async def handle_webhook(self, request: WebhookRequest) -> WebhookResult:
        secret = self.config.signing_secret
        stamp = request.headers.get("x-slack-request-timestamp", "")
        if secret is None or not stamp.isdigit():
            raise BadSignature("missing X-Slack-Request-Timestamp")
        if abs(time.time() - int(stamp)) > MAX_AGE_SECONDS:
            raise BadSignature("the request is too old")
        base = f"v0:{stamp}:".encode() + request.body
        expected = "v0=" + hmac_sha256_hex(secret.get_secret_value(), base)
        if not same(expected, request.headers.get("x-slack-signature")):
            raise BadSignature("X-Slack-Signature does not match")
        payload = json.loads(request.body)
        if payload.get("type") == "url_verification":
            return WebhookResult(body={"challenge": payload.get("challenge", "")})
        found = await self._inbound(payload)
        return WebhookResult(messages=[found] if found else [], body={"ok": True})

    async def listen(self, sink: InboundSink, connected: Callable[[], None]) -> None:
        await self._me()
        assert self.config.app_token is not None
        opened = await self._call("apps.connections.open", {}, self.config.app_token)
        async with connect(str(opened["url"]), open_timeout=20) as socket:
            async for frame in socket:
                envelope = json.loads(frame)
                kind = envelope.get("type")
                if kind == "hello":
                    connected()
                elif kind == "disconnect":
                    return  # Slack rotates connections; the pipeline opens a new one
                if "envelope_id" in envelope:
                    # Acknowledged at once; the message is stored by `sink` before Slack
                    # would retry, and a retry is a duplicate the inbox drops.
                    await socket.send(json.dumps({"envelope_id": envelope["envelope_id"]}))
                if kind == "events_api":
                    found = await self._inbound(envelope.get("payload") or {})
                    if found is not None:
                        await sink(found)

    async def send(self, message: Outbound) -> str | None:
        body: dict[str, Any] = {"channel": message.conversation_id, "text": message.text}
        if message.thread_id:
            body["thread_ts"] = message.thread_id
        sent = await self._call("chat.postMessage", body)
        return str(sent.get("ts")) if sent.get("ts") else None

    async def edit(self, message: Outbound, external_id: str) -> None:
        body = {"channel": message.conversation_id, "ts": external_id, "text": message.text}
        await self._call("chat.update", body)

    async def _me(self) -> str:
        if self._bot_user is None:
            me = await self._call("auth.test", {})
            self._bot_user = str(me.get("user_id") or "")
        return self._bot_user

    async def _inbound(self, payload: dict[str, Any]) -> Inbound | None:
        event = payload.get("event") or {}
        if payload.get("type") != "event_callback" or event.get("type") not in (
            "message",
            "app_mention",
        ):
            return None
        if event.get("subtype") or event.get("bot_id") or not event.get("user"):
            return None  # edits, joins, bots (ourselves included)
        me = await self._me()
        text = str(event.get("text") or "")
        channel = str(event.get("channel") or "")
        is_group = event.get("channel_type") != "im"
        mention = f"<@{me}>" if me else None
        return Inbound(
            # The same message can come as `message` and as `app_mention`: one key for both.
            message_id=f"{channel}:{event.get('ts')}",
            sender_id=str(event["user"]),
            text=re.sub(r"<@[A-Z0-9]+>\s*", "", text).strip() or text,
            conversation_id=channel,
            thread_id=str(event.get("thread_ts") or event.get("ts")),
            is_group=is_group,
            mentioned=not is_group
            or event.get("type") == "app_mention"
            or bool(mention and mention in text),
        )

    async def _call(
        self, method: str, body: dict[str, Any], token: SecretStr | None = None
    ) -> dict[str, Any]:
        bearer = (token or self.config.bot_token).get_secret_value()
        response = await self.http.post(
            f"{self.config.api_base.rstrip('/')}/{method}",
            json=body,
            headers={"Authorization": f"Bearer {bearer}"},
        )
        if response.status_code == 429:
            raise RateLimited(float(response.headers.get("retry-after") or 5))
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        if answer.get("ok"):
            return answer
        error = str(answer.get("error") or "unknown_error")
        if error == "ratelimited":
            raise RateLimited(float(response.headers.get("retry-after") or 5))
        if error in PERMANENT:
            raise DeliveryFailed(f"{method}: {error}")
        raise RuntimeError(f"{method}: {error}")
