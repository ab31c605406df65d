"""The email channel's sending side: one SMTP submission, blocking, run in a worker thread,
and the server's refusals turned into the channel's retry decisions.

The stdlib `smtplib` rather than `aiosmtplib`, for the same reason as `imaplib` on the
receiving side: one short exchange per reply gains nothing from an async client, and both
sides then work one way.
"""

from __future__ import annotations

import asyncio
import re
import smtplib
import ssl
from email.message import EmailMessage

from nexora.channels.base import DeliveryFailed, RateLimited
from nexora.channels.platforms.email_imap import TIMEOUT_SECONDS, MailServer

# Servers word their "slow down" and greylisting answers freely; these cover the usual ones.
THROTTLED = re.compile(
    r"rate|throttl|too many|greylist|graylist|try (again )?later|slow down", re.IGNORECASE
)
THROTTLE_CODES = (421, 450, 451)
RATE_LIMIT_WAIT_SECONDS = 60.0


class SmtpTemporaryError(Exception):
    """A 4xx answer that is not a rate limit: the delivery is retried."""


async def submit(message: EmailMessage, server: MailServer) -> None:
    """Sends `message`; raises `RateLimited`, `DeliveryFailed`, or an error worth a retry."""
    try:
        await asyncio.to_thread(_submit, message, server)
    except smtplib.SMTPRecipientsRefused as refused:
        code, answer = next(iter(refused.recipients.values()), (550, b"recipient refused"))
        raise refusal(code, answer) from refused
    except smtplib.SMTPResponseException as refused:
        raise refusal(refused.smtp_code, refused.smtp_error) from refused


def refusal(code: int, answer: bytes | str) -> Exception:
    """What an SMTP error reply means for the delivery."""
    text = answer.decode(errors="replace") if isinstance(answer, bytes) else answer
    described = f"SMTP {code} {text}".strip()
    if code in THROTTLE_CODES and THROTTLED.search(text):
        return RateLimited(RATE_LIMIT_WAIT_SECONDS, described)
    if 500 <= code < 600:
        return DeliveryFailed(described)
    return SmtpTemporaryError(described)


def _submit(message: EmailMessage, server: MailServer) -> None:
    smtp = _connect(server)
    with smtp:
        if server.tls == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if server.password:
            smtp.login(server.user, server.password)
        smtp.send_message(message)


def _connect(server: MailServer) -> smtplib.SMTP:
    if server.tls == "ssl":
        context = ssl.create_default_context()
        return smtplib.SMTP_SSL(server.host, server.port, timeout=TIMEOUT_SECONDS, context=context)
    return smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_SECONDS)
