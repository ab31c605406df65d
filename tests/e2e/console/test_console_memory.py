"""The Memory page in a real browser: what the agent wrote to its memory by itself shows in
the Changes feed, and Revert undoes it."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.api import ADMIN_PASSWORD, ok
from tests.support.runs import wait_for_run
from tests.support.server import RunningServer

from .conftest import screenshot
from .helpers import create_agent, log_in

FACT = "Prefers tea to coffee."


def _human_block(admin: httpx.Client, agent_id: str) -> dict[str, object]:
    blocks = ok(admin.get("/api/memory/blocks", params={"agent_id": agent_id}))
    (human,) = [b for b in blocks if b["label"] == "human"]
    return dict(human)


def test_a_fact_the_agent_kept_by_itself_is_reverted_from_the_changes_feed(
    page: Page, server: RunningServer, admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    agent_id = create_agent(admin, "keeper")
    llm.reply_tool_call("core_memory_append", {"label": "human", "text": FACT})
    llm.reply_text("Noted.")
    run = ok(admin.post("/api/runs", json={"agent_id": agent_id, "input": "I prefer tea."}), 201)
    assert wait_for_run(admin, run["id"])["status"] == "completed"
    assert _human_block(admin, agent_id)["value"] == FACT

    log_in(page, server.url, "admin", ADMIN_PASSWORD, "/agents")
    page.get_by_role("row").filter(has_text="keeper").get_by_role("link", name="Memory").click()
    expect(page.get_by_role("heading", name="Memory: keeper")).to_be_visible()
    change = page.get_by_test_id("memory-change").filter(has_text=FACT)
    expect(change).to_contain_text("by the agent")
    expect(change).to_contain_text("core block: human")
    screenshot(page, "memory-changes")

    change.get_by_role("button", name="Revert").click()
    expect(page.get_by_text("Change reverted")).to_be_visible()
    assert _human_block(admin, agent_id)["value"] == ""

    page.get_by_role("tab", name="Core blocks").click()
    human = page.get_by_test_id("memory-block").filter(has_text="human")
    expect(human).to_contain_text("0 of 2000 characters")
    expect(human).not_to_contain_text(FACT)
