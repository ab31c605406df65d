"""A fake Telegram Bot API on loopback for the channel benchmark, in the real wire format.

`POST|GET /bot<token>/<method>` with parameters as JSON, a form or the query string (grammY
sends JSON, python-telegram-bot a form), answered `{"ok": true, "result": …}`:

- `getMe`; `getUpdates` long polling as Telegram does it: an `offset` confirms every update
  below it for good, unconfirmed updates are served again on every call, and with none
  pending the call is held up to `timeout` seconds;
- `sendMessage` and `editMessageText` recorded with the time they arrived; while `refusing`
  is set, sendMessage is answered `502 Bad Gateway` (recorded as a refused attempt);
- any other method (`sendChatAction`, `setMyCommands`, `deleteWebhook`, …) answered `true`.

The server runs in a background thread of the benchmark; times are `time.monotonic()`.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

BOT = {
    "id": 9000,
    "is_bot": True,
    "first_name": "Bench",
    "username": "bench_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
HOLD_STEP = 0.005  # how often a held getUpdates looks for new updates


@dataclass(frozen=True)
class Call:
    """A sendMessage or editMessageText as the fake received it."""

    at: float
    method: str
    chat_id: str
    text: str
    accepted: bool  # False: answered 502 (the platform did not deliver it)


@dataclass
class FakeTelegram:
    token: str
    refusing: bool = False
    calls: list[Call] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)  # every method called, in order
    served: dict[int, float] = field(default_factory=dict)  # update_id -> first served
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _pushed: dict[int, dict[str, Any]] = field(default_factory=dict)
    _replays: list[dict[str, Any]] = field(default_factory=list)
    _next_update: int = 1000
    _next_message: int = 1
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- driving it from the benchmark -------------------------------------------------------

    def push_text(self, chat_id: int, user_id: int, text: str, message_id: int) -> int:
        """Queues a private-chat text message as a new update; returns its update_id."""
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "from": {"id": user_id, "is_bot": False, "first_name": "Ada", "language_code": "en"},
            "chat": {"id": chat_id, "type": "private", "first_name": "Ada"},
            "text": text,
        }
        with self._lock:
            self._next_update += 1
            update = {"update_id": self._next_update, "message": message}
            self._updates.append(update)
            self._pushed[self._next_update] = update
        return self._next_update

    def replay(self, update_id: int) -> None:
        """Serves an update once more, whatever offset the next getUpdates names: what a
        gateway sees when the call that confirmed it never reached Telegram (a missed ack)."""
        with self._lock:
            self._replays.append(self._pushed[update_id])

    def answers(self, chat_id: int, marker: str) -> list[Call]:
        """Delivered sendMessage calls to `chat_id` whose text contains `marker`."""
        with self._lock:
            return [
                c
                for c in self.calls
                if c.accepted and c.chat_id == str(chat_id) and marker in c.text
            ]

    def attempts(self, chat_id: int, marker: str) -> list[Call]:
        """Every sendMessage to `chat_id` carrying `marker`, delivered or refused."""
        with self._lock:
            return [c for c in self.calls if c.chat_id == str(chat_id) and marker in c.text]

    def polled(self) -> bool:
        with self._lock:
            return "getUpdates" in self.methods

    # -- the Bot API ----------------------------------------------------------------------

    async def _call(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.path_params["method"]
        params = await _params(request)
        with self._lock:
            self.methods.append(method)
        if method == "getMe":
            return _ok(BOT)
        if method == "getUpdates":
            return _ok(await self._get_updates(params))
        if method == "getWebhookInfo":
            return _ok({"url": "", "has_custom_certificate": False, "pending_update_count": 0})
        if method in ("getMyCommands", "getMyName"):
            return _ok([] if method == "getMyCommands" else {"name": BOT["first_name"]})
        if method in ("sendMessage", "editMessageText"):
            return self._message(method, params)
        return _ok(True)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while True:
            with self._lock:
                if offset:
                    # An offset confirms every update before it; they are never served again.
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                pending = [*self._replays, *self._updates][:limit]
                self._replays = []
                now = time.monotonic()
                for update in pending:
                    self.served.setdefault(int(update["update_id"]), now)
            if pending or time.monotonic() >= deadline:
                return pending
            await asyncio.sleep(HOLD_STEP)

    def _message(self, method: str, params: dict[str, Any]) -> JSONResponse:
        chat_id = str(params.get("chat_id", ""))
        text = str(params.get("text", ""))
        refused = method == "sendMessage" and self.refusing
        with self._lock:
            self.calls.append(Call(time.monotonic(), method, chat_id, text, not refused))
            if refused:
                return _error(502, "Bad Gateway")
            if method == "sendMessage":
                self._next_message += 1
                message_id = self._next_message
            else:
                message_id = int(params.get("message_id") or 0)
        result = {
            "message_id": message_id,
            "date": int(time.time()),
            "from": {k: BOT[k] for k in ("id", "is_bot", "first_name", "username")},
            "chat": {"id": _as_int(chat_id), "type": "private", "first_name": "Ada"},
            "text": text,
        }
        return _ok(result)

    # -- serving ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The Bot API root (what `https://api.telegram.org` is for the real one)."""
        return f"http://127.0.0.1:{self._port}"

    def __enter__(self) -> Self:
        app = Starlette(routes=[Route("/bot{token}/{method}", self._call, methods=["GET", "POST"])])
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._port = int(sock.getsockname()[1])
        config = uvicorn.Config(app, log_level="critical", lifespan="off", backlog=1024,
                                timeout_graceful_shutdown=1)  # fmt: skip
        self._server = uvicorn.Server(config)
        self._sock = sock
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the fake Telegram server did not start")
            time.sleep(0.01)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()


async def _params(request: Request) -> dict[str, Any]:
    """The method's parameters, wherever the client put them; form values that hold JSON
    (arrays, objects) are decoded, as Telegram does."""
    params: dict[str, Any] = dict(request.query_params)
    kind = request.headers.get("content-type", "")
    if "json" in kind:
        body = await request.body()
        if body:
            decoded = json.loads(body)
            if isinstance(decoded, dict):
                params.update(decoded)
    elif "form" in kind:
        form = await request.form()
        for key, value in form.items():
            params[key] = _maybe_json(value) if isinstance(value, str) else value
    return params


def _maybe_json(value: str) -> Any:
    if value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _as_int(value: str) -> int | str:
    try:
        return int(value)
    except ValueError:
        return value


def _ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


def _error(code: int, description: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error_code": code, "description": description}, code)
