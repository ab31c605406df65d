"""Fake mail servers on 127.0.0.1, speaking the real protocols over plain TCP.

`FakeSmtp`: `aiosmtpd` (the reference SMTP server library) with AUTH LOGIN/PLAIN, recording
each message it accepts, and answering RCPT with a chosen refusal when told to.

`FakeImap`: a small IMAP4rev1 server (RFC 3501) for one mailbox: CAPABILITY, LOGIN, SELECT
(EXISTS, UIDVALIDITY, UIDNEXT), SEARCH and UID SEARCH (ALL, UNSEEN), UID FETCH BODY.PEEK[]
/ RFC822 as literals, UID STORE +FLAGS, NOOP, LOGOUT — and `drop_all` to cut every session.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shlex
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

# ---------------------------------------------------------------- SMTP


class _Recorder:
    def __init__(self, fake: FakeSmtp) -> None:
        self._fake = fake

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self._fake.refuse_with:
            return self._fake.refuse_with
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        parsed = message_from_bytes(content, _class=EmailMessage, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self._fake.lock:
            self._fake.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), parsed, session.auth_data)
            )
        return "250 Message accepted for delivery"


@dataclass
class Received:
    mail_from: str | None
    rcpt_tos: list[str]
    message: EmailMessage
    login: Any


class FakeSmtp:
    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user, password
        self.received: list[Received] = []
        self.lock = threading.Lock()
        # e.g. "451 4.7.1 Greylisted, try again later": every RCPT is answered with it.
        self.refuse_with: str | None = None
        self.port = _free_port()
        self._controller = Controller(
            _Recorder(self),
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self._authenticate,
            auth_require_tls=False,
        )

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        good = isinstance(data, LoginPassword) and (
            data.login.decode() == self.user and data.password.decode() == self.password
        )
        return AuthResult(success=good, auth_data=data.login.decode() if good else None)

    def messages(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def __enter__(self) -> FakeSmtp:
        self._controller.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._controller.stop()


# ---------------------------------------------------------------- IMAP


@dataclass
class StoredMail:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


class BadCommand(Exception):
    pass


class FakeImap:
    def __init__(self, user: str, password: str, mailbox: str = "INBOX") -> None:
        self.user, self.password, self.mailbox = user, password, mailbox
        self.uidvalidity = 1700000001
        self.mails: list[StoredMail] = []
        self.fetched: list[int] = []  # every UID a client fetched, in order
        self.commands: list[str] = []  # every command name received, in order
        self.logins = 0
        self._next_uid = 1
        self._lock = threading.Lock()
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self.port = 0

    def deliver(self, raw: bytes | str) -> int:
        """Puts a new, unseen message in the mailbox; returns its UID."""
        data = raw.encode() if isinstance(raw, str) else raw
        with self._lock:
            uid = self._next_uid
            self._next_uid += 1
            self.mails.append(StoredMail(uid, data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")))
            return uid

    def flags_of(self, uid: int) -> set[str]:
        with self._lock:
            return next(set(m.flags) for m in self.mails if m.uid == uid)

    def drop_all(self) -> None:
        """Cuts every open session abruptly, as a broken network would."""

        async def drop() -> None:
            for writer in list(self._writers):
                writer.transport.abort()

        asyncio.run_coroutine_threadsafe(drop(), self._loop).result(timeout=10)

    def __enter__(self) -> FakeImap:
        self._thread.start()

        async def start() -> asyncio.Server:
            return await asyncio.start_server(self._session, "127.0.0.1", 0)

        self._server = asyncio.run_coroutine_threadsafe(start(), self._loop).result(timeout=10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        server = self._server

        async def stop() -> None:
            if server is not None:
                server.close()
            for writer in list(self._writers):
                writer.transport.abort()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        state = {"authenticated": False, "selected": False}
        try:
            writer.write(b"* OK [CAPABILITY IMAP4rev1] fake IMAP ready\r\n")
            while line := await reader.readline():
                tag, _, rest = line.decode().rstrip("\r\n").partition(" ")
                try:
                    answer, more = self._answer(tag, rest, state)
                except BadCommand as bad:
                    answer, more = [f"{tag} BAD {bad}".encode()], True
                writer.write(b"".join(part + b"\r\n" for part in answer))
                await writer.drain()
                if not more:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    def _answer(self, tag: str, rest: str, state: dict[str, bool]) -> tuple[list[bytes], bool]:
        command, _, args = rest.partition(" ")
        command = command.upper()
        self.commands.append(command)
        ok = f"{tag} OK {command} completed".encode()
        if command == "CAPABILITY":
            return [b"* CAPABILITY IMAP4rev1", ok], True
        if command == "NOOP":
            return [ok], True
        if command == "LOGOUT":
            return [b"* BYE logging out", ok], False
        if command == "LOGIN":
            user, password = _words(args)
            if (user, password) != (self.user, self.password):
                return [f"{tag} NO [AUTHENTICATIONFAILED] invalid credentials".encode()], True
            self.logins += 1
            state["authenticated"] = True
            return [ok], True
        if not state["authenticated"]:
            raise BadCommand(f"{command} needs LOGIN first")
        if command == "SELECT":
            (name,) = _words(args)
            if name.upper() != self.mailbox.upper():
                return [f"{tag} NO [NONEXISTENT] no mailbox {name}".encode()], True
            state["selected"] = True
            with self._lock:
                exists, next_uid = len(self.mails), self._next_uid
            return [
                b"* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)",
                f"* {exists} EXISTS".encode(),
                b"* 0 RECENT",
                f"* OK [UIDVALIDITY {self.uidvalidity}] UIDs valid".encode(),
                f"* OK [UIDNEXT {next_uid}] predicted next UID".encode(),
                f"{tag} OK [READ-WRITE] SELECT completed".encode(),
            ], True
        if not state["selected"]:
            raise BadCommand(f"{command} needs SELECT first")
        by_uid = command == "UID"
        if by_uid:
            command, _, args = args.partition(" ")
            command = command.upper()
        handlers = {"SEARCH": self._search, "FETCH": self._fetch, "STORE": self._store}
        if command not in handlers:
            raise BadCommand(f"unknown command {command}")
        return [*handlers[command](args, by_uid), ok], True

    def _search(self, args: str, by_uid: bool) -> list[bytes]:
        criterion = args.strip().upper()
        if criterion not in ("ALL", "UNSEEN"):
            raise BadCommand(f"unsupported search {args}")
        with self._lock:
            hits = [
                (m.uid if by_uid else number)
                for number, m in enumerate(self.mails, 1)
                if criterion == "ALL" or "\\Seen" not in m.flags
            ]
        return [" ".join(["* SEARCH", *map(str, hits)]).encode()]

    def _fetch(self, args: str, by_uid: bool) -> list[bytes]:
        wanted, _, items = args.partition(" ")
        item = items.strip().strip("()").upper()
        if item not in ("BODY.PEEK[]", "RFC822", "BODY[]"):
            raise BadCommand(f"unsupported fetch {items}")
        answer: list[bytes] = []
        for number, mail in self._matching(wanted, by_uid):
            self.fetched.append(mail.uid)
            if item != "BODY.PEEK[]":
                mail.flags.add("\\Seen")
            name = "RFC822" if item == "RFC822" else "BODY[]"
            head = f"* {number} FETCH (UID {mail.uid} {name} {{{len(mail.raw)}}}\r\n"
            answer.append(head.encode() + mail.raw + b")")
        return answer

    def _store(self, args: str, by_uid: bool) -> list[bytes]:
        wanted, _, change = args.partition(" ")
        mode, _, flags = change.partition(" ")
        if mode.upper() not in ("+FLAGS", "+FLAGS.SILENT"):
            raise BadCommand(f"unsupported store {change}")
        named = set(flags.strip().strip("()").split())
        answer: list[bytes] = []
        for number, mail in self._matching(wanted, by_uid):
            mail.flags |= named
            listed = " ".join(sorted(mail.flags))
            answer.append(f"* {number} FETCH (UID {mail.uid} FLAGS ({listed}))".encode())
        return answer

    def _matching(self, wanted: str, by_uid: bool) -> list[tuple[int, StoredMail]]:
        with self._lock:
            numbered = list(enumerate(self.mails, 1))
        found: list[tuple[int, StoredMail]] = []
        for piece in wanted.split(","):
            low, _, high = piece.partition(":")
            for number, mail in numbered:
                key = mail.uid if by_uid else number
                top = key if high == "*" else int(high or low)
                if int(low) <= key <= top:
                    found.append((number, mail))
        return found


def _words(args: str) -> list[str]:
    """IMAP atoms and quoted strings (close enough to shell words for LOGIN and SELECT)."""
    if re.search(r"\{\d+\}$", args):
        raise BadCommand("literals in commands are not supported")
    return shlex.split(args)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
