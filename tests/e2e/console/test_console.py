"""The console in a real browser: log in, chat with a streamed answer, reload mid-answer, stop,
grants, session expiry and the Chinese interface."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.fakes.openai_server import FakeOpenAIServer, Reply
from tests.support.api import ADMIN_PASSWORD, ok
from tests.support.server import RunningServer

from .conftest import screenshot
from .helpers import create_agent, log_in, send

WORDS = [f"word{i:02d} " for i in range(40)]
SLOW_TEXT = "".join(WORDS)


def _slow(pause: float) -> Reply:
    return Reply(text=SLOW_TEXT, chunks=tuple(WORDS), chunk_delay=pause)


def test_login_errors_then_chat_streams_markdown(
    page: Page, server: RunningServer, admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    create_agent(admin, "helper")
    page.goto(server.url + "/chat")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fchat$"))
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("invalid username or password")
    screenshot(page, "login")

    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/chat$"))

    llm.reply_text("Here is **bold** and code:\n\n```python\nprint('hi')\n```\n")
    send(page, "Say something")
    answer = page.get_by_test_id("live-answer")
    expect(answer.locator("strong")).to_have_text("bold")
    expect(answer.locator("pre code")).to_contain_text("print('hi')")
    expect(answer).to_have_attribute("data-status", "completed")
    expect(page).to_have_url(re.compile(r"/chat/[0-9a-f-]{36}$"))
    expect(page.get_by_test_id("message-user")).to_have_text("Say something")
    # The conversation is listed (the model also writes a title for it).
    conversations = page.get_by_role("navigation", name="Conversations")
    expect(conversations.get_by_role("link")).to_have_count(1)
    screenshot(page, "chat")

    page.get_by_role("link", name="Agents").click()
    expect(page.get_by_role("cell", name="helper")).to_be_visible()
    screenshot(page, "agents")
    page.get_by_role("link", name="Runs").click()
    expect(page.get_by_role("cell", name="Say something")).to_be_visible()
    screenshot(page, "runs")


def test_reload_mid_answer_continues_without_loss_or_repeats(
    page: Page, server: RunningServer, admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    create_agent(admin, "slow")
    llm.reply(_slow(0.08))
    log_in(page, server.url, "admin", ADMIN_PASSWORD, "/chat")
    send(page, "Count slowly")
    answer = page.get_by_test_id("live-answer")
    expect(answer).to_contain_text("word05")
    expect(page).to_have_url(re.compile(r"/chat/[0-9a-f-]{36}$"))
    assert "word39" not in answer.inner_text(), "the answer finished before the reload"

    page.reload()
    expect(page.get_by_test_id("live-answer")).to_have_attribute("data-status", "completed")
    text = page.get_by_test_id("live-answer").inner_text().strip()
    assert text == SLOW_TEXT.strip()
    # And the stored answer the server kept is the same text.
    session_id = page.url.rsplit("/", 1)[1]
    messages = ok(admin.get(f"/api/sessions/{session_id}/messages"))
    assert [m["content"] for m in messages] == ["Count slowly", SLOW_TEXT]


def test_stop_cancels_the_answer(
    page: Page, server: RunningServer, admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    create_agent(admin, "chatty")
    llm.reply(_slow(0.2))
    log_in(page, server.url, "admin", ADMIN_PASSWORD, "/chat")
    send(page, "Talk for a while")
    expect(page.get_by_test_id("live-answer")).to_contain_text("word01")
    page.get_by_role("button", name="Stop").click()
    answer = page.get_by_test_id("live-answer")
    expect(answer).to_have_attribute("data-status", "cancelled")
    expect(answer.get_by_text("Stopped")).to_be_visible()
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    runs = ok(admin.get("/api/runs"))["items"]
    assert [r["status"] for r in runs] == ["cancelled"]


def test_operator_sees_only_granted_agents(
    page: Page, server: RunningServer, admin: httpx.Client
) -> None:
    granted = create_agent(admin, "granted-agent")
    create_agent(admin, "secret-agent")
    user = ok(
        admin.post("/api/admin/users", json={"username": "op", "password": "password-1"}), 201
    )
    ok(admin.post("/api/admin/grants", json={"user_id": user["id"], "agent_id": granted}), 201)

    log_in(page, server.url, "op", "password-1", "/chat")
    page.get_by_role("textbox", name="Agent").click()
    options = page.get_by_role("option")
    expect(options).to_have_text(["granted-agent"])
    # No admin entry in the navigation for an operator.
    expect(page.get_by_role("link", name="Admin")).to_have_count(0)


def test_expired_session_returns_to_login_then_to_the_page(
    page: Page, server: RunningServer, admin: httpx.Client
) -> None:
    log_in(page, server.url, "admin", ADMIN_PASSWORD, "/runs")
    # Both tokens become unusable, as after a long absence.
    page.evaluate(
        """() => sessionStorage.setItem('nexora.tokens',
             JSON.stringify({access_token: 'expired', refresh_token: 'expired'}))"""
    )
    page.reload()
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fruns$"))
    expect(page.get_by_role("status")).to_contain_text("session has expired")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/runs$"))
    expect(page.get_by_role("heading", name="Runs")).to_be_visible()


def test_chinese_browser_gets_the_chinese_console(browser: Browser, server: RunningServer) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 720})
    try:
        page = context.new_page()
        page.goto(server.url + "/login")
        expect(page.get_by_role("heading", name="登录 Nexora")).to_be_visible()
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        page.get_by_label("用户名").fill("admin")
        page.get_by_label("密码").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("link", name="对话", exact=True)).to_be_visible()
        screenshot(page, "chat-zh-CN")
        # Switching the language is one choice away and sticks.
        page.get_by_role("textbox", name="语言").click()
        page.get_by_role("option", name="English").click()
        expect(page.get_by_role("link", name="Chat", exact=True)).to_be_visible()
    finally:
        context.close()
