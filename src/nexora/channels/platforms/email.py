"""Email: a mailbox polled over IMAP, answers sent over SMTP in the sender's thread.

Each sender's address is a conversation; a mail thread (the root of its References) is a
thread. Mail sent by machines (auto-replies, lists, bulk) and the bot's own mail are never
answered, so two auto-responders cannot talk to each other forever. IMAP and SMTP use the
stdlib clients in worker threads (see `email_imap` and `email_smtp` for why); `api_base` is
kept only because every channel config has one.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid
from typing import Any, TypeVar

from pydantic import Field, SecretStr, field_validator

from nexora.channels.base import (
    Adapter,
    ChannelConfig,
    Inbound,
    InboundSink,
    Outbound,
    register,
)
from nexora.channels.platforms.email_imap import Mailbox, MailServer, TlsMode
from nexora.channels.platforms.email_smtp import submit
from nexora.channels.platforms.email_text import plain_text, without_quotes

log = logging.getLogger(__name__)
T = TypeVar("T")

MESSAGE_ID = re.compile(r"<[^<>\s]+>")
REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv)\s*:", re.IGNORECASE)
MACHINE_PRECEDENCE = ("bulk", "list", "junk")
ADDRESS = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class EmailConfig(ChannelConfig):
    address: str = Field(pattern=ADDRESS)  # the bot's mailbox: From of its answers
    imap_host: str = Field(min_length=1)
    imap_port: int = Field(default=993, ge=1, le=65535)
    imap_tls: TlsMode = "ssl"
    imap_user: str = ""  # empty: the address
    imap_password: SecretStr
    mailbox: str = Field(default="INBOX", min_length=1)
    smtp_host: str = Field(min_length=1)
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_tls: TlsMode = "starttls"
    smtp_user: str = ""  # empty: the IMAP user
    smtp_password: SecretStr | None = None  # unset: the IMAP password
    poll_seconds: float = Field(default=30, ge=1)
    # Addresses ("ada@example.com") or domains ("example.com") whose mail is taken; empty: all.
    allowed_senders: list[str] = Field(default_factory=list)
    api_base: str = ""  # unused: mail has no HTTP API

    @field_validator("address")
    @classmethod
    def _lower_case(cls, value: str) -> str:
        return value.lower()

    @field_validator("allowed_senders")
    @classmethod
    def _addresses_or_domains(cls, value: list[str]) -> list[str]:
        return [entry.strip().lower().lstrip("@") for entry in value if entry.strip()]


@register
class EmailAdapter(Adapter[EmailConfig]):
    platform = "email"
    config_model = EmailConfig
    max_chars = 50000  # mail has no practical limit: one answer, one message

    @property
    def uses_connection(self) -> bool:
        return True

    async def listen(self, sink: InboundSink, connected: Callable[[], None]) -> None:
        config = self.config
        # One thread per session: imaplib is not thread-safe, and logging out must wait for
        # the command a cancellation interrupted rather than write into its answer.
        worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="email-imap")
        loop = asyncio.get_running_loop()

        async def run(call: Callable[..., T], *args: Any) -> T:
            return await loop.run_in_executor(worker, call, *args)

        opening = worker.submit(Mailbox.open, self._imap_server(), config.mailbox)
        try:
            mailbox = await asyncio.wrap_future(opening)
        except BaseException:
            opening.add_done_callback(_close_if_opened)  # cancelled while logging in
            worker.shutdown(wait=False)
            raise
        try:
            connected()
            while True:
                for uid in await run(mailbox.unseen):
                    raw = await run(mailbox.fetch, uid)
                    found = self._readable(raw, f"{mailbox.uidvalidity}:{uid}") if raw else None
                    if found is not None:
                        await sink(found)
                    # Only once stored: a restart before this fetches it again (dedup drops it).
                    await run(mailbox.mark_seen, uid)
                await asyncio.sleep(config.poll_seconds)
        finally:
            worker.submit(mailbox.close)  # not awaited: a cancelled listen returns at once
            worker.shutdown(wait=False)

    async def send(self, message: Outbound) -> str | None:
        config = self.config
        context = message.reply_context
        mail = EmailMessage()
        mail["From"] = config.address
        mail["To"] = message.conversation_id
        mail["Subject"] = reply_subject(context.get("subject", ""))
        mail["Date"] = format_datetime(datetime.now(UTC))
        replied = message.reply_to if _is_message_id(message.reply_to) else None
        replied = replied or context.get("message_id")
        if replied:
            mail["In-Reply-To"] = replied
            earlier = MESSAGE_ID.findall(context.get("references", ""))
            mail["References"] = " ".join([ref for ref in earlier if ref != replied] + [replied])
        message_id = make_msgid(domain=config.address.rpartition("@")[2])
        mail["Message-ID"] = message_id
        mail["Auto-Submitted"] = "auto-replied"  # RFC 3834: other responders leave it alone
        mail.set_content(message.text)
        await submit(mail, self._smtp_server())
        return message_id

    def _readable(self, raw: bytes, mailbox_key: str) -> Inbound | None:
        """The mail as a message, or None; a mail that cannot be read is skipped (and marked
        seen), or it would end every session at the same place."""
        try:
            return self._inbound(raw, mailbox_key)
        except Exception:
            log.warning("email: skipping unreadable mail %s", mailbox_key, exc_info=True)
            return None

    def _inbound(self, raw: bytes, mailbox_key: str) -> Inbound | None:
        mail = message_from_bytes(raw, _class=EmailMessage, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        name, sender = _sender(mail)
        if not sender or sender == self.config.address or _automatic(mail):
            return None
        if not _allowed(sender, self.config.allowed_senders):
            return None
        own_id = _first_id(mail.get("Message-ID"))
        references = MESSAGE_ID.findall(str(mail.get("References") or ""))
        in_reply_to = MESSAGE_ID.findall(str(mail.get("In-Reply-To") or ""))
        subject = " ".join(str(mail.get("Subject") or "").split())
        body = without_quotes(plain_text(mail))
        is_new_thread = not references and not in_reply_to
        text = f"{subject}\n\n{body}".strip() if is_new_thread and subject else body
        if not text:
            return None
        # RFC 5322 3.6.4: a reply's References are the parent's, or its single In-Reply-To.
        context = {"subject": subject, "references": " ".join(references or in_reply_to[:1])}
        if own_id:
            context["message_id"] = own_id
        return Inbound(
            message_id=own_id or mailbox_key,
            sender_id=sender,
            text=text,
            conversation_id=sender,
            thread_id=(references or in_reply_to or [own_id or mailbox_key])[0],
            sender_name=name or None,
            reply_context=context,
        )

    def _imap_server(self) -> MailServer:
        config = self.config
        return MailServer(
            host=config.imap_host,
            port=config.imap_port,
            tls=config.imap_tls,
            user=config.imap_user or config.address,
            password=config.imap_password.get_secret_value(),
        )

    def _smtp_server(self) -> MailServer:
        config = self.config
        password = config.smtp_password or config.imap_password
        return MailServer(
            host=config.smtp_host,
            port=config.smtp_port,
            tls=config.smtp_tls,
            user=config.smtp_user or config.imap_user or config.address,
            password=password.get_secret_value(),
        )


def _close_if_opened(opening: Future[Mailbox]) -> None:
    if not opening.cancelled() and opening.exception() is None:
        opening.result().close()


def reply_subject(subject: str) -> str:
    subject = " ".join(subject.split())
    if REPLY_PREFIX.match(subject):
        return subject
    return f"Re: {subject}" if subject else "Re: your message"


def _sender(mail: EmailMessage) -> tuple[str, str]:
    found = getaddresses([str(mail.get("From") or "")])
    name, address = found[0] if found else ("", "")
    return name.strip(), address.strip().lower()


def _automatic(mail: EmailMessage) -> bool:
    """Mail a machine sent (RFC 3834 Auto-Submitted, or list/bulk Precedence)."""
    submitted = str(mail.get("Auto-Submitted") or "").strip().lower()
    precedence = str(mail.get("Precedence") or "").strip().lower()
    return (bool(submitted) and submitted != "no") or precedence in MACHINE_PRECEDENCE


def _allowed(sender: str, allowed: list[str]) -> bool:
    domain = sender.rpartition("@")[2]
    return not allowed or sender in allowed or domain in allowed


def _first_id(value: object) -> str | None:
    found = MESSAGE_ID.findall(str(value or ""))
    return found[0] if found else None


def _is_message_id(value: str | None) -> bool:
    return bool(value and MESSAGE_ID.fullmatch(value))
