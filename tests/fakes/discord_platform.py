"""A fake Discord on loopback: REST (`/gateway/bot`, create and edit channel messages) and a
gateway websocket speaking its opcodes — hello, identify, READY, heartbeats acknowledged (or
not, to make a zombie connection), MESSAGE_CREATE dispatches."""

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

BOT_ID = "900000000000000001"


@dataclass
class FakeDiscord:
    token: str
    heartbeat_ms: int = 45_000
    ack_heartbeats: bool = True
    identifies: list[dict[str, Any]] = field(default_factory=list)
    heartbeats: int = 0
    created: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    edited: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        routes = [
            Route("/api/v10/gateway/bot", self._gateway, methods=["GET"]),
            Route("/api/v10/channels/{channel}/messages", self._create, methods=["POST"]),
            Route("/api/v10/channels/{channel}/messages/{id}", self._edit, methods=["PATCH"]),
        ]
        self._http = LoopbackServer(Starlette(routes=routes))
        self._socket = LoopbackWebsocket(self._session)
        self._queue: asyncio.Queue[dict[str, Any]] | None = None

    @property
    def api_base(self) -> str:
        return f"{self._http.url}/api/v10"

    def __enter__(self) -> FakeDiscord:
        self._http.__enter__()
        self._socket.__enter__()

        async def make() -> asyncio.Queue[dict[str, Any]]:
            return asyncio.Queue()

        self._queue = self._socket.call(make())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._socket.__exit__(exc_type, exc, tb)
        self._http.__exit__(exc_type, exc, tb)

    def push_message(
        self, content: str, message_id: str, guild: bool = False, mentions: bool = False
    ) -> None:
        message: dict[str, Any] = {
            "id": message_id,
            "channel_id": "c-1",
            "author": {"id": "u-7", "username": "ada", "bot": False},
            "content": content,
            "mentions": [{"id": BOT_ID, "username": "nexora", "bot": True}] if mentions else [],
        }
        if guild:
            message["guild_id"] = "g-1"
        queue = self._queue
        assert queue is not None

        async def put() -> None:
            await queue.put({"op": 0, "t": "MESSAGE_CREATE", "d": message})

        self._socket.call(put())

    def drop(self) -> None:
        self._socket.drop_all()

    async def _session(self, connection: ServerConnection) -> None:
        queue = self._queue
        assert queue is not None
        await connection.send(
            json.dumps({"op": 10, "d": {"heartbeat_interval": self.heartbeat_ms}})
        )

        async def read() -> None:
            async for raw in connection:
                frame = json.loads(raw)
                if frame["op"] == 2:
                    self.identifies.append(frame["d"])
                    ready = {"v": 10, "user": {"id": BOT_ID, "bot": True}, "session_id": "s-1"}
                    await connection.send(
                        json.dumps({"op": 0, "t": "READY", "s": next(self._seq), "d": ready})
                    )
                elif frame["op"] == 1:
                    self.heartbeats += 1
                    if self.ack_heartbeats:
                        await connection.send(json.dumps({"op": 11}))

        reader = asyncio.ensure_future(read())
        try:
            while True:
                getter = asyncio.ensure_future(queue.get())
                await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
                if not getter.done():
                    getter.cancel()
                    return
                await connection.send(json.dumps({**getter.result(), "s": next(self._seq)}))
        finally:
            reader.cancel()

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bot {self.token}"

    async def _gateway(self, request: Request) -> JSONResponse:
        if not self._authorised(request):
            return JSONResponse({"message": "401: Unauthorized", "code": 0}, 401)
        return JSONResponse({"url": self._socket.url, "shards": 1})

    async def _create(self, request: Request) -> JSONResponse:
        if not self._authorised(request):
            return JSONResponse({"message": "401: Unauthorized", "code": 0}, 401)
        body = await request.json()
        self.created.append((request.path_params["channel"], body))
        return JSONResponse({"id": f"m-{next(self._ids)}", "content": body["content"]})

    async def _edit(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.edited.append((request.path_params["id"], body))
        return JSONResponse({"id": request.path_params["id"], "content": body["content"]})
