"""A fake Slack on loopback: the Web API (`auth.test`, `chat.postMessage`, `chat.update`,
`apps.connections.open`, answering `{"ok": …}` as Slack does) and a Socket Mode websocket that
says hello, sends `events_api` envelopes and records the acks."""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from websockets.asyncio.server import ServerConnection

from tests.fakes.asgi_server import LoopbackServer
from tests.fakes.ws_server import LoopbackWebsocket

BOT_USER = "U0BOT"


@dataclass
class FakeSlack:
    bot_token: str
    app_token: str = ""
    posted: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    acks: list[str] = field(default_factory=list)
    connections: int = 0
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _envelopes: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self._http = LoopbackServer(
            Starlette(routes=[Route("/api/{method}", self._api, methods=["POST"])])
        )
        self._socket = LoopbackWebsocket(self._session)
        self._queue: asyncio.Queue[dict[str, Any]] | None = None

    @property
    def api_base(self) -> str:
        return f"{self._http.url}/api"

    def __enter__(self) -> FakeSlack:
        self._http.__enter__()
        self._socket.__enter__()

        async def make_queue() -> asyncio.Queue[dict[str, Any]]:
            return asyncio.Queue()

        self._queue = self._socket.call(make_queue())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._socket.__exit__(exc_type, exc, tb)
        self._http.__exit__(exc_type, exc, tb)

    def event_callback(self, event: dict[str, Any]) -> dict[str, Any]:
        return {
            "token": "legacy",
            "team_id": "T1",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": f"Ev{next(self._envelopes)}",
            "event_time": 1_763_800_000,
            "event": event,
        }

    def push(self, event: dict[str, Any]) -> None:
        """Sends an event over Socket Mode, as an `events_api` envelope."""
        envelope = {
            "envelope_id": f"env-{next(self._envelopes)}",
            "type": "events_api",
            "accepts_response_payload": False,
            "payload": self.event_callback(event),
        }
        queue = self._queue
        assert queue is not None

        async def put() -> None:
            await queue.put(envelope)

        self._socket.call(put())

    def disconnect(self) -> None:
        """Slack's own way of rotating a connection: a `disconnect` message."""
        queue = self._queue
        assert queue is not None

        async def put() -> None:
            await queue.put({"type": "disconnect", "reason": "refresh_requested"})

        self._socket.call(put())

    def replies(self, method: str = "chat.postMessage") -> list[dict[str, Any]]:
        return [body for name, body in self.posted if name == method]

    async def _session(self, connection: ServerConnection) -> None:
        self.connections += 1
        queue = self._queue
        assert queue is not None
        await connection.send(json.dumps({"type": "hello", "num_connections": 1}))

        async def read_acks() -> None:
            async for frame in connection:
                self.acks.append(json.loads(frame)["envelope_id"])

        reader = asyncio.ensure_future(read_acks())
        try:
            while True:
                getter = asyncio.ensure_future(queue.get())
                await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
                if not getter.done():  # the connection closed first
                    getter.cancel()
                    return
                item = getter.result()
                await connection.send(json.dumps(item))
                if item.get("type") == "disconnect":
                    await connection.close()
                    return
        finally:
            reader.cancel()

    async def _api(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if method == "apps.connections.open":
            if token != self.app_token:
                return JSONResponse({"ok": False, "error": "invalid_auth"})
            return JSONResponse({"ok": True, "url": self._socket.url})
        if token != self.bot_token:
            return JSONResponse({"ok": False, "error": "invalid_auth"})
        if method == "auth.test":
            return JSONResponse({"ok": True, "user_id": BOT_USER, "team_id": "T1"})
        body = await request.json()
        if method in ("chat.postMessage", "chat.update"):
            self.posted.append((method, body))
            ts = body.get("ts") or f"1763800000.{next(self._ts):06d}"
            return JSONResponse({"ok": True, "channel": body["channel"], "ts": ts})
        return JSONResponse({"ok": False, "error": "unknown_method"})
