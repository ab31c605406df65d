"""A migrated database (SQLite and PostgreSQL) with two orgs, agents and users to keep apart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from nexora.storage import migrate
from nexora.storage.db import Database
from nexora.storage.models import AgentRecord, Org, User


@dataclass(frozen=True)
class World:
    db: Database
    org_id: str
    agent_id: str
    other_agent_id: str  # same org
    user_id: str
    other_user_id: str
    other_org_id: str
    other_org_agent_id: str


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    db = Database(db_url)
    await migrate.upgrade(db)
    async with db.session() as session:
        org, other_org = Org(name="acme"), Org(name="globex")
        ann, bob = User(username="ann", password_hash="x"), User(username="bob", password_hash="x")
        session.add_all([org, other_org, ann, bob])
        await session.flush()
        agents = [
            AgentRecord(org_id=org.id, name="helper", config_yaml="name: helper\n"),
            AgentRecord(org_id=org.id, name="writer", config_yaml="name: writer\n"),
            AgentRecord(org_id=other_org.id, name="helper", config_yaml="name: helper\n"),
        ]
        session.add_all(agents)
        await session.commit()
        yield World(
            db=db,
            org_id=org.id,
            agent_id=agents[0].id,
            other_agent_id=agents[1].id,
            user_id=ann.id,
            other_user_id=bob.id,
            other_org_id=other_org.id,
            other_org_agent_id=agents[2].id,
        )
    await db.dispose()
