from __future__ import annotations

import httpx
import jwt

from tests.support.api import ADMIN_PASSWORD, assert_problem, auth, login, ok
from tests.support.server import RunningServer


def test_login_returns_short_lived_bearer_token(anon: httpx.Client) -> None:
    body = ok(anon.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}))
    assert body["token_type"] == "bearer"
    assert 60 <= body["expires_in"] <= 3600
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == body["expires_in"]
    me = ok(anon.get("/api/auth/me", headers=auth(body["access_token"])))
    assert me["username"] == "admin" and me["role"] == "admin"


def test_wrong_password_and_unknown_user_look_the_same(anon: httpx.Client) -> None:
    wrong = anon.post("/api/auth/login", json={"username": "admin", "password": "nope-nope"})
    unknown = anon.post("/api/auth/login", json={"username": "ghost", "password": "nope-nope"})
    assert_problem(wrong, 401, "invalid username or password")
    assert_problem(unknown, 401, "invalid username or password")


def test_no_token_is_401_and_there_is_no_default_actor(anon: httpx.Client) -> None:
    assert_problem(anon.get("/api/auth/me"), 401, "authentication required")
    assert_problem(anon.get("/api/agents"), 401)
    assert_problem(anon.get("/api/agents", headers=auth("garbage")), 401, "invalid access token")


def test_logout_revokes_the_token(anon: httpx.Client) -> None:
    token = login(anon, "admin", ADMIN_PASSWORD)
    ok(anon.get("/api/auth/me", headers=auth(token)))
    assert anon.post("/api/auth/logout", headers=auth(token)).status_code == 204
    assert_problem(anon.get("/api/auth/me", headers=auth(token)), 401, "session has ended")


def test_refresh_rotates_and_each_refresh_token_works_once(anon: httpx.Client) -> None:
    body = ok(anon.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}))
    first = ok(anon.post("/api/auth/refresh", json={"refresh_token": body["refresh_token"]}))
    ok(anon.get("/api/auth/me", headers=auth(first["access_token"])))
    reused = anon.post("/api/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert_problem(reused, 401, "refresh token")


def test_expired_token_is_refused(server: RunningServer, anon: httpx.Client) -> None:
    from datetime import UTC, datetime, timedelta

    from nexora.auth.tokens import AccessClaims

    me = ok(anon.get("/api/auth/me", headers=auth(login(anon, "admin", ADMIN_PASSWORD))))
    issuer = server.platform.auth.issuer
    # A token issued long ago by the real issuer, bound to a real user and org.
    old = issuer.issue(
        AccessClaims(me["user_id"], me["org_id"], "any"),
        now=datetime.now(UTC) - timedelta(hours=2),
    )
    assert_problem(anon.get("/api/auth/me", headers=auth(old)), 401, "expired")


def test_repeated_failures_are_throttled_with_retry_after(anon: httpx.Client) -> None:
    for _ in range(5):
        anon.post("/api/auth/login", json={"username": "admin", "password": "wrong-pass"})
    throttled = anon.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert_problem(throttled, 429, "too many failed logins")
    assert int(throttled.headers["Retry-After"]) > 0


def test_api_key_is_shown_once_works_and_can_be_revoked(admin: httpx.Client) -> None:
    created = ok(admin.post("/api/api-keys", json={"name": "ci"}), 201)
    key = created["key"]
    assert key.startswith("nxk_")
    listed = ok(admin.get("/api/api-keys"))
    assert [k["id"] for k in listed] == [created["id"]]
    assert "key" not in listed[0] and key not in str(listed)
    with httpx.Client(base_url=str(admin.base_url), headers=auth(key)) as by_key:
        assert ok(by_key.get("/api/auth/me"))["auth"] == "api_key"
        assert admin.delete(f"/api/api-keys/{created['id']}").status_code == 204
        assert_problem(by_key.get("/api/auth/me"), 401, "invalid API key")


def test_api_key_stored_hashed(server: RunningServer, admin: httpx.Client) -> None:
    import asyncio

    from sqlalchemy import select

    from nexora.storage.models import ApiKey

    key = ok(admin.post("/api/api-keys", json={"name": "x"}), 201)["key"]

    async def stored() -> list[str]:
        from nexora.storage.db import Database

        db = Database(server.platform.settings.database_url)
        try:
            async with db.session() as session:
                return list(await session.scalars(select(ApiKey.key_hash)))
        finally:
            await db.dispose()

    hashes = asyncio.run(stored())
    assert len(hashes) == 1 and key not in hashes[0] and len(hashes[0]) == 64


def test_password_change_then_login(admin: httpx.Client, anon: httpx.Client) -> None:
    assert admin.put("/api/auth/password", json={"password": "short"}).status_code == 422
    assert admin.put("/api/auth/password", json={"password": "a-new-password"}).status_code == 204
    login(anon, "admin", "a-new-password")
