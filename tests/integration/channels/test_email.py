"""Email against fake IMAP and SMTP servers speaking the real protocols: new mail and replies
become messages in the right thread without their quoted history, machine mail and the bot's
own mail are left alone, answers carry the threading headers, SMTP refusals are classified,
a dropped IMAP session ends `listen`, and mail once read is not fetched again."""

from __future__ import annotations

import asyncio
import imaplib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from nexora.channels.base import DeliveryFailed, Inbound, Outbound, RateLimited
from nexora.channels.platforms.email import EmailAdapter, EmailConfig
from nexora.channels.platforms.email_smtp import SmtpTemporaryError
from nexora.channels.platforms.email_text import without_quotes
from tests.fakes.mail_servers import FakeImap, FakeSmtp
from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.channels import create_channel, make_agent, map_user, wait_for

BOT = "helper@nexora.example"
PASSWORD = "mailbox-password"


@pytest.fixture
def imap() -> Iterator[FakeImap]:
    with FakeImap(BOT, PASSWORD) as fake:
        yield fake


@pytest.fixture
def smtp() -> Iterator[FakeSmtp]:
    with FakeSmtp(BOT, PASSWORD) as fake:
        yield fake


def _config(imap: FakeImap, smtp: FakeSmtp, **extra: Any) -> dict[str, Any]:
    return {
        "address": BOT,
        "imap_host": "127.0.0.1",
        "imap_port": imap.port,
        "imap_tls": "none",
        "imap_password": PASSWORD,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port,
        "smtp_tls": "none",
        "poll_seconds": 1,
        **extra,
    }


@pytest.fixture
async def adapter(imap: FakeImap, smtp: FakeSmtp) -> AsyncIterator[EmailAdapter]:
    async with httpx.AsyncClient() as http:
        yield EmailAdapter(EmailConfig.model_validate(_config(imap, smtp)), http)


def mail(
    message_id: str | None,
    body: str,
    *,
    sender: str = "Ada Lovelace <Ada@Example.com>",
    subject: str = "Build broken",
    headers: dict[str, str] | None = None,
    content_type: str = "text/plain",
) -> str:
    lines = [f"From: {sender}", f"To: {BOT}", f"Subject: {subject}"]
    lines += [f"Message-ID: {message_id}"] if message_id else []
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    lines += ["MIME-Version: 1.0", f"Content-Type: {content_type}; charset=utf-8", "", body]
    return "\r\n".join(lines) + "\r\n"


class Listening:
    """`adapter.listen` running in a task, collecting what reaches the sink."""

    def __init__(self, adapter: EmailAdapter) -> None:
        self.got: list[Inbound] = []
        self.up = asyncio.Event()

        async def sink(message: Inbound) -> None:
            self.got.append(message)

        self.task = asyncio.create_task(adapter.listen(sink, self.up.set))

    async def until(self, done: Callable[[], bool], seconds: float = 10) -> None:
        async with asyncio.timeout(seconds):
            while not done():
                if self.task.done():
                    self.task.result()  # raises what ended it
                    raise AssertionError("listen returned")
                await asyncio.sleep(0.02)

    async def stop(self) -> None:
        self.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await self.task


async def test_a_new_mail_starts_a_thread_and_is_marked_seen(
    adapter: EmailAdapter, imap: FakeImap
) -> None:
    uid = imap.deliver(mail("<root-1@example.com>", "The nightly build fails on step 3."))
    listening = Listening(adapter)
    await listening.until(lambda: bool(listening.got))
    await listening.until(lambda: "\\Seen" in imap.flags_of(uid))
    await listening.stop()
    (got,) = listening.got
    assert listening.up.is_set()
    assert got.message_id == "<root-1@example.com>"
    assert got.sender_id == got.conversation_id == "ada@example.com"
    assert got.sender_name == "Ada Lovelace"
    assert got.thread_id == "<root-1@example.com>"
    assert got.text == "Build broken\n\nThe nightly build fails on step 3."
    assert dict(got.reply_context) == {
        "subject": "Build broken",
        "references": "",
        "message_id": "<root-1@example.com>",
    }


