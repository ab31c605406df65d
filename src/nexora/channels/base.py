"""What every chat-app adapter is: transport (webhook or long connection) apart from mapping.

An adapter turns what its platform sends into `Inbound` messages and sends `Outbound` text back
through the platform's reply API. Everything else — verification failures being audited,
deduplication, identity mapping, runs, the durable outbox, retries, splitting, reconnecting —
is done once, by the channel machinery around the adapters (`nexora.channels.*`), so a platform
module stays small: its config, its signature scheme, its envelopes and its reply call.
"""

from __future__ import annotations

from abc import ABC
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr


class ChannelConfig(BaseModel):
    """A platform's settings. Fields typed `SecretStr` are credentials: they are kept in the
    secret store, never in the channel row, and shown as set/unset only.

    Every platform has `api_base` (its API's base URL, configurable so a test or a private
    deployment can point elsewhere)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @classmethod
    def secret_fields(cls) -> tuple[str, ...]:
        return tuple(
            name
            for name, info in cls.model_fields.items()
            if info.annotation in (SecretStr, SecretStr | None)
        )


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message from a platform user, in the platform's own terms."""

    message_id: str  # the platform's id for it: the deduplication key
    sender_id: str  # the platform's user id: mapped to a Nexora user
    text: str
    conversation_id: str  # where the answer goes: a chat, channel, room or mailbox address
    thread_id: str | None = None  # a thread within the conversation, where the platform has them
    sender_name: str | None = None
    is_group: bool = False  # a group chat rather than a direct conversation
    mentioned: bool = True  # the bot was addressed (always true in direct conversations)
    # What the reply call needs besides the conversation (e.g. a per-message reply URL).
    reply_context: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Outbound:
    """One message to send: where, in answer to what, and the text (already within limits)."""

    conversation_id: str
    text: str
    thread_id: str | None = None
    reply_to: str | None = None  # the platform message id being answered
    reply_context: Mapping[str, str] = field(default_factory=dict)
    # A stable id per outbox row: adapters pass it where the platform takes an idempotency key.
    delivery_id: str = ""


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    method: str
    headers: Mapping[str, str]  # lower-case names
    query: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class WebhookResult:
    """What to answer the platform at once, and the messages to process after answering."""

    messages: list[Inbound] = field(default_factory=list)
    status: int = 200
    body: Any = None  # JSON-serialisable, or str for a plain-text answer (echoes, challenges)


class BadSignature(Exception):
    """The request is not from the platform: wrong or missing signature or token."""


class RateLimited(Exception):
    """The platform asked us to slow down; the delivery is retried after `retry_after`."""

    def __init__(self, retry_after: float, message: str = "rate limited") -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DeliveryFailed(Exception):
    """The platform refused a reply for good (bad request, unknown chat): no retry helps."""


InboundSink = Callable[[Inbound], Awaitable[None]]


ConfigT = TypeVar("ConfigT", bound=ChannelConfig)


class Adapter(ABC, Generic[ConfigT]):
    """One platform. Subclasses set `platform` and `config_model`, and implement `send` plus
    at least one transport: `handle_webhook` (the platform calls us) and/or `listen` (we hold
    a connection, e.g. a websocket, stream or long poll — needed behind NAT, where nothing can
    call in)."""

    platform: ClassVar[str]  # the channel `type` users name it by
    config_model: ClassVar[type[ChannelConfig]]
    # The platform's limit on one message's text; longer replies are split.
    max_chars: ClassVar[int] = 4000
    # The least time between two messages to one conversation, to stay under rate limits.
    min_interval_seconds: ClassVar[float] = 0.0

    def __init__(self, config: ConfigT, http: httpx.AsyncClient) -> None:
        self.config = config
        self.http = http

    @property
    def uses_connection(self) -> bool:
        """Whether this channel, as configured, holds a connection (then `listen` runs)."""
        return False

    async def handle_webhook(self, request: WebhookRequest) -> WebhookResult:
        """Verifies one inbound request (raising `BadSignature`) and maps its messages."""
        raise NotImplementedError(f"{self.platform} channels do not take webhooks")

    async def listen(self, sink: InboundSink, connected: Callable[[], None]) -> None:
        """Holds the connection, calling `connected()` once it is up and `sink` per message,
        until it drops (raise) or is cancelled; the caller reconnects with backoff."""
        raise NotImplementedError(f"{self.platform} channels hold no connection")

    async def send(self, message: Outbound) -> str | None:
        """Sends one message; returns the platform's id for it when it gives one.

        Raise `RateLimited` on the platform's rate limit, `DeliveryFailed` when retrying cannot
        help; any other error is retried with backoff."""
        raise NotImplementedError

    @property
    def streams(self) -> bool:
        """Whether answers are shown as they are written: a first message, then `edit`s."""
        return False

    async def edit(self, message: Outbound, external_id: str) -> None:
        """Replaces the text of a message sent earlier (`external_id`, as `send` returned it);
        errors as in `send`. Only called when `streams` is true."""
        raise NotImplementedError(f"{self.platform} messages cannot be edited")

    async def aclose(self) -> None:
        """Releases what the adapter holds beyond the shared HTTP client."""


AnyAdapter = Adapter[Any]

_ADAPTERS: dict[str, type[AnyAdapter]] = {}


def register(adapter: type[AnyAdapter], *, replace: bool = False) -> type[AnyAdapter]:
    """Class decorator: makes a platform available by its name."""
    known = _ADAPTERS.get(adapter.platform)
    if known is not None and known is not adapter and not replace:
        raise ValueError(f"two channel adapters named {adapter.platform!r}")
    _ADAPTERS[adapter.platform] = adapter
    return adapter


def adapter_types() -> dict[str, type[AnyAdapter]]:
    from nexora.channels import platforms  # noqa: F401  (registers the built-in platforms)

    return dict(_ADAPTERS)
