"""The email channel's mailbox side: one IMAP session, blocking, meant for a worker thread.

The stdlib `imaplib` rather than `aioimaplib`: the channel only polls (a few short commands
every `poll_seconds`), so a thread per call costs nothing, and `imaplib` parses the responses
(literals, response codes) that `aioimaplib` leaves to its caller.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl
from dataclasses import dataclass
from typing import Literal

TlsMode = Literal["ssl", "starttls", "none"]

# A blocking call never outlives this, so a cancelled `listen` leaves no thread hanging long.
TIMEOUT_SECONDS = 30.0


class MailboxError(Exception):
    """The server refused a command (login, select, fetch): the session is given up."""


@dataclass(frozen=True, slots=True)
class MailServer:
    host: str
    port: int
    tls: TlsMode
    user: str
    password: str


class Mailbox:
    """A logged-in session with one mailbox selected."""

    def __init__(self, imap: imaplib.IMAP4, uidvalidity: str) -> None:
        self._imap = imap
        # Identifies the mailbox's UID numbering: UIDs are only unique together with it.
        self.uidvalidity = uidvalidity

    @classmethod
    def open(cls, server: MailServer, mailbox: str) -> Mailbox:
        imap = _connect(server)
        try:
            imap.login(server.user, server.password)
            status, _ = imap.select(_quoted(mailbox))
            if status != "OK":
                raise MailboxError(f"cannot select {mailbox!r}")
            _, validity = imap.response("UIDVALIDITY")
            return cls(imap, _text(validity[0]) if validity and validity[0] else "0")
        except BaseException:
            with contextlib.suppress(OSError):
                imap.shutdown()
            raise

    def unseen(self) -> list[int]:
        """The UIDs of the messages nobody has read yet, oldest first."""
        data = self._checked("SEARCH", "UNSEEN")
        found = b" ".join(part for part in data if isinstance(part, bytes))
        return sorted(int(uid) for uid in found.split())

    def fetch(self, uid: int) -> bytes | None:
        """The whole message, without setting \\Seen (that waits until it is stored)."""
        for part in self._checked("FETCH", str(uid), "(BODY.PEEK[])"):
            if isinstance(part, tuple) and len(part) == 2:
                return bytes(part[1])
        return None  # deleted meanwhile

    def mark_seen(self, uid: int) -> None:
        self._checked("STORE", str(uid), "+FLAGS", "(\\Seen)")

    def close(self) -> None:
        try:
            self._imap.logout()
        except (imaplib.IMAP4.error, OSError):
            with contextlib.suppress(OSError):
                self._imap.shutdown()

    def _checked(self, command: str, *args: str) -> list[bytes | tuple[bytes, bytes] | None]:
        status, data = self._imap.uid(command, *args)
        if status != "OK":
            raise MailboxError(f"UID {command} failed: {_text(data[0]) if data else status}")
        return list(data)


def _connect(server: MailServer) -> imaplib.IMAP4:
    if server.tls == "ssl":
        context = ssl.create_default_context()
        return imaplib.IMAP4_SSL(
            server.host, server.port, ssl_context=context, timeout=TIMEOUT_SECONDS
        )
    imap = imaplib.IMAP4(server.host, server.port, timeout=TIMEOUT_SECONDS)
    if server.tls == "starttls":
        try:
            imap.starttls(ssl.create_default_context())
        except BaseException:
            with contextlib.suppress(OSError):
                imap.shutdown()
            raise
    return imap


def _quoted(mailbox: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9._/-]+", mailbox):
        return mailbox
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(value: object) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