async def test_a_reply_to_a_reply_keeps_the_thread_root_without_the_quoted_history(
    adapter: EmailAdapter, imap: FakeImap
) -> None:
    body = (
        "Still failing after the fix.\n"
        "\n"
        "On Mon, 3 Mar 2025 at 10:00, Nexora Helper <helper@nexora.example>\n"
        "wrote:\n"
        "> Try clearing the cache.\n"
        ">> The nightly build fails.\n"
    )
    headers = {
        "In-Reply-To": "<answer-1@nexora.example>",
        "References": "<root-1@example.com> <answer-1@nexora.example>",
    }
    imap.deliver(mail("<reply-2@example.com>", body, subject="Re: Build broken", headers=headers))
    inline = "> Did you clear the cache?\nYes, twice.\n> Which runner?\nThe arm64 one."
    imap.deliver(
        mail("<reply-3@example.com>", inline, headers={"In-Reply-To": "<answer-2@x.example>"})
    )
    listening = Listening(adapter)
    await listening.until(lambda: len(listening.got) == 2)
    await listening.stop()
    second, third = listening.got
    assert second.thread_id == "<root-1@example.com>"
    assert second.text == "Still failing after the fix."  # no subject: the thread has one
    assert second.reply_context["references"] == headers["References"]
    assert third.thread_id == "<answer-2@x.example>"
    assert third.text == "Yes, twice.\nThe arm64 one."
    assert third.reply_context["references"] == "<answer-2@x.example>"


async def test_html_mail_is_read_as_text(adapter: EmailAdapter, imap: FakeImap) -> None:
    html = (
        "<html><head><style>p{color:red}</style></head><body><p>Deploy &amp; tag</p>"
        "<div>v1.2</div><blockquote>old &gt; history</blockquote></body></html>"
    )
    imap.deliver(mail(None, html, subject="Release", content_type="text/html"))
    listening = Listening(adapter)
    await listening.until(lambda: bool(listening.got))
    await listening.stop()
    (got,) = listening.got
    assert got.text == "Release\n\nDeploy & tag\n\nv1.2"
    # No Message-ID: the mailbox's own UID names it, unique with its UIDVALIDITY.
    assert got.message_id == got.thread_id == f"{imap.uidvalidity}:1"
    assert "message_id" not in got.reply_context


async def test_machine_mail_own_mail_and_strangers_are_not_answered(
    imap: FakeImap, smtp: FakeSmtp
) -> None:
    ignored = [
        imap.deliver(
            mail("<ooo@example.com>", "Out of office", headers={"Auto-Submitted": "auto-replied"})
        ),
        imap.deliver(mail("<news@example.com>", "Newsletter", headers={"Precedence": "bulk"})),
        imap.deliver(mail("<own@nexora.example>", "An answer", sender=f"Helper <{BOT.upper()}>")),
        imap.deliver(mail("<spam@other.example>", "Buy now", sender="x@other.example")),
    ]
    imap.deliver(mail("<human@example.com>", "A person", headers={"Auto-Submitted": "no"}))
    imap.deliver(mail("<colleague@example.com>", "Hi", sender="bob@corp.example"))
    config = _config(imap, smtp, allowed_senders=["ada@example.com", "@corp.example"])
    async with httpx.AsyncClient() as http:
        listening = Listening(EmailAdapter(EmailConfig.model_validate(config), http))
        await listening.until(lambda: len(listening.got) == 2)
        await listening.until(lambda: all("\\Seen" in imap.flags_of(uid) for uid in ignored))
        await listening.stop()
    assert [m.message_id for m in listening.got] == [
        "<human@example.com>",
        "<colleague@example.com>",
    ]


async def test_an_answer_is_threaded_under_the_mail_it_answers(
    adapter: EmailAdapter, smtp: FakeSmtp
) -> None:
    context = {
        "subject": "Re: Build broken",
        "message_id": "<reply-2@example.com>",
        "references": "<root-1@example.com> <answer-1@nexora.example>",
    }
    outbound = Outbound(
        conversation_id="ada@example.com",
        text="Clear the arm64 runner's cache.",
        thread_id="<root-1@example.com>",
        reply_to="<reply-2@example.com>",
        reply_context=context,
    )
    sent = await adapter.send(outbound)
    (received,) = smtp.messages()
    message = received.message
    assert received.login == BOT
    assert received.mail_from == BOT and received.rcpt_tos == ["ada@example.com"]
    assert message["From"] == BOT and message["To"] == "ada@example.com"
    assert message["Subject"] == "Re: Build broken"  # not "Re: Re: ..."
    assert message["In-Reply-To"] == "<reply-2@example.com>"
    # A long References header is folded; the ids in order are what counts.
    assert message["References"].split() == [
        "<root-1@example.com>",
        "<answer-1@nexora.example>",
        "<reply-2@example.com>",
    ]
    assert message["Auto-Submitted"] == "auto-replied"
    assert sent == message["Message-ID"] and sent and sent.endswith("@nexora.example>")
    assert message.get_content().strip() == "Clear the arm64 runner's cache."

    await adapter.send(
        Outbound(conversation_id="ada@example.com", text="Hi", reply_context={"subject": "Q"})
    )
    assert smtp.messages()[1].message["Subject"] == "Re: Q"


