"""A fake QQ bot platform on loopback: app access tokens, `/gateway`, the gateway websocket
(hello, identify, READY, heartbeat acks, message dispatches) and the passive-reply endpoints
for one-to-one chats, groups and guild channels."""

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
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from tests.fakes.asgi_server import LoopbackServer

ACCESS_TOKEN = "qq-access-token"


@dataclass
class FakeQQ:
    app_id: str
    app_secret: str
    replies: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    identifies: list[dict[str, Any]] = field(default_factory=list)
    _events: list[dict[str, Any]] = field(default_factory=list)
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        routes = [
            Route("/app/getAppAccessToken", self._token, methods=["POST"]),
            Route("/gateway", self._gateway, methods=["GET"]),
            Route("/v2/{kind}/{target}/messages", self._reply, methods=["POST"]),
            Route("/channels/{target}/messages", self._reply, methods=["POST"]),
            WebSocketRoute("/websocket", self._socket),
        ]
        self._server = LoopbackServer(Starlette(routes=routes))

    @property
    def url(self) -> str:
        return self._server.url

    def __enter__(self) -> FakeQQ:
        self._server.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.__exit__(exc_type, exc, tb)

    def dispatch(self, event: str, data: dict[str, Any]) -> None:
        self._events.append({"op": 0, "t": event, "d": data})

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
        return JSONResponse({"url": f"ws://127.0.0.1:{self._server.port}/websocket"})

    async def _reply(self, request: Request) -> JSONResponse:
        if not self._authorised(request):
            return JSONResponse({"code": 11241, "message": "wrong token"}, 401)
        self.replies.append((request.url.path, await request.json()))
        return JSONResponse({"id": f"reply-{len(self.replies)}", "timestamp": 1_763_800_000})

    async def _socket(self, websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(json.dumps({"op": 10, "d": {"heartbeat_interval": 45_000}}))
        identify = json.loads(await websocket.receive_text())
        self.identifies.append(identify["d"])
        ready = {"version": 1, "session_id": "s-1", "user": {"id": "bot-1", "bot": True}}
        await websocket.send_text(
            json.dumps({"op": 0, "t": "READY", "s": next(self._seq), "d": ready})
        )
        try:
            while True:
                while self._events:
                    event = {**self._events.pop(0), "s": next(self._seq)}
                    await websocket.send_text(json.dumps(event))
                await asyncio.sleep(0.05)
        except (WebSocketDisconnect, RuntimeError):
            return
