"""No lost and no doubled replies: a reply computed by a worker that is then killed is sent
once by the next worker; a message delivered many times at once is answered once."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.config import Settings
from nexora.storage.models import ChannelOutbox
from tests.fakes.openai_server import FakeOpenAIServer
from tests.fakes.web_site import LoopbackSite, Reply, Seen
from tests.support.api import login
from tests.support.channels import (
    SECRET,
    agent_turns,
    create_channel,
    make_agent,
    map_user,
    signed_post,
    wait_for,
)
from tests.support.db import query
from tests.support.server import RunningServer, run_server
from tests.support.workers import start_worker, wait_until


@pytest.fixture
def api_only(settings: Settings) -> Iterator[RunningServer]:
    """The API without in-process workers: worker processes run turns and send replies."""
    with run_server(settings.model_copy(update={"worker_concurrency": 0})) as running:
        yield running


class FlakyReceiver:
    """A callback endpoint that is down (503) until told otherwise."""

    def __init__(self, site: LoopbackSite) -> None:
        self.site = site
        self.down = True
        site.route("/hook", self._answer)

    def _answer(self, _seen: Seen) -> Reply:
        return Reply(status=503) if self.down else Reply.json({"ok": True})

    def attempts(self) -> list[Seen]:
        return [seen for seen in self.site.requests if seen.path == "/hook"]


async def _outbox(session: AsyncSession) -> list[tuple[str, int]]:
    rows = await session.scalars(select(ChannelOutbox))
    return [(row.status, row.attempts) for row in rows]


@pytest.mark.slow
def test_a_reply_computed_before_a_crash_is_sent_once_after_restart(
    api_only: RunningServer, settings: Settings, llm: FakeOpenAIServer, tmp_path: Path
) -> None:
    env = {"NEXORA_CHANNEL_OUTBOX_SECONDS": "0.2", "NEXORA_CHANNEL_RECONCILE_SECONDS": "0.3"}
    log = tmp_path / "tools.log"
    llm.reply_text("The nightly backup finished at 02:14.")
    with httpx.Client(base_url=api_only.url) as anon:
        token = login(anon, "admin", "admin-password-1")
    with LoopbackSite() as site, api_only.client(token) as admin:
        receiver = FlakyReceiver(site)
        config = {"secret": SECRET, "callback_url": site.url("/hook")}
        channel = create_channel(admin, "webhook", config, make_agent(admin))
        map_user(admin, channel["id"], "ops-1")
        message = {"message_id": "m-1", "user_id": "ops-1", "text": "Did the backup finish?"}
        assert signed_post(channel["inbound_url"], message).status_code == 200

        first = start_worker(settings, log, env)
        try:
            # The answer exists and its delivery has been tried: then the worker dies.
            wait_until(
                lambda: query(settings.database_url, _outbox) == [("pending", 1)],
                30,
                "a failed delivery attempt",
            )
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
        finally:
            if first.poll() is None:
                os.killpg(first.pid, signal.SIGKILL)
        assert len(receiver.attempts()) == 1

        receiver.down = False
        second = start_worker(settings, log, env)
        try:
            wait_until(
                lambda: query(settings.database_url, _outbox) == [("sent", 2)], 30, "the delivery"
            )
            time.sleep(1.0)  # time enough for a second delivery, were there one
        finally:
            os.killpg(second.pid, signal.SIGTERM)
            second.wait(timeout=30)
    delivered = [seen for seen in receiver.attempts() if seen.json()["text"]]
    assert [seen.json()["reply_to"] for seen in delivered].count("m-1") == len(delivered)
    accepted = delivered[len(delivered) - 1]
    assert accepted.json()["text"] == "The nightly backup finished at 02:14."
    # Every attempt carried the same idempotency key, and only the last one was accepted.
    assert len({seen.headers["idempotency-key"] for seen in delivered}) == 1
    assert len(agent_turns(llm)) == 1  # the answer was not computed again


def test_the_same_message_delivered_many_times_at_once_is_answered_once(
    server: RunningServer, admin: httpx.Client, llm: FakeOpenAIServer
) -> None:
    llm.reply_text("Once.")
    with LoopbackSite() as site:
        site.route("/hook", Reply.json({"ok": True}))
        config = {"secret": SECRET, "callback_url": site.url("/hook")}
        channel = create_channel(admin, "webhook", config, make_agent(admin))
        map_user(admin, channel["id"], "u-1")
        message = {"message_id": "m-1", "user_id": "u-1", "text": "Say it once"}
        with ThreadPoolExecutor(max_workers=6) as pool:
            answers = list(
                pool.map(lambda _: signed_post(channel["inbound_url"], message), range(6))
            )
        assert {a.status_code for a in answers} == {200}
        wait_for(lambda: [s for s in site.requests if s.path == "/hook"] or None, what="the reply")
        time.sleep(1.0)
        assert len([s for s in site.requests if s.path == "/hook"]) == 1
    assert len(agent_turns(llm)) == 1