@pytest.mark.parametrize(
    ("answer", "raised"),
    [
        ("451 4.7.1 Greylisted, please try again later", RateLimited),
        ("421 4.7.0 Too many messages, slow down", RateLimited),
        ("452 4.3.1 Insufficient system storage", SmtpTemporaryError),
        ("550 5.1.1 No such user here", DeliveryFailed),
    ],
)
async def test_smtp_refusals_are_classified(
    adapter: EmailAdapter, smtp: FakeSmtp, answer: str, raised: type[Exception]
) -> None:
    smtp.refuse_with = answer
    with pytest.raises(raised) as caught:
        await adapter.send(Outbound(conversation_id="ada@example.com", text="Hi"))
    if isinstance(caught.value, RateLimited):
        assert caught.value.retry_after == 60
    assert smtp.messages() == []


async def test_a_dropped_imap_session_ends_listen(adapter: EmailAdapter, imap: FakeImap) -> None:
    listening = Listening(adapter)
    await listening.until(lambda: listening.up.is_set() and "UID" in imap.commands)
    imap.drop_all()
    async with asyncio.timeout(10):
        with pytest.raises((imaplib.IMAP4.abort, ConnectionError)):
            await listening.task


async def test_mail_read_once_is_not_fetched_again_after_a_restart(
    adapter: EmailAdapter, imap: FakeImap
) -> None:
    imap.deliver(mail("<once@example.com>", "Only once"))
    first = Listening(adapter)
    await first.until(lambda: "\\Seen" in imap.flags_of(1))
    await first.stop()
    imap.deliver(mail("<later@example.com>", "Later"))
    second = Listening(adapter)
    await second.until(lambda: bool(second.got))
    await asyncio.sleep(1.3)  # at least one more poll
    await second.stop()
    assert [m.message_id for m in first.got + second.got] == [
        "<once@example.com>",
        "<later@example.com>",
    ]
    assert imap.fetched == [1, 2] and imap.logins == 2


def test_a_mailed_question_is_answered_in_its_thread(
    admin: httpx.Client, llm: FakeOpenAIServer, imap: FakeImap, smtp: FakeSmtp
) -> None:
    llm.reply_text("The build is green again.")
    agent_id = make_agent(admin, "mail-agent")
    channel = create_channel(admin, "email", _config(imap, smtp), agent_id, name="mail")
    assert channel["connection"] is True
    map_user(admin, channel["id"], "ada@example.com")
    imap.deliver(mail("<question@example.com>", "Is the build fixed?"))
    (received,) = wait_for(lambda: smtp.messages() or None, what="the answer")
    message = received.message
    assert message["To"] == "ada@example.com" and message["Subject"] == "Re: Build broken"
    assert message["In-Reply-To"] == "<question@example.com>"
    assert message["References"].split() == ["<question@example.com>"]
    assert message.get_content().strip() == "The build is green again."
    assert "Is the build fixed?" in str(llm.chat_requests[0].body)


@pytest.mark.parametrize(
    ("body", "kept"),
    [
        ("Yes.\n\nOn Tue, Ada wrote:\n> Ready?", "Yes."),
        ("Yes.\n-----Original Message-----\nFrom: Ada\nReady?", "Yes."),
        ("Yes.\n\n-- \nAda Lovelace\nAnalytical Engines Ltd", "Yes."),
        ("> Ready?\nYes.\n\n\n\n> Tested?\nNo.", "Yes.\n\nNo."),
        ("On second thought, ship it.", "On second thought, ship it."),
    ],
)
def test_quoted_history_and_signatures_are_cut(body: str, kept: str) -> None:
    assert without_quotes(body) == kept
