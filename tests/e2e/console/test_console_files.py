"""Files in the chat, in a real browser: a file attached to an agent with file tools lands in
its workspace and is named to the model, and the tool steps of a past answer show again
when the conversation is opened later."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.api import ADMIN_PASSWORD, ok
from tests.support.server import RunningServer

from .conftest import screenshot
from .helpers import create_agent, log_in, send

NOTES = b"Meeting moved to Thursday.\n"


def test_attached_file_reaches_the_workspace_and_the_model(
    page: Page, server: RunningServer, admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    agent = ok(admin.post("/api/agents", json={"name": "reader", "tools": ["read_file"]}), 201)
    log_in(page, server.url, "admin", ADMIN_PASSWORD, "/chat")

    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Attach files").click()
    chooser.value.set_files(
        files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": NOTES}]
    )
    expect(page.get_by_test_id("attachments")).to_contain_text("uploads/notes.txt")
    assert (Path(agent["workspace"]) / "uploads" / "notes.txt").read_bytes() == NOTES

    llm.reply_tool_call("read_file", {"path": "uploads/notes.txt"}, call_id="call-notes")
    llm.reply_text("The meeting moved to Thursday.")
    send(page, "What do my notes say?")
    answer = page.get_by_test_id("live-answer")
    expect(answer).to_have_attribute("data-status", "completed")
    expect(answer.get_by_test_id("tool-step")).to_have_attribute("data-state", "result")
    expect(page.get_by_test_id("message-user")).to_contain_text("Attached: uploads/notes.txt")
    expect(page.get_by_test_id("attachments")).to_have_count(0)
    first = json.dumps(llm.chat_requests[0].json["messages"])
    assert "What do my notes say?" in first and "Attached: uploads/notes.txt" in first
    # The tool really read the uploaded file, and the model got its content back.
    assert "Meeting moved to Thursday." in json.dumps(llm.chat_requests[1].json["messages"])
    screenshot(page, "chat-attachment")

    # Opened again, the past answer shows its tool step above the stored text.
    page.reload()
    past = page.get_by_test_id("message-assistant")
    expect(past).to_contain_text("The meeting moved to Thursday.")
    expect(past.get_by_test_id("tool-step")).to_have_attribute("data-state", "result")
    expect(past.get_by_test_id("tool-step")).to_contain_text("read_file")
    screenshot(page, "chat-past-tool-steps")


def test_no_attach_button_for_agents_without_file_tools(
    page: Page, server: RunningServer, admin: httpx.Client
) -> None:
    create_agent(admin, "talker")
    log_in(page, server.url, "admin", ADMIN_PASSWORD, "/chat")
    expect(page.get_by_role("textbox", name="Message")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Attach"))).to_have_count(0)
