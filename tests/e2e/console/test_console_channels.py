"""Channels and schedules in a real browser: an admin connects a webhook channel from the
console, a signed message to its inbound URL is answered, the health panel shows it, and a
pairing code is shown; a task is scheduled, run at once and switched off."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from nexora.config import Settings
from tests.fakes.openai_server import FakeOpenAIServer
from tests.fakes.web_site import LoopbackSite, Reply
from tests.support.api import ADMIN_PASSWORD
from tests.support.channels import SECRET, signed_post, wait_for
from tests.support.server import RunningServer

from .conftest import screenshot
from .helpers import create_agent, log_in


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"web_allowed_hosts": ["127.0.0.1"]})


def test_a_channel_is_connected_answers_and_pairs(
    page: Page, server: RunningServer, admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    create_agent(admin, "helpdesk")
    llm.reply_text("Your VPN profile is renewed.")
    with LoopbackSite() as site:
        site.route("/hook", Reply.json({"ok": True}))
        log_in(page, server.url, "admin", ADMIN_PASSWORD, "/channels")
        expect(page.get_by_text("No channels yet.")).to_be_visible()
        page.get_by_role("textbox", name="Platform").click()
        page.get_by_role("option", name="webhook", exact=True).click()
        page.get_by_role("textbox", name="Name").fill("helpdesk-hook")
        page.get_by_role("textbox", name="Agent").click()
        page.get_by_role("option", name="helpdesk").click()
        page.get_by_label("secret").fill(SECRET)
        page.get_by_label("callback_url").fill(site.url("/hook"))
        page.get_by_role("button", name="Connect channel").click()

        expect(page.get_by_role("heading", name="Channel: helpdesk-hook")).to_be_visible()
        inbound_url = page.get_by_test_id("inbound-url").inner_text()
        expect(page.get_by_test_id("channel-connected")).to_have_text(
            "Receives webhooks (no connection to hold)"
        )

        page.get_by_role("textbox", name="Platform user id").fill("u-7")
        page.get_by_role("textbox", name="Nexora user").click()
        page.get_by_role("option", name="admin").click()
        page.get_by_role("button", name="Link", exact=True).click()
        expect(page.get_by_role("cell", name="u-7")).to_be_visible()

        message = {"message_id": "m-1", "user_id": "u-7", "text": "Renew my VPN profile"}
        assert signed_post(inbound_url, message).status_code == 200
        replies = wait_for(lambda: [s for s in site.requests if s.path == "/hook"] or None)
        assert replies[0].json()["text"] == "Your VPN profile is renewed."
        expect(page.get_by_test_id("channel-backlog")).to_have_text(
            "Waiting: 0 in, 0 out; 0 undeliverable"
        )
        expect(page.get_by_text("Last message: —")).to_have_count(0)

        page.get_by_role("button", name="Link my chat account").click()
        expect(page.get_by_test_id("pairing-code")).to_contain_text("Send `pair ")
        screenshot(page, "channel")


def test_a_task_is_scheduled_and_run_from_the_console(
    page: Page, server: RunningServer, admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    create_agent(admin, "reporter")
    llm.reply_text("Three incidents closed this week.")
    log_in(page, server.url, "admin", ADMIN_PASSWORD, "/cron")
    expect(page.get_by_text("Nothing is scheduled yet.")).to_be_visible()
    page.get_by_role("textbox", name="Name").fill("Weekly incidents")
    page.get_by_role("textbox", name="Agent").click()
    page.get_by_role("option", name="reporter").click()
    page.get_by_role("textbox", name="Schedule", exact=True).fill("0 17 * * 5")
    page.get_by_role("textbox", name="Time zone").fill("Europe/Berlin")
    page.get_by_role("textbox", name="Task").fill("Summarise this week's incidents.")
    page.get_by_role("button", name="Schedule", exact=True).click()
    row = page.get_by_test_id("cron-job").filter(has_text="Weekly incidents")
    expect(row).to_contain_text("0 17 * * 5 (Europe/Berlin)")
    row.get_by_role("button", name="Run now").click()
    expect(page.get_by_text("Started; the result follows")).to_be_visible()
    jobs = wait_for(lambda: admin.get("/api/cron").json() or None)
    firings = wait_for(
        lambda: (
            [
                f
                for f in admin.get(f"/api/cron/{jobs[0]['id']}/firings").json()
                if f["status"] == "completed"
            ]
            or None
        )
    )
    assert firings[0]["output"] == "Three incidents closed this week."
    page.get_by_role("switch", name="Weekly incidents on").click(force=True)
    expect(page.get_by_role("switch", name="Weekly incidents on")).not_to_be_checked()
    screenshot(page, "cron")
