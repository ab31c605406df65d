"""`POST /api/agents/{agent_id}/files` over real HTTP, on both backends: files land in the
agent's workspace under `uploads/`, renamed when unsafe or taken, within the org's size
limit, for operators with a grant on agents of their own org, and audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.support.api import assert_problem, login, ok
from tests.support.server import RunningServer

MIB = 1024 * 1024


def _url(agent: dict[str, Any]) -> str:
    return f"/api/agents/{agent['id']}/files"


def _agent(admin: httpx.Client, name: str = "reader") -> dict[str, Any]:
    agent: dict[str, Any] = ok(admin.post("/api/agents", json={"name": name}), 201)
    return agent


def test_files_land_in_the_workspace_and_are_audited(admin: httpx.Client) -> None:
    agent = _agent(admin)
    files = [
        ("files", ("report.txt", b"quarterly numbers\n", "text/plain")),
        ("files", ("data.csv", b"a,b\n1,2\n", "text/csv")),
    ]
    stored = ok(admin.post(_url(agent), files=files), 201)["files"]
    assert stored == [
        {"path": "uploads/report.txt", "size": 18},
        {"path": "uploads/data.csv", "size": 8},
    ]
    workspace = Path(agent["workspace"])
    assert (workspace / "uploads" / "report.txt").read_bytes() == b"quarterly numbers\n"
    assert (workspace / "uploads" / "data.csv").read_bytes() == b"a,b\n1,2\n"

    events = ok(admin.get("/api/admin/audit", params={"action": "agent.file.upload"}))["items"]
    assert events[0]["resource_id"] == agent["id"]
    assert events[0]["detail"]["files"][0] == {"path": "uploads/report.txt", "size": 18}


def test_names_are_neutralised_and_never_overwrite(admin: httpx.Client) -> None:
    agent = _agent(admin)
    tricks = [
        ("files", ("../x", b"1", "text/plain")),
        ("files", (".env", b"SECRET=1", "text/plain")),
        ("files", ("..\\..\\win.ini", b"2", "text/plain")),
        ("files", ("notes.md", b"first", "text/plain")),
    ]
    paths = [f["path"] for f in ok(admin.post(_url(agent), files=tricks), 201)["files"]]
    assert paths == ["uploads/x", "uploads/env", "uploads/win.ini", "uploads/notes.md"]
    again = ok(admin.post(_url(agent), files=[("files", ("notes.md", b"second"))]), 201)
    assert again["files"][0]["path"] == "uploads/notes-1.md"
    uploads = Path(agent["workspace"]) / "uploads"
    assert (uploads / "notes.md").read_bytes() == b"first"
    assert (uploads / "notes-1.md").read_bytes() == b"second"
    assert not (Path(agent["workspace"]).parent / "x").exists()
    assert not (uploads / ".env").exists()


def test_the_orgs_upload_limit_applies(admin: httpx.Client) -> None:
    agent = _agent(admin)
    ok(admin.put("/api/admin/config/max_upload_mb", json={"value": 1}))
    big = ("files", ("big.bin", b"x" * (MIB + 1), "application/octet-stream"))
    assert_problem(admin.post(_url(agent), files=[big]), 413)
    # Over the server's default body limit of 1 MiB, yet within the org's limit.
    ok(admin.put("/api/admin/config/max_upload_mb", json={"value": 2}))
    stored = ok(admin.post(_url(agent), files=[big]), 201)["files"]
    assert stored == [{"path": "uploads/big.bin", "size": MIB + 1}]
    assert not (Path(agent["workspace"]) / "uploads" / "big-1.bin").exists()


def test_requests_that_are_not_uploads_are_refused(admin: httpx.Client) -> None:
    agent = _agent(admin)
    assert_problem(admin.post(_url(agent), json={"files": []}), 415)
    assert_problem(admin.post(_url(agent), files=[("other", ("a.txt", b"a"))]), 422)


def test_another_orgs_agent_is_not_found(
    server: RunningServer, admin: httpx.Client, anon: httpx.Client
) -> None:
    org = ok(admin.post("/api/admin/orgs", json={"name": "globex"}), 201)
    user = {"username": "globex-admin", "password": "password-123", "role": "admin"}
    ok(admin.post("/api/admin/users", json={**user, "org_id": org["id"]}), 201)
    with server.client(login(anon, "globex-admin", "password-123")) as globex:
        theirs = _agent(globex, "theirs")
    assert_problem(admin.post(_url(theirs), files=[("files", ("a.txt", b"a"))]), 404)
    assert not (Path(theirs["workspace"]) / "uploads").exists()


def test_operators_need_a_grant_and_viewers_may_not_upload(
    server: RunningServer, admin: httpx.Client, anon: httpx.Client
) -> None:
    agent = _agent(admin)
    file = [("files", ("a.txt", b"a"))]
    ids = {}
    for name, role in (("op", "operator"), ("viewer", "viewer")):
        user = {"username": name, "password": "password-123", "role": role}
        ids[name] = ok(admin.post("/api/admin/users", json=user), 201)["id"]
    with server.client(login(anon, "op", "password-123")) as operator:
        # Refused as reading the agent is: the agents API's answer without a grant.
        denied = operator.get(f"/api/agents/{agent['id']}").status_code
        assert_problem(operator.post(_url(agent), files=file), denied)
        grant = {"user_id": ids["op"], "agent_id": agent["id"]}
        ok(admin.post("/api/admin/grants", json=grant), 201)
        stored = ok(operator.post(_url(agent), files=file), 201)["files"]
        assert stored[0]["path"] == "uploads/a.txt"
    with server.client(login(anon, "viewer", "password-123")) as viewer:
        assert_problem(viewer.post(_url(agent), files=file), 403)
    assert_problem(anon.post(_url(agent), files=file), 401)
