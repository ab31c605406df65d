"""Steps several console tests share."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from tests.support.api import ok


def log_in(page: Page, base_url: str, username: str, password: str, path: str = "/") -> None:
    page.goto(base_url + path)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def create_agent(admin: httpx.Client, name: str) -> str:
    agent_id: str = ok(admin.post("/api/agents", json={"name": name}), 201)["id"]
    return agent_id


def send(page: Page, message: str) -> None:
    box = page.get_by_role("textbox", name="Message")
    box.fill(message)
    box.press("Enter")
