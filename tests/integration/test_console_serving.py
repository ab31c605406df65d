"""The web console is served at `/` beside the API: SPA fallback, cache headers, and API paths
that never fall back to the page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from nexora.config import Settings
from tests.support.server import RunningServer, run_server

PAGE = "<!doctype html><title>console</title><script src='/assets/app-abc123.js'></script>"


@pytest.fixture
def console_server(settings: Settings, tmp_path: Path) -> Iterator[RunningServer]:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(PAGE)
    (dist / "assets" / "app-abc123.js").write_text("console.log(1)")
    (dist / "favicon.svg").write_text("<svg/>")
    with run_server(settings.model_copy(update={"console_dir": dist})) as running:
        yield running


def test_page_and_client_side_routes_serve_index(console_server: RunningServer) -> None:
    with console_server.client() as client:
        for path in ("/", "/chat", "/chat/some-session", "/admin/users?x=1"):
            response = client.get(path)
            assert response.status_code == 200, path
            assert response.text == PAGE
            assert response.headers["content-type"].startswith("text/html")
            assert response.headers["cache-control"] == "no-cache"


def test_hashed_assets_are_cached_for_good(console_server: RunningServer) -> None:
    with console_server.client() as client:
        asset = client.get("/assets/app-abc123.js")
        assert asset.status_code == 200
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        # A missing asset is a 404, never the page (the browser would run HTML as a script).
        assert client.get("/assets/gone-000.js").status_code == 404
        icon = client.get("/favicon.svg")
        assert icon.status_code == 200
        assert icon.headers["cache-control"] == "no-cache"


def test_api_paths_never_fall_back_to_the_page(console_server: RunningServer) -> None:
    with console_server.client() as client:
        for method, path in (
            ("GET", "/api/nothing-here"),
            ("POST", "/api/nothing-here"),
            ("GET", "/v1/nothing"),
            ("GET", "/docs/x"),
        ):
            response = client.request(method, path)
            assert response.status_code == 404, path
            assert response.headers["content-type"] == "application/problem+json", path
        # The API itself is untouched: health, and auth still required on its routes.
        assert client.get("/healthz").status_code == 200
        assert client.get("/api/agents").status_code == 401
        assert client.get("/docs").status_code == 200
        assert client.post("/chat").status_code == 405


def test_without_a_build_only_the_api_is_served(settings: Settings, tmp_path: Path) -> None:
    with run_server(settings.model_copy(update={"console_dir": tmp_path / "none"})) as running:
        assert httpx.get(f"{running.url}/chat").status_code == 404
        assert httpx.get(f"{running.url}/healthz").status_code == 200
