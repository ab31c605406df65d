"""Retries with backoff, Retry-After, the circuit breaker and timeouts, over real HTTP."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pydantic_ai.exceptions import ModelHTTPError, ModelRateLimitError, ModelTimeoutError
from pydantic_ai.messages import ModelRequest
from pydantic_ai.models import Model, ModelRequestParameters

from nexora.providers.resilience import (
    BreakerPolicy,
    CircuitBreaker,
    CircuitOpenError,
    RetryPolicy,
    is_retryable,
)
from nexora.providers.resolver import ModelResolver
from nexora.storage.db import Database
from tests.fakes.openai_server import FakeOpenAIServer
from tests.unit.providers.conftest import FakeClock, Sleeps, add_provider


async def _model(resolver: ModelResolver, db: Database, org_id: str) -> Model:
    async with db.session() as session:
        return (await resolver.resolve(session, org_id, "local:fake-model")).model


async def _ask(model: Model) -> str:
    response = await model.request(
        [ModelRequest.user_text_prompt("hi")], None, ModelRequestParameters()
    )
    return response.text or ""


async def _ask_streamed(model: Model) -> str:
    async with model.request_stream(
        [ModelRequest.user_text_prompt("hi")], None, ModelRequestParameters()
    ) as stream:
        async for _ in stream:
            pass
    return stream.get().text or ""


@pytest.fixture
async def local(db: Database, org_id: str, fake: FakeOpenAIServer) -> None:
    await add_provider(db, org_id, name="local", base_url=fake.base_url, models=["fake-model"])


@pytest.mark.usefixtures("local")
async def test_retries_429_and_500_then_succeeds(
    db: Database,
    org_id: str,
    fake: FakeOpenAIServer,
    make_resolver: Callable[..., ModelResolver],
    sleeps: Sleeps,
) -> None:
    fake.reply_error(429, retry_after=2)
    fake.reply_error(500)
    fake.reply_text("finally")
    model = await _model(make_resolver(retry=RetryPolicy(max_attempts=3)), db, org_id)

    assert await _ask(model) == "finally"
    assert len(fake.chat_requests) == 3
    assert sleeps.delays[0] == 2  # Retry-After honoured
    assert 0.25 <= sleeps.delays[1] <= 1.0  # backoff for attempt 2: half to all of 2 x 0.5 s


@pytest.mark.usefixtures("local")
async def test_streaming_is_retried_before_anything_is_yielded(
    db: Database, org_id: str, fake: FakeOpenAIServer, make_resolver: Callable[..., ModelResolver]
) -> None:
    fake.reply_error(503)
    fake.reply_text("streamed fine")
    model = await _model(make_resolver(), db, org_id)

    assert await _ask_streamed(model) == "streamed fine"
    assert len(fake.chat_requests) == 2


@pytest.mark.usefixtures("local")
async def test_no_retry_on_400(
    db: Database, org_id: str, fake: FakeOpenAIServer, make_resolver: Callable[..., ModelResolver]
) -> None:
    fake.reply_error(400, message="bad request body")
    model = await _model(make_resolver(), db, org_id)

    with pytest.raises(ModelHTTPError) as caught:
        await _ask(model)
    assert caught.value.status_code == 400
    assert len(fake.chat_requests) == 1


@pytest.mark.usefixtures("local")
async def test_gives_up_after_max_attempts_with_the_provider_error(
    db: Database, org_id: str, fake: FakeOpenAIServer, make_resolver: Callable[..., ModelResolver]
) -> None:
    for _ in range(3):
        fake.reply_error(429)
    model = await _model(make_resolver(retry=RetryPolicy(max_attempts=3)), db, org_id)

    with pytest.raises(ModelRateLimitError):
        await _ask(model)
    assert len(fake.chat_requests) == 3


@pytest.mark.usefixtures("local")
async def test_retry_after_too_long_is_not_waited(
    db: Database, org_id: str, fake: FakeOpenAIServer, make_resolver: Callable[..., ModelResolver]
) -> None:
    fake.reply_error(429, retry_after=3600)
    model = await _model(make_resolver(), db, org_id)

    with pytest.raises(ModelRateLimitError):
        await _ask(model)
    assert len(fake.chat_requests) == 1


@pytest.mark.usefixtures("local")
async def test_circuit_opens_fails_fast_then_recovers_after_cooldown(
    db: Database,
    org_id: str,
    fake: FakeOpenAIServer,
    make_resolver: Callable[..., ModelResolver],
    clock: FakeClock,
) -> None:
    resolver = make_resolver(
        retry=RetryPolicy(max_attempts=1),
        breaker=BreakerPolicy(failure_threshold=3, cooldown_seconds=30),
    )
    model = await _model(resolver, db, org_id)
    for _ in range(3):
        fake.reply_error(500)
        with pytest.raises(ModelHTTPError):
            await _ask(model)
    assert len(fake.chat_requests) == 3

    with pytest.raises(CircuitOpenError, match="'local' failed 3 times in a row") as caught:
        await _ask(model)
    assert "paused for 30 s" in str(caught.value)
    assert len(fake.chat_requests) == 3  # failed fast: nothing was sent

    clock.now += 31  # cool-down over: one probe goes through, and it succeeds
    fake.reply_text("back")
    assert await _ask(model) == "back"
    assert resolver.breaker(org_id, "local").state == "closed"
    assert await _ask(model) == "ok"


async def test_timeout_is_a_clear_error(
    db: Database, org_id: str, fake: FakeOpenAIServer, make_resolver: Callable[..., ModelResolver]
) -> None:
    await add_provider(
        db, org_id, name="local", base_url=fake.base_url, models=["fake-model"], timeout_seconds=0.2
    )
    fake.reply_slow(2.0)
    fake.reply_slow(2.0)
    model = await _model(make_resolver(retry=RetryPolicy(max_attempts=2)), db, org_id)

    with pytest.raises(
        ModelTimeoutError, match=r"'local' did not answer within 0.2 s \(2 attempts\)"
    ):
        await _ask(model)
    assert len(fake.chat_requests) == 2


def _state(breaker: CircuitBreaker) -> str:
    return breaker.state


def test_half_open_lets_one_probe_through_and_a_failed_probe_reopens() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("p", BreakerPolicy(failure_threshold=2, cooldown_seconds=10), clock)
    breaker.record_failure()
    breaker.before_call("m")  # one failure: still closed
    breaker.record_failure()
    assert _state(breaker) == "open"
    clock.now += 10
    assert _state(breaker) == "half_open"
    breaker.before_call("m")  # the probe
    with pytest.raises(CircuitOpenError):
        breaker.before_call("m")  # a second caller while the probe is out
    breaker.record_failure()
    assert _state(breaker) == "open"
    clock.now += 10
    breaker.before_call("m")
    breaker.record_success()
    assert _state(breaker) == "closed"


def test_retryable_classification() -> None:
    def http(status: int) -> ModelHTTPError:
        return ModelHTTPError(status_code=status, model_name="m")

    assert [is_retryable(http(s)) for s in (400, 401, 404, 408, 429, 500, 503)] == [
        False,
        False,
        False,
        True,
        True,
        True,
        True,
    ]
    assert not is_retryable(CircuitOpenError("m", "open"))
    assert not is_retryable(ValueError("not a provider error"))
