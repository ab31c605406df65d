"""A fake QQ bot platform on loopback: app access tokens, `/gateway`, the gateway websocket
(hello, identify, READY, message dispatches; RESUME replays the dispatches of an outage, then
RESUMED, or refuses a session the fake forgot with INVALID_SESSION) and the passive-reply
endpoints for one-to-one chats, groups and guild channels."""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from tests.fakes.asgi_server import ServedFake

ACCESS_TOKEN = "qq-access-token"


@dataclass
class FakeQQ(ServedFake):
    app_id: str
    app_secret: str
    replies: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    identifies: list[dict[str, Any]] = field(default_factory=list)
    resumes: list[dict[str, Any]] = field(default_factory=list)
    session_valid: bool = True
    outage: bool = False  # connections are closed and refused; dispatches wait for a resume
    open_sockets: int = 0
    _events: list[dict[str, Any]] = field(default_factory=list)
    _sent: list[dict[str, Any]] = field(default_factory=list)
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/app/getAppAccessToken", self._token, methods=["POST"]),
            Route("/gateway", self._gateway, methods=["GET"]),
            Route("/v2/{kind}/{target}/messages", self._reply, methods=["POST"]),
            Route("/channels/{target}/messages", self._reply, methods=["POST"]),
            WebSocketRoute("/websocket", self._socket),
        ]

    def dispatch(self, event: str, data: dict[str, Any]) -> None:
        self._events.append({"op": 0, "t": event, "s": next(self._seq), "d": data})

    def forget_session(self) -> None:
        self.session_valid = False

    async def _token(self, request: Request) -> JSONResponse:
        body = await request.json()
        if body != {"appId": self.app_id, "clientSecret": self.app_secret}:
            return JSONResponse({"code": 100016, "message": "invalid appid or secret"})
        return JSONResponse({"access_token": ACCESS_TOKEN, "expires_in": "7200"})

    def _authorised(self, request: Request) -> bool:
        return (
            request.headers.get("authorization") == f"QQBot {ACCESS_TOKEN}"
            and request.headers.get("x-union-appid") == self.app_id
        )

    async def _gateway(self, request: Request) -> JSONResponse:
        if not self._authorised(request):
            return JSONResponse({"code": 11241, "message": "wrong token"}, 401)
        return JSONResponse({"url": f"ws://127.0.0.1:{self._served.port}/websocket"})

    async def _reply(self, request: Request) -> JSONResponse:
        if not self._authorised(request):
            return JSONResponse({"code": 11241, "message": "wrong token"}, 401)
        self.replies.append((request.url.path, await request.json()))
        return JSONResponse({"id": f"reply-{len(self.replies)}", "timestamp": 1_763_800_000})

    async def _socket(self, websocket: WebSocket) -> None:
        self.open_sockets += 1
        try:
            await self._session(websocket)
        finally:
            self.open_sockets -= 1

    async def _session(self, websocket: WebSocket) -> None:
        await websocket.accept()
        if self.outage:
            await websocket.close(1011)
            return
        await websocket.send_text(json.dumps({"op": 10, "d": {"heartbeat_interval": 45_000}}))
        first = json.loads(await websocket.receive_text())
        if first["op"] == 6:
            self.resumes.append(first["d"])
            if not self.session_valid or first["d"]["session_id"] != "s-1":
                await websocket.send_text(json.dumps({"op": 9, "d": False}))
                await websocket.close()
                return
            # What was sent on the lost connection after the client's last sequence comes again.
            for event in [e for e in self._sent if e["s"] > (first["d"]["seq"] or 0)]:
                await websocket.send_text(json.dumps(event))
            resumed = {"op": 0, "t": "RESUMED", "s": next(self._seq), "d": ""}
            await websocket.send_text(json.dumps(resumed))
        else:
            self.identifies.append(first["d"])
            self.session_valid = True
            self._events.clear()  # a new session never sees what happened before it
            ready = {"version": 1, "session_id": "s-1", "user": {"id": "bot-1", "bot": True}}
            await websocket.send_text(
                json.dumps({"op": 0, "t": "READY", "s": next(self._seq), "d": ready})
            )
        try:
            while not self.outage:
                while self._events and not self.outage:
                    event = self._events.pop(0)
                    self._sent.append(event)
                    await websocket.send_text(json.dumps(event))
                await asyncio.sleep(0.05)
            await websocket.close(1011)
        except (WebSocketDisconnect, RuntimeError):
            return
