"""Helpers for tests that start runs and wait for them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from nexora.security.verdict import Danger, GuardResult
from nexora.tools.base import ToolContext
from nexora.tools.registry import registry
from tests.support.api import ok
from tests.support.tools import AddInput, add_tool

TERMINAL = {"completed", "failed", "cancelled"}


def wait_for_run(client: httpx.Client, run_id: str, seconds: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run: dict[str, Any] = ok(client.get(f"/api/runs/{run_id}"))
        if run["status"] in TERMINAL:
            return run
        time.sleep(0.02)
    raise AssertionError(f"run {run_id} did not finish: {run}")


def events_of(client: httpx.Client, run_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = ok(client.get(f"/api/runs/{run_id}/events"))["items"]
    return items


class Counter:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []


@contextmanager
def counting_tool(
    name: str = "add",
    danger: Danger = Danger.SAFE,
    assess: Callable[[AddInput, ToolContext], GuardResult] | None = None,
) -> Iterator[Counter]:
    """Registers a real tool that adds two numbers and counts its executions."""
    counter = Counter()
    registry.register(
        add_tool(name, lambda args: counter.calls.append(args.model_dump()), danger, assess)
    )
    try:
        yield counter
    finally:
        registry.unregister(name)
