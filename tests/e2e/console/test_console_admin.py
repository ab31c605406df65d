"""The agent, run-trace and admin pages in a real browser: edit agents, read a run's trace,
approve a tool call that waits for an admin, see a chat's tokens on the usage dashboard."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from nexora.security.verdict import Danger
from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.api import ADMIN_PASSWORD, ok
from tests.support.runs import counting_tool, wait_for_run
from tests.support.server import RunningServer

from .conftest import screenshot
from .helpers import create_agent, log_in


def test_agents_are_created_and_edited(page: Page, server: RunningServer) -> None:
    log_in(page, server.url, "admin", ADMIN_PASSWORD, "/agents")
    page.get_by_role("link", name="New agent").click()
    page.get_by_label("Name").fill("researcher")
    page.get_by_label("Persona").fill("You research things carefully.")
    page.get_by_role("textbox", name="Tools").click()
    page.get_by_role("option", name=re.compile(r"^read_file")).click()
    page.keyboard.press("Escape")
    screenshot(page, "agent-editor")
    page.get_by_role("button", name="New agent").click()
    expect(page).to_have_url(re.compile(r"/agents/[0-9a-f-]{36}$"))
    expect(page.get_by_role("heading", name="Agent: researcher")).to_be_visible()

    page.get_by_label("Description").fill("Finds sources")
    page.get_by_role("button", name="Save changes").click()
    # The creation's own "Saved" notice may still be showing: the row below proves this save.
    expect(page.get_by_text("Saved researcher").last).to_be_visible()
    page.get_by_role("link", name="All agents").click()
    row = page.get_by_role("row").filter(has_text="researcher")
    expect(row).to_contain_text("Finds sources")
    expect(row).to_contain_text("read_file")
    screenshot(page, "agents-admin")


def test_trace_of_a_finished_run_shows_its_tool_call(
    page: Page, server: RunningServer, admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    llm.reply_tool_call("add", {"a": 40, "b": 2})
    llm.reply_text("The answer is 42.")
    with counting_tool():
        agent_id = ok(admin.post("/api/agents", json={"name": "adder", "tools": ["add"]}), 201)[
            "id"
        ]
        run = ok(admin.post("/api/runs", json={"agent_id": agent_id, "input": "40+2?"}), 201)
        assert wait_for_run(admin, run["id"])["status"] == "completed"
    log_in(page, server.url, "admin", ADMIN_PASSWORD, "/runs")
    page.get_by_role("link", name="40+2?").click()
    expect(page).to_have_url(re.compile(rf"/runs/{run['id']}$"))
    call = page.get_by_test_id("trace-tool-call")
    expect(call).to_contain_text("add")
    expect(call).to_contain_text('"a": 40')
    expect(call.get_by_label("Output")).to_have_text("42")
    expect(page.get_by_test_id("trace-llm-call")).to_have_count(2)
    expect(page.get_by_text("The answer is 42.", exact=True)).to_be_visible()
    screenshot(page, "trace")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export JSON").click()
    assert download.value.suggested_filename == f"run-{run['id']}.json"


def test_admin_approves_a_tool_call_then_sees_the_tokens(
    page: Page, server: RunningServer, admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    llm.reply_tool_call("add", {"a": 1, "b": 2}, usage=(30, 5))
    llm.reply_text("3", usage=(40, 1))
    with counting_tool(danger=Danger.HIGH) as counter:
        agent_id = create_agent(admin, "careful")
        ok(admin.put(f"/api/agents/{agent_id}", json={"name": "careful", "tools": ["add"]}))
        run = ok(admin.post("/api/runs", json={"agent_id": agent_id, "input": "1+2"}), 201)
        log_in(page, server.url, "admin", ADMIN_PASSWORD, "/admin/approvals")
        card = page.get_by_test_id("approval-card").filter(has_text="add")
        expect(card).to_contain_text("Tool call")
        expect(card).to_contain_text("Requested by admin")
        expect(card).to_contain_text('"a": 1')
        screenshot(page, "admin-approvals")
        card.get_by_role("button", name="Approve").click()
        expect(page.get_by_text("Nothing here.")).to_be_visible()
        assert wait_for_run(admin, run["id"])["status"] == "completed"
    assert counter.calls == [{"a": 1, "b": 2}]

    page.get_by_role("tab", name="Token usage").click()
    expect(page.get_by_test_id("usage-Total tokens")).to_have_text("76")
    expect(page.get_by_role("row").filter(has_text="careful")).to_contain_text("76")
    screenshot(page, "admin-usage")
    for tab, name in [
        ("Users", "admin-users"),
        ("Agent grants", "admin-grants"),
        ("Audit log", "admin-audit"),
        ("Models", "admin-models"),
        ("Policies", "admin-policies"),
        ("Skills", "admin-skills"),
        ("MCP servers", "admin-mcp"),
    ]:
        page.get_by_role("tab", name=tab).click()
        expect(page.get_by_role("tab", name=tab)).to_have_attribute("aria-selected", "true")
        page.wait_for_load_state("networkidle")
        screenshot(page, name)
    page.get_by_role("tab", name="Audit log").click()
    expect(page.get_by_role("cell", name="tool.exec")).to_be_visible()
