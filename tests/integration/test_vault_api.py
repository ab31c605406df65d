"""The vault over HTTP: people deliver and read artifacts, download content, read history;
another organization sees none of it."""

from __future__ import annotations

import httpx

from tests.support.api import assert_problem, auth, login, ok


def outsider(admin: httpx.Client, anon: httpx.Client) -> dict[str, str]:
    org = ok(admin.post("/api/admin/orgs", json={"name": "globex"}), 201)
    body = {"username": "boss", "password": "password-123", "role": "admin", "org_id": org["id"]}
    ok(admin.post("/api/admin/users", json=body), 201)
    return auth(login(anon, "boss", "password-123"))


def test_artifacts_are_delivered_versioned_read_and_kept_apart(
    admin: httpx.Client, anon: httpx.Client
) -> None:
    body = {"kind": "design", "key": "design/api.md", "value": "# API v1", "summary": "first"}
    first = ok(admin.post("/api/vault/artifacts", json=body), 201)
    second = ok(admin.post("/api/vault/artifacts", json={**body, "value": "# API v2"}), 201)
    assert (first["version"], second["version"]) == (1, 2)
    assert second["ref"] == "design/api.md@2" and second["commit"]

    listed = ok(admin.get("/api/vault/artifacts", params={"key": "design/api.md"}))
    assert listed["total"] == 2 and "value" not in listed["items"][0]
    assert ok(admin.get(f"/api/vault/artifacts/{first['id']}"))["value"] == "# API v1"
    content = admin.get(f"/api/vault/artifacts/{second['id']}/content")
    assert content.status_code == 200 and content.content == b"# API v2"
    assert "attachment" in content.headers["content-disposition"]
    assert content.headers["x-content-type-options"] == "nosniff"

    history = ok(admin.get("/api/vault/history"))
    assert [c["sha"] for c in history] == [second["commit"], first["commit"]]

    assert_problem(admin.post("/api/vault/artifacts", json={**body, "key": "../x"}), 422, "key")
    too_big = {**body, "value": "x" * 1_000_001}
    assert admin.post("/api/vault/artifacts", json=too_big).status_code == 422
    assert_problem(admin.get("/api/vault/manifests/no-such-run"), 404)

    other = outsider(admin, anon)
    assert_problem(anon.get(f"/api/vault/artifacts/{first['id']}", headers=other), 404)
    assert_problem(anon.get(f"/api/vault/artifacts/{first['id']}/content", headers=other), 404)
    assert ok(anon.get("/api/vault/artifacts", headers=other))["total"] == 0
    assert ok(anon.get("/api/vault/history", headers=other)) == []
