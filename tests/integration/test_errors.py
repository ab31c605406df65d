"""Bad input gets a clear problem+json and loses nothing."""

from __future__ import annotations

import httpx

from tests.support.api import assert_problem, ok


def test_malformed_json_is_422(admin: httpx.Client) -> None:
    response = admin.post(
        "/api/agents", content=b'{"name": ', headers={"content-type": "application/json"}
    )
    assert_problem(response, 422, "malformed JSON")


def test_invalid_field_is_named(admin: httpx.Client) -> None:
    response = admin.post("/api/agents", json={"name": "ok", "model": "no-provider"})
    assert_problem(response, 422, "model")
    assert response.json()["errors"][0]["field"] == "model"
    assert_problem(admin.post("/api/agents", json={"persona": "x"}), 422, "name: field required")
    assert_problem(admin.post("/api/agents", json={"name": "x", "bogus": 1}), 422, "bogus")


def test_oversized_body_is_413_and_nothing_is_stored(admin: httpx.Client) -> None:
    big = {"name": "big", "persona": "x" * 2_000_000}
    assert_problem(admin.post("/api/agents", json=big), 413, "exceeds the limit")
    assert ok(admin.get("/api/agents")) == []


def test_oversized_chunked_body_is_413(admin: httpx.Client) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"name": "big", "persona": "'
        for _ in range(2100):
            yield b"x" * 1000
        yield b'"}'

    response = admin.post(
        "/api/agents", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_problem(response, 413)
