"""Teams and playbooks in a real browser: a team is assembled and runs with each member's
proposal and the lead's decision shown; a note goes on its blackboard; a playbook run shows its
stage timeline and artifacts, and its owner completes a stuck stage by hand."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from tests.fakes.openai_server import FakeOpenAIServer, Reply
from tests.support.api import ADMIN_PASSWORD, ok
from tests.support.playbooks import StageReply, play_stages, wait_for_playbook
from tests.support.server import RunningServer

from .conftest import screenshot
from .helpers import create_agent, log_in


def test_a_team_is_assembled_runs_and_keeps_notes(
    page: Page, server: RunningServer, admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    for name in ("planner", "coder"):
        create_agent(admin, name)
    ok(admin.post("/api/roles", json={"name": "developer", "capabilities": ["code"]}), 201)
    llm.default = Reply(text="Ship the login page on Friday.")

    log_in(page, server.url, "admin", ADMIN_PASSWORD, "/teams")
    expect(page.get_by_text("No teams yet.")).to_be_visible()  # the page has settled
    page.get_by_label("Name").fill("delivery")
    expect(page.get_by_role("button", name="Create team")).to_be_enabled()
    page.get_by_role("button", name="Create team").click()
    page.get_by_role("link", name="delivery").click()
    expect(page.get_by_role("heading", name="Team: delivery")).to_be_visible()

    for agent, lead in (("planner", True), ("coder", False)):
        page.get_by_role("textbox", name="Agent").click()
        page.get_by_role("option", name=agent).click()
        if not lead:
            page.get_by_role("textbox", name="Role", exact=True).click()
            page.get_by_role("option", name="developer").click()
        lead_box = page.get_by_role("checkbox", name="Lead")
        if lead != lead_box.is_checked():
            lead_box.click()
        page.get_by_role("button", name="Add member").click()
        expect(page.get_by_test_id("team-member").filter(has_text=agent)).to_be_visible()
    expect(page.get_by_text("Led by planner")).to_be_visible()
    expect(page.get_by_role("textbox", name="Role of coder")).to_have_value("developer")

    page.get_by_role("tab", name="Runs").click()
    page.get_by_label("Task for the team").fill("When do we ship the login page?")
    page.get_by_role("button", name="Start team run").click()
    proposal = page.get_by_test_id("team-proposal").filter(has_text="coder")
    expect(proposal).to_contain_text("developer")
    expect(proposal).to_contain_text("Ship the login page on Friday.")
    expect(page.get_by_test_id("team-decision")).to_contain_text("Decision by planner")
    screenshot(page, "team-run")

    page.get_by_role("tab", name="Blackboard").click()
    # The run's outcome is already there; a person adds a note beside it.
    expect(page.get_by_test_id("blackboard-entry").first).to_contain_text("written by a team run")
    page.get_by_label("Note for the team").fill("Release freeze starts Thursday.")
    page.get_by_role("button", name="Add note").click()
    note = page.get_by_test_id("blackboard-entry").filter(has_text="Release freeze")
    expect(note).to_contain_text("written by a person")
    search = page.get_by_label("Search the blackboard")
    search.fill("freeze")
    search.press("Enter")
    expect(page.get_by_test_id("blackboard-entry").first).to_contain_text("score")

    # A member's role changes in place; a user is let into the team without agent grants.
    ok(admin.post("/api/roles", json={"name": "tester"}), 201)
    user = {"username": "olga", "password": "password-123"}
    olga = ok(admin.post("/api/admin/users", json=user), 201)
    page.reload()
    page.get_by_role("textbox", name="Role of coder").click()
    page.get_by_role("option", name="tester").click()
    expect(page.get_by_role("textbox", name="Role of coder")).to_have_value("tester")
    page.get_by_role("tab", name="Grants").click()
    page.get_by_role("textbox", name="User").click()
    page.get_by_role("option", name="olga").click()
    page.get_by_role("button", name="Grant", exact=True).click()
    expect(page.get_by_test_id("team-grant")).to_contain_text("olga")
    grants = ok(admin.get(f"/api/groups/{_team_id(admin)}/grants"))
    assert [g["user_id"] for g in grants] == [olga["id"]]


def _team_id(admin: httpx.Client) -> str:
    (team,) = ok(admin.get("/api/groups"))["items"]
    return str(team["id"])


PLAYBOOK = """name: doc-review
stages:
  - {name: draft, agent: writer, delivers: [doc]}
  - {name: check, agent: writer, retries: 0, delivers: [review_report], review: {on_reject: draft}}
"""


def test_a_playbook_run_shows_stages_artifacts_and_a_takeover(
    page: Page, server: RunningServer, admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    create_agent(admin, "writer")
    # The draft stage delivers its document; the check stage never delivers its report, so it
    # runs out of retries and waits for its owner.
    deliver = (
        "deliver_artifact",
        {"kind": "doc", "key": "docs/guide.md", "value": "# Guide", "summary": "the guide"},
    )
    play_stages(
        llm, lambda stage, attempt: StageReply([deliver] if stage == "draft" else [], "done")
    )
    ok(admin.post("/api/playbooks", json={"yaml": PLAYBOOK}), 201)

    log_in(page, server.url, "admin", ADMIN_PASSWORD, "/playbooks")
    page.get_by_role("textbox", name="Playbook", exact=True).click()
    page.get_by_role("option", name="doc-review").click()
    page.get_by_label("Objective").fill("Write the user guide")
    page.get_by_role("button", name="Start run").click()
    expect(page).to_have_url(re.compile(r"/playbook-runs/[0-9a-f-]+$"))
    expect(page.get_by_role("heading", name="Playbook run", exact=True)).to_be_visible()
    run_id = page.url.rsplit("/", 1)[-1]
    wait_for_playbook(admin, run_id, {"waiting_owner"})

    stages = page.get_by_test_id("stage-execution")
    expect(stages.first).to_contain_text("completed")
    expect(page.get_by_test_id("artifact").filter(has_text="docs/guide.md@1")).to_contain_text(
        "the guide"
    )
    page.get_by_role("button", name="docs/guide.md@1").click()
    expect(page.get_by_text("# Guide")).to_be_visible()

    expect(page.get_by_role("heading", name="Take over stage “check”")).to_be_visible()
    page.get_by_label("Summary").fill("Checked by hand: fine.")
    page.get_by_label("Artifact kind").fill("review_report")
    page.get_by_label("Artifact key").fill("reviews/guide.md")
    page.get_by_label("Artifact content").fill("Looks good.")
    page.get_by_role("textbox", name="Review decision").click()
    page.get_by_role("option", name="Approve").click()
    page.get_by_role("button", name="Complete stage").click()
    expect(page.get_by_text("Stage completed by hand")).to_be_visible()
    assert wait_for_playbook(admin, run_id, {"completed"})["status"] == "completed"
    expect(page.get_by_test_id("artifact").filter(has_text="reviews/guide.md@1")).to_be_visible()
    expect(page.get_by_test_id("stage-execution").filter(has_text="taken over")).to_be_visible()
    screenshot(page, "playbook-run")
