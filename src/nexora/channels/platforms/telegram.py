"""Telegram, through the Bot API: long polling (the default: no public URL needed) or a webhook
checked by its secret token. Answers are edited in place as they are written.

Plain HTTP rather than `python-telegram-bot`: that library brings its own application loop and
update queue, which would sit beside the channel pipeline's inbox instead of feeding it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

import httpx
from pydantic import Field, SecretStr, model_validator

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

SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105  (a header name)
GROUP_CHATS = ("group", "supergroup")


class TelegramConfig(ChannelConfig):
    bot_token: SecretStr = Field(min_length=10)
    mode: Literal["polling", "webhook"] = "polling"
    # Required for webhooks: Telegram sends it back in every request (setWebhook secret_token).
    webhook_secret: SecretStr | None = None
    api_base: str = Field(default="https://api.telegram.org", pattern=r"^https?://")
    poll_timeout: int = Field(default=25, ge=0, le=50)
    stream_edits: bool = True

    @model_validator(mode="after")
    def _webhook_needs_a_secret(self) -> TelegramConfig:
        if self.mode == "webhook" and self.webhook_secret is None:
            raise ValueError("webhook mode needs webhook_secret, which Telegram sends back")
        return self


@register
class TelegramAdapter(Adapter[TelegramConfig]):
    platform = "telegram"
    config_model = TelegramConfig
    max_chars = 4096
    min_interval_seconds = 1.0  # Telegram's limit: about one message a second per chat

    def __init__(self, config: TelegramConfig, http: httpx.AsyncClient) -> None:
        super().__init__(config, http)
        self._me: dict[str, Any] | None = None

    @property
    def uses_connection(self) -> bool:
        return self.config.mode == "polling"

    @property
    def streams(self) -> bool:
        return self.config.stream_edits

    async def handle_webhook(self, request: WebhookRequest) -> WebhookResult:
        secret = self.config.webhook_secret
        if secret is None or not same(
            secret.get_secret_value(), request.headers.get(SECRET_HEADER)
        ):
            raise BadSignature(f"{SECRET_HEADER} does not match")
        try:
            update = json.loads(request.body)
        except ValueError:
            return WebhookResult(status=400, body={"ok": False})
        me = await self._bot()
        found = _inbound(update, me) if isinstance(update, dict) else None
        return WebhookResult(messages=[found] if found else [], body={"ok": True})

    async def listen(self, sink: InboundSink, connected: Callable[[], None]) -> None:
        me = await self._bot()
        connected()
        offset: int | None = None
        timeout = self.config.poll_timeout
        while True:
            params: dict[str, Any] = {"timeout": timeout, "allowed_updates": ["message"]}
            if offset is not None:
                params["offset"] = offset
            updates = await self._call("getUpdates", params, read_timeout=timeout + 15)
            for update in updates if isinstance(updates, list) else []:
                found = _inbound(update, me)
                if found is not None:
                    await sink(found)  # stored before the offset acknowledges it to Telegram
                offset = int(update["update_id"]) + 1

    async def send(self, message: Outbound) -> str | None:
        body: dict[str, Any] = {"chat_id": message.conversation_id, "text": message.text}
        replied = message.reply_context.get("message_id")
        if replied:
            body["reply_parameters"] = {
                "message_id": int(replied),
                "allow_sending_without_reply": True,
            }
        if message.thread_id:
            body["message_thread_id"] = int(message.thread_id)
        sent = await self._call("sendMessage", body)
        return str(sent["message_id"])

    async def edit(self, message: Outbound, external_id: str) -> None:
        body = {
            "chat_id": message.conversation_id,
            "message_id": int(external_id),
            "text": message.text,
        }
        try:
            await self._call("editMessageText", body)
        except DeliveryFailed as refused:
            if "not modified" not in str(refused):  # the same text again is no failure
                raise

    async def _bot(self) -> dict[str, Any]:
        if self._me is None:
            me = await self._call("getMe", {})
            self._me = me if isinstance(me, dict) else {}
        return self._me

    async def _call(self, method: str, body: dict[str, Any], read_timeout: float = 20.0) -> Any:
        token = self.config.bot_token.get_secret_value()
        url = f"{self.config.api_base.rstrip('/')}/bot{token}/{method}"
        timeout = httpx.Timeout(20.0, read=read_timeout)
        response = await self.http.post(url, json=body, timeout=timeout)
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.status_code == 429 or answer.get("error_code") == 429:
            retry = (answer.get("parameters") or {}).get("retry_after", 5)
            raise RateLimited(float(retry), f"{method}: too many requests")
        if response.status_code >= 500 or not isinstance(answer, dict):
            response.raise_for_status()
        if not answer.get("ok"):
            description = answer.get("description") or f"HTTP {response.status_code}"
            if response.status_code in (400, 403, 404):
                raise DeliveryFailed(f"{method}: {description}")
            raise RuntimeError(f"{method}: {description}")
        return answer.get("result")


def _inbound(update: dict[str, Any], me: dict[str, Any]) -> Inbound | None:
    message = update.get("message")
    if not isinstance(message, dict):
        return None
    text = message.get("text") or message.get("caption")
    sender = message.get("from") or {}
    chat = message.get("chat") or {}
    if not text or not sender or sender.get("is_bot") or "id" not in chat:
        return None
    username = str(me.get("username") or "")
    is_group = chat.get("type") in GROUP_CHATS
    thread = message.get("message_thread_id") if message.get("is_topic_message") else None
    name = " ".join(p for p in (sender.get("first_name"), sender.get("last_name")) if p)
    return Inbound(
        message_id=f"{chat['id']}:{message['message_id']}",
        sender_id=str(sender["id"]),
        text=_without_mention(str(text), username),
        conversation_id=str(chat["id"]),
        thread_id=str(thread) if thread is not None else None,
        sender_name=name or sender.get("username"),
        is_group=is_group,
        mentioned=not is_group or _mentions(message, str(text), me),
        reply_context={"message_id": str(message["message_id"])},
    )


def _mentions(message: dict[str, Any], text: str, me: dict[str, Any]) -> bool:
    username = str(me.get("username") or "")
    for entity in message.get("entities") or message.get("caption_entities") or []:
        start, length = int(entity.get("offset", 0)), int(entity.get("length", 0))
        # Offsets count UTF-16 code units; the bot's @name is ASCII, so the slice is exact
        # whenever nothing before it is outside the BMP (and is only missed otherwise).
        named = text[start : start + length]
        if (
            entity.get("type") in ("mention", "bot_command")
            and username
            and (named.lower().endswith(f"@{username.lower()}"))
        ):
            return True
        if entity.get("type") == "text_mention" and (entity.get("user") or {}).get("id") == me.get(
            "id"
        ):
            return True
    replied = message.get("reply_to_message") or {}
    return bool((replied.get("from") or {}).get("id") == me.get("id") and me.get("id"))


def _without_mention(text: str, username: str) -> str:
    if not username:
        return text.strip()
    return text.replace(f"@{username}", "").strip() or text.strip()
