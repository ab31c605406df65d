"""Reads the server's database from the test thread with an engine of its own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from nexora.storage.db import Database

T = TypeVar("T")


def query(url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def main() -> T:
        db = Database(url)
        try:
            async with db.session() as session:
                return await work(session)
        finally:
            await db.dispose()

    return asyncio.run(main())


def eventually(
    url: str,
    work: Callable[[AsyncSession], Awaitable[T]],
    ready: Callable[[T], bool],
    seconds: float = 10,
) -> T:
    """Background writers land a moment later: poll until `ready`, within a bound."""
    deadline = time.monotonic() + seconds
    while True:
        value = query(url, work)
        if ready(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.05)
