from __future__ import annotations

import httpx

from tests.support.api import assert_problem, ok


def test_healthz_and_readyz(anon: httpx.Client) -> None:
    assert ok(anon.get("/healthz"))["status"] == "ok"
    assert ok(anon.get("/readyz"))["status"] == "ready"


def test_unknown_route_is_problem_json(anon: httpx.Client) -> None:
    assert_problem(anon.get("/api/nope"), 404, "no route")


def test_openapi_has_stable_operation_ids(anon: httpx.Client) -> None:
    spec = ok(anon.get("/openapi.json"))
    operation_ids = [op["operationId"] for path in spec["paths"].values() for op in path.values()]
    assert "login" in operation_ids and "createAgent" in operation_ids
    assert len(operation_ids) == len(set(operation_ids))
