"""A fake Telegram Bot API on loopback, in its wire format: `/bot<token>/<method>` with JSON
bodies, `{"ok": true, "result": …}` answers, `getUpdates` long polling with offsets that
acknowledge, `sendMessage` and `editMessageText` recorded, and `{"ok": false, "error_code":
429, "parameters": {"retry_after": n}}` when told to refuse.

    with FakeTelegram("123:abc") as telegram:
        telegram.push_text(chat_id=42, user_id=7, text="hello")
        ...  # point the channel's api_base at telegram.url
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from tests.fakes.asgi_server import ServedFake

BOT = {"id": 9000, "is_bot": True, "first_name": "Nexora", "username": "nexora_bot"}


@dataclass
class Sent:
    method: str
    body: dict[str, Any]
    message_id: int


@dataclass
class FakeTelegram(ServedFake):
    token: str
    updates: list[dict[str, Any]] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)  # every method called, in order
    rate_limited: int = 0  # how many sendMessage calls to refuse with 429 next
    down: bool = False  # getUpdates answers 502 while down, as a broken proxy would
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(100))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def routes(self) -> list[BaseRoute]:
        return [Route("/bot{token}/{method}", self._call, methods=["POST"])]

    def push(self, message: dict[str, Any], update_id: int | None = None) -> int:
        """Queues an update carrying `message`; the same `update_id` is a redelivery."""
        with self._lock:
            number = update_id if update_id is not None else next(self._update_ids)
            self.updates.append({"update_id": number, "message": message})
        return number

    def push_text(
        self,
        *,
        chat_id: int,
        user_id: int,
        text: str,
        message_id: int = 1,
        chat_type: str = "private",
        entities: list[dict[str, Any]] | None = None,
        thread_id: int | None = None,
    ) -> int:
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": 1_763_800_000,
            "from": {"id": user_id, "is_bot": False, "first_name": "Ada"},
            "chat": {"id": chat_id, "type": chat_type},
            "text": text,
        }
        if entities:
            message["entities"] = entities
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        return self.push(message)

    def replies(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [s.body for s in self.sent if s.method == method]

    async def _call(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != self.token:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, 401
            )
        method = request.path_params["method"]
        body = await request.json() if await request.body() else {}
        self.calls.append(method)
        if method == "getMe":
            return _ok(BOT)
        if method == "getUpdates":
            return await self._updates(body)
        if method in ("sendMessage", "editMessageText"):
            if method == "sendMessage" and self.rate_limited > 0:
                self.rate_limited -= 1
                refusal = {"ok": False, "error_code": 429, "parameters": {"retry_after": 1}}
                return JSONResponse({**refusal, "description": "Too Many Requests"}, 429)
            message_id = int(body.get("message_id") or next(self._ids))
            self.sent.append(Sent(method, body, message_id))
            chat = {"id": body.get("chat_id"), "type": "private"}
            return _ok({"message_id": message_id, "chat": chat, "text": body.get("text")})
        return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, 404)

    async def _updates(self, body: dict[str, Any]) -> JSONResponse:
        if self.down:
            return JSONResponse({"ok": False, "error_code": 502, "description": "Bad Gateway"}, 502)
        offset = int(body.get("offset") or 0)
        with self._lock:
            # An offset acknowledges every update before it, for good.
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        deadline = asyncio.get_running_loop().time() + min(float(body.get("timeout") or 0), 2.0)
        while True:
            with self._lock:
                pending = list(self.updates)
            if pending or asyncio.get_running_loop().time() >= deadline or self.down:
                return _ok(pending)
            await asyncio.sleep(0.05)


def _ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})
