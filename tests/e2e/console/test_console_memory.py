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
HANDBOOK = b"The quarterly offsite is held in Lisbon every spring.\n"


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


def test_uploaded_document_is_searched_with_scores_and_retired(
    page: Page, server: RunningServer, admin: httpx.Client
) -> None:
    agent_id = create_agent(admin, "librarian")
    log_in(page, server.url, "admin", ADMIN_PASSWORD, f"/agents/{agent_id}/memory")
    page.get_by_role("tab", name="Knowledge base").click()
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Documents").click()
    chooser.value.set_files(
        files=[{"name": "handbook.txt", "mimeType": "text/plain", "buffer": HANDBOOK}]
    )
    page.get_by_role("button", name="Upload").click()
    job = page.get_by_test_id("memory-job")
    expect(job).to_contain_text("Completed")
    expect(job).to_contain_text("1 of 1 documents")

    page.get_by_role("tab", name="Items").click()
    page.get_by_role("textbox", name="Layer").click()
    page.get_by_role("option", name="Archival").click()
    item = page.get_by_test_id("memory-item").filter(has_text="quarterly offsite")
    expect(item).to_contain_text("handbook.txt")
    search = page.get_by_role("textbox", name="Search")
    search.fill("offsite")
    search.press("Enter")
    hit = page.get_by_test_id("memory-hit").filter(has_text="quarterly offsite")
    expect(hit).to_contain_text("score")
    screenshot(page, "memory-search")

    search.fill("")
    item.get_by_role("button", name="Retire").click()
    expect(page.get_by_test_id("memory-item").filter(has_text="quarterly offsite")).to_have_count(0)
    items = ok(admin.get("/api/memory/items", params={"agent_id": agent_id, "status": "retired"}))
    assert [i["source"] for i in items["items"]] == ["handbook.txt"]
