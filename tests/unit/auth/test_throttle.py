from __future__ import annotations

import pytest

from nexora.auth.throttle import LoginThrottle
from nexora.errors import TooManyRequests


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_blocks_after_limit_and_releases_after_window() -> None:
    clock = Clock()
    throttle = LoginThrottle(max_failures=3, window_seconds=60, clock=clock)
    for _ in range(3):
        throttle.check("user:a", "ip:1")
        throttle.record_failure("user:a", "ip:1")
    with pytest.raises(TooManyRequests) as blocked:
        throttle.check("user:a", "ip:2")
    assert blocked.value.retry_after == 60
    with pytest.raises(TooManyRequests):
        throttle.check("user:b", "ip:1")  # same address, another user
    clock.now += 61
    throttle.check("user:a", "ip:1")


def test_reset_clears_user_but_not_ip() -> None:
    throttle = LoginThrottle(max_failures=1, window_seconds=60, clock=Clock())
    throttle.record_failure("user:a", "ip:1")
    throttle.reset("user:a")
    throttle.check("user:a")
    with pytest.raises(TooManyRequests):
        throttle.check("ip:1")
