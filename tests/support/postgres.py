"""A private PostgreSQL for the tests: `NEXORA_TEST_PG_URL` if set, else one started by pgserver."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url


@contextmanager
def postgres_server(workdir: Path) -> Iterator[str]:
    """Yields a superuser URL (`postgresql://…`) of a server that lives for the test session."""
    configured = os.environ.get("NEXORA_TEST_PG_URL")
    if configured:
        yield configured
        return
    import pgserver

    server = pgserver.get_server(workdir, cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


def _asyncpg_kwargs(url: str) -> dict[str, object]:
    parsed = make_url(url)
    kwargs: dict[str, object] = {
        "user": parsed.username,
        "password": parsed.password,
        "database": parsed.database,
        "port": parsed.port,
    }
    host = parsed.query.get("host") or parsed.host
    kwargs["host"] = host
    return kwargs


async def _admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(**_asyncpg_kwargs(url))  # type: ignore[arg-type]
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new empty database per test, dropped afterwards: tests never see each other's rows."""
    name = f"nexora_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
