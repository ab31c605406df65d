"""The generic signed webhook: any system that can POST JSON and take a JSON callback.

Inbound: `POST <inbound_url>` with `X-Nexora-Signature: sha256=<hex HMAC-SHA256 of the raw
body with the secret>` and `{"message_id","user_id","text","thread_id"?}`. Replies are POSTed to
`callback_url` as `{"reply_to","thread_id","text"}`, signed the same way, with the outbox row's
id as `Idempotency-Key` so a receiver can drop a redelivery of the same reply.

With `stream_edits`, answers are shown as they are written: the first post carries an `id`,
and later posts `{"edit_of": id, "text", …}` replace that message's text.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

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
from nexora.channels.signatures import hmac_sha256_hex, same

SIGNATURE_HEADER = "x-nexora-signature"


class WebhookConfig(ChannelConfig):
    secret: SecretStr = Field(min_length=16)
    callback_url: str = Field(min_length=8, max_length=2000, pattern=r"^https?://")
    stream_edits: bool = False
    api_base: str = ""  # unused: the callback URL is the whole address


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore")

    message_id: str = Field(min_length=1, max_length=200)
    user_id: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=20_000)
    thread_id: str | None = Field(default=None, max_length=200)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac_sha256_hex(secret, body)


@register
class WebhookAdapter(Adapter[WebhookConfig]):
    platform = "webhook"
    config_model = WebhookConfig
    max_chars = 20_000

    async def handle_webhook(self, request: WebhookRequest) -> WebhookResult:
        secret = self.config.secret.get_secret_value()
        if not same(sign(secret, request.body), request.headers.get(SIGNATURE_HEADER)):
            raise BadSignature("X-Nexora-Signature does not match the body")
        try:
            message = _Message.model_validate_json(request.body)
        except ValidationError as error:
            return WebhookResult(status=422, body={"detail": _first_problem(error)})
        conversation = message.thread_id or message.user_id
        return WebhookResult(
            messages=[
                Inbound(
                    message_id=message.message_id,
                    sender_id=message.user_id,
                    text=message.text,
                    conversation_id=conversation,
                    thread_id=message.thread_id,
                )
            ],
            body={"ok": True},
        )

    @property
    def streams(self) -> bool:
        return self.config.stream_edits

    async def send(self, message: Outbound) -> str | None:
        payload = _payload(message)
        if self.streams:
            payload["id"] = message.delivery_id
        await self._post(payload, message.delivery_id)
        return message.delivery_id if self.streams else None

    async def edit(self, message: Outbound, external_id: str) -> None:
        await self._post({**_payload(message), "edit_of": external_id}, None)

    async def _post(self, payload: dict[str, Any], idempotency_key: str | None) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Nexora-Signature": sign(self.config.secret.get_secret_value(), body),
        }
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        response = await self.http.post(self.config.callback_url, content=body, headers=headers)
        if response.status_code == 429:
            raise RateLimited(_retry_after(response.headers.get("retry-after")))
        if response.status_code >= 500:
            response.raise_for_status()
        if response.status_code >= 400:
            raise DeliveryFailed(f"callback answered {response.status_code}")


def _payload(message: Outbound) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "reply_to": message.reply_to,
        "thread_id": message.thread_id,
        "text": message.text,
    }
    if message.reply_to is None:
        payload["to"] = message.conversation_id
    return payload


def _retry_after(value: str | None) -> float:
    try:
        return max(1.0, float(value)) if value else 5.0
    except ValueError:
        return 5.0


def _first_problem(error: ValidationError) -> str:
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"]) or "body"
    return f"{where}: {problem['msg']}"
