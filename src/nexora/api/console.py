"""Serves the built web console at `/`, with client-side routing.

The console is a static single-page app: it holds no data, so its files are public, and it is
mounted beside the API rather than declared as routes (the route policy table covers the API).
Paths the API owns never fall back to the page, so a wrong API URL still gets a problem+json 404.
"""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

CONSOLE_DIST = Path(__file__).resolve().parent.parent / "console_dist"

# Prefixes that belong to the server; an unknown path under them is a 404, not the console.
SERVER_PREFIXES = ("/api", "/v1", "/docs", "/redoc", "/openapi.json", "/healthz", "/readyz")

# Vite names everything under assets/ by content hash, so a cached copy can never go stale.
IMMUTABLE = "public, max-age=31536000, immutable"
# The page itself names the current assets and must be revalidated on every load.
REVALIDATE = "no-cache"


def _owned_by_server(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in SERVER_PREFIXES)


class ConsoleFiles(StaticFiles):
    """Static files with an SPA fallback to index.html and cache headers that fit Vite's output."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory=directory, check_dir=False)
        self.index = directory / "index.html"

    async def get_response(self, path: str, scope: Scope) -> Response:
        request_path: str = scope["path"]
        if _owned_by_server(request_path):
            raise HTTPException(status_code=404)
        try:
            response = await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404 or path.startswith("assets/"):
                raise
            response = self._page(scope)
        else:
            if response.status_code == 404:
                response = self._page(scope)
        if path.startswith("assets/") and response.status_code in (200, 304):
            response.headers["Cache-Control"] = IMMUTABLE
        elif "Cache-Control" not in response.headers or response.media_type == "text/html":
            response.headers["Cache-Control"] = REVALIDATE
        return response

    def _page(self, scope: Scope) -> Response:
        if scope["method"] not in ("GET", "HEAD"):
            raise HTTPException(status_code=405)
        return FileResponse(
            self.index, media_type="text/html", headers={"Cache-Control": REVALIDATE}
        )


def console_files(directory: Path | None = None) -> ConsoleFiles | None:
    """The console's files when a build is present; None when there is none (a source checkout
    that never ran the build), in which case the API is served alone."""
    directory = directory or CONSOLE_DIST
    if not (directory / "index.html").is_file():
        return None
    return ConsoleFiles(directory)
