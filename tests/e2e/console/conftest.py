"""Browser tests of the web console: a real server (with the built console and a fake model on
loopback) driven by Debian's Chromium through Playwright.

Without Chromium or a console build they skip locally with the reason, and fail in CI
(`CI=true`), where `make test` installs the one and builds the other first.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from nexora.api.console import CONSOLE_DIST

SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "screenshots"

# Headless and offline: no GPU, no sandbox (tests may run as root), and none of the background
# traffic that hangs Chromium where the network is closed.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


def _chromium() -> str | None:
    configured = os.environ.get("NEXORA_TEST_CHROMIUM")
    return configured or shutil.which("chromium") or shutil.which("chromium-browser")


# Per module, not per session: Playwright's sync API keeps an event loop running in the main
# thread while it is open, and every later test that starts its own loop would fail.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = _chromium()
    if executable is None:
        _missing("Chromium is not installed: run `make browser` (apt-get install chromium)")
    if not (CONSOLE_DIST / "index.html").is_file():
        _missing("the console is not built: run `make console`")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """The browser drives the same API the integration tests cover on both databases; here
    one is enough, and each browser test costs seconds."""
    return f"sqlite+aiosqlite:///{tmp_path / 'nexora.db'}"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 800})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def screenshot(page: Page, name: str) -> None:
    """Saves what the page shows, as a test artifact (test-artifacts/ is not committed)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
