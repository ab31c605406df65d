"""One retry policy and one circuit breaker per provider, around any pydantic-ai `Model`.

The SDK clients are built with their own retries off, so this is the only place that
decides whether a failed request is sent again, and how long to wait first.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

from pydantic_ai.exceptions import (
    ModelAPIError,
    ModelConnectionError,
    ModelHTTPError,
    ModelQuotaExceededError,
    ModelRateLimitError,
    ModelRequestRejectedError,
    ModelServerError,
    ModelTimeoutError,
    ModelUnavailableError,
)
from pydantic_ai.messages import ModelMessage, ModelResponse
from pydantic_ai.models import Model, ModelRequestParameters, StreamedResponse
from pydantic_ai.models.wrapper import WrapperModel
from pydantic_ai.settings import ModelSettings
from pydantic_ai.tools import RunContext

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter; a `Retry-After` above `max_retry_after` is not waited."""

    max_attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 30.0

    def delay(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None to give up."""
        if attempt >= self.max_attempts:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_retry_after else None
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        # "Equal jitter": at least half the backoff, so clients that failed together spread out
        # without any of them retrying immediately.
        return ceiling / 2 + random.uniform(0, ceiling / 2)


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    failure_threshold: int = 5
    cooldown_seconds: float = 30.0


class CircuitOpenError(ModelUnavailableError):
    """A provider failed repeatedly; calls fail at once until its cool-down ends.

    A `ModelUnavailableError`, so code that handles pydantic-ai's provider errors handles it too.
    """


class CircuitBreaker:
    """Closed → open after N consecutive failures → half-open after the cool-down (one probe)."""

    def __init__(self, label: str, policy: BreakerPolicy, clock: Clock = time.monotonic) -> None:
        self.label = label
        self.policy = policy
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> Literal["closed", "open", "half_open"]:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.policy.cooldown_seconds:
            return "half_open"
        return "open"

    def before_call(self, model_name: str) -> None:
        """Raises `CircuitOpenError` unless a call may go through now."""
        state = self.state
        if state == "closed":
            return
        if state == "half_open" and not self._probing:
            self._probing = True  # this call is the probe; the others still fail fast
            return
        assert self._opened_at is not None
        wait = max(0.0, self._opened_at + self.policy.cooldown_seconds - self._clock())
        raise CircuitOpenError(
            model_name,
            f"provider {self.label!r} failed {self._failures} times in a row; "
            f"requests to it are paused for {wait:.0f} s more (circuit breaker open)",
        )

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._probing = False

    def record_failure(self) -> None:
        self._failures += 1
        if self._probing or self._failures >= self.policy.failure_threshold:
            if self._opened_at is None:
                log.warning("circuit breaker for provider %r opened", self.label)
            self._opened_at = self._clock()
        self._probing = False

    def release(self) -> None:
        """The call ended with no verdict on the provider's health (e.g. it was cancelled)."""
        self._probing = False


def is_retryable(exc: BaseException) -> bool:
    """Timeouts, lost connections, 429 and 5xx: sending the same request again may succeed."""
    if isinstance(exc, CircuitOpenError | ModelQuotaExceededError | ModelRequestRejectedError):
        return False
    retryable = (
        ModelRateLimitError | ModelUnavailableError | ModelServerError | ModelConnectionError
    )
    if isinstance(exc, retryable):
        return True
    if isinstance(exc, ModelHTTPError):
        return exc.status_code in (408, 429) or exc.status_code >= 500
    return False


class ResilientModel(WrapperModel):
    """Retries a wrapped model's retryable failures and trips its provider's circuit breaker.

    A stream is retried only while nothing has reached the caller; after that a failure is
    the caller's to handle, since tokens already shown cannot be taken back.
    """

    def __init__(
        self,
        wrapped: Model,
        *,
        label: str,
        breaker: CircuitBreaker,
        retry: RetryPolicy,
        timeout_seconds: float,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        super().__init__(wrapped)
        self.provider_label = label
        self.breaker = breaker
        self.retry = retry
        self.timeout_seconds = timeout_seconds
        self._sleep = sleep

    async def request(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        attempt = 0
        while True:
            attempt += 1
            self.breaker.before_call(self.model_name)
            try:
                response = await self.wrapped.request(
                    messages, model_settings, model_request_parameters
                )
            except BaseException as exc:
                await self._after_failure(exc, attempt)
                continue
            self.breaker.record_success()
            return response

    @asynccontextmanager
    async def request_stream(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
        run_context: RunContext[Any] | None = None,
    ) -> AsyncGenerator[StreamedResponse]:
        attempt = 0
        while True:
            attempt += 1
            self.breaker.before_call(self.model_name)
            stack = AsyncExitStack()
            try:
                stream = await stack.enter_async_context(
                    self.wrapped.request_stream(
                        messages, model_settings, model_request_parameters, run_context
                    )
                )
            except BaseException as exc:
                await self._after_failure(exc, attempt)
                continue
            break
        async with stack:
            try:
                yield stream
            except BaseException as exc:
                # Mid-stream: count it against the provider, but never resend.
                self._judge(exc)
                raise
        self.breaker.record_success()

    def _judge(self, exc: BaseException) -> bool:
        """Records the outcome on the breaker; True if the request may be sent again."""
        if is_retryable(exc):
            self.breaker.record_failure()
            return True
        if isinstance(exc, ModelAPIError) and not isinstance(exc, CircuitOpenError):
            # The provider answered (e.g. 400): it is up, the request was wrong.
            self.breaker.record_success()
        else:
            self.breaker.release()
        return False

    async def _after_failure(self, exc: BaseException, attempt: int) -> None:
        """Waits before the next attempt, or raises if there is none."""
        if not self._judge(exc):
            raise exc
        assert isinstance(exc, ModelAPIError)
        delay = self.retry.delay(attempt, exc.retry_after)
        if delay is None or self.breaker.state != "closed":
            final = self._final_error(exc, attempt)
            if final is exc:
                raise exc
            raise final from exc
        log.info(
            "provider %r: attempt %d failed (%s); retrying in %.2f s",
            self.provider_label,
            attempt,
            type(exc).__name__,
            delay,
        )
        await self._sleep(delay)

    def _final_error(self, exc: ModelAPIError, attempts: int) -> ModelAPIError:
        if isinstance(exc, ModelTimeoutError):
            plural = "s" if attempts > 1 else ""
            return ModelTimeoutError(
                exc.model_name,
                f"provider {self.provider_label!r} did not answer within "
                f"{self.timeout_seconds:g} s ({attempts} attempt{plural})",
                phase=exc.phase,
            )
        return exc
