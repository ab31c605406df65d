"""A fake Discord on loopback: REST (`/gateway/bot`, create and edit channel messages) and a
gateway websocket speaking its opcodes — hello, identify, READY, heartbeats acknowledged (or
not, to make a zombie connection), MESSAGE_CREATE dispatches, and RESUME: dispatches of an
outage are replayed to a resumed session (then RESUMED), lost to a new one, and a session
the fake invalidated is refused with INVALID_SESSION."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route
from websockets.asyncio.server import ServerConnection

from tests.fakes.ws_server import LoopbackWebsocket, ServedSocketFake

BOT_ID = "900000000000000001"


@dataclass
class FakeDiscord(ServedSocketFake):
    token: str
    heartbeat_ms: int = 45_000
    ack_heartbeats: bool = True
    identifies: list[dict[str, Any]] = field(default_factory=list)
    resumes: list[dict[str, Any]] = field(default_factory=list)
    session_valid: bool = True
    outage: bool = False  # connections are dropped and refused; dispatches wait for a resume
    missed: list[dict[str, Any]] = field(default_factory=list)
    heartbeats: int = 0
    created: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    edited: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self._socket = LoopbackWebsocket(self._session)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/api/v10/gateway/bot", self._gateway, methods=["GET"]),
            Route("/api/v10/channels/{channel}/messages", self._create, methods=["POST"]),
            Route("/api/v10/channels/{channel}/messages/{id}", self._edit, methods=["PATCH"]),
        ]

    @property
    def api_base(self) -> str:
        return f"{self.url}/api/v10"

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
        frame = {"op": 0, "t": "MESSAGE_CREATE", "s": next(self._seq), "d": message}
        if self.outage:
            self.missed.append(frame)
        else:
            self._socket.push(frame)

    def drop(self) -> None:
        self._socket.drop_all()

    def start_outage(self) -> None:
        self.outage = True
        self.drop()

    async def _session(self, connection: ServerConnection) -> None:
        if self.outage:
            await connection.close(1011, "outage")
            return
        await connection.send(
            json.dumps({"op": 10, "d": {"heartbeat_interval": self.heartbeat_ms}})
        )

        async def received(frame: dict[str, Any]) -> None:
            if frame["op"] == 2:
                self.identifies.append(frame["d"])
                self.missed.clear()  # a new session never sees what happened before it
                self.session_valid = True
                ready = {
                    "v": 10,
                    "user": {"id": BOT_ID, "bot": True},
                    "session_id": "s-1",
                    "resume_gateway_url": self._socket.url,
                }
                await connection.send(
                    json.dumps({"op": 0, "t": "READY", "s": next(self._seq), "d": ready})
                )
            elif frame["op"] == 6:
                self.resumes.append(frame["d"])
                valid = frame["d"]["token"] == self.token and frame["d"]["session_id"] == "s-1"
                if not (valid and self.session_valid):
                    await connection.send(json.dumps({"op": 9, "d": False}))
                    return
                for missed in [m for m in self.missed if m["s"] > frame["d"]["seq"]]:
                    await connection.send(json.dumps(missed))
                self.missed.clear()
                resumed = {"op": 0, "t": "RESUMED", "s": next(self._seq), "d": {}}
                await connection.send(json.dumps(resumed))
            elif frame["op"] == 1:
                self.heartbeats += 1
                if self.ack_heartbeats:
                    await connection.send(json.dumps({"op": 11}))

        await self._socket.relay(connection, received)

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
