"""Throttles repeated failed logins per username and per client address."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from nexora.errors import TooManyRequests


class LoginThrottle:
    """A sliding window of failures; past the limit a key is refused until the window passes.

    Kept in process memory: with several API processes each one throttles on its own,
    which still bounds guessing to (processes x limit) attempts per window.
    """

    def __init__(
        self, max_failures: int, window_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        now = self._clock()
        window = self._failures.get(key)
        if window is None:
            return deque()
        while window and now - window[0] >= self.window:
            window.popleft()
        if not window:
            del self._failures[key]
        return window

    def check(self, *keys: str) -> None:
        for key in keys:
            recent = self._recent(key)
            if len(recent) >= self.max_failures:
                retry_after = max(1, math.ceil(self.window - (self._clock() - recent[0])))
                raise TooManyRequests(
                    f"too many failed logins; try again in {retry_after} s", retry_after
                )

    def record_failure(self, *keys: str) -> None:
        now = self._clock()
        for key in keys:
            self._failures.setdefault(key, deque()).append(now)

    def reset(self, key: str) -> None:
        self._failures.pop(key, None)
