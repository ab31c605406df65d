"""A fake Mattermost server on loopback: REST (`/users/me`, create and patch posts) and the
websocket at `/api/v4/websocket` with its authentication challenge, `hello` and `posted`
events (whose `post` and `mentions` are JSON strings, as Mattermost sends them)."""

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

BOT = {"id": "botuserid0000000000000000a", "username": "nexora"}


@dataclass
class FakeMattermost:
    token: str
    posts: list[dict[str, Any]] = field(default_factory=list)
    patches: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    logins: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _events: list[dict[str, Any]] = field(default_factory=list)
    _sockets: list[WebSocket] = field(default_factory=list)

    def __post_init__(self) -> None:
        routes = [
            Route("/api/v4/users/me", self._me, methods=["GET"]),
            Route("/api/v4/posts", self._create, methods=["POST"]),
            Route("/api/v4/posts/{post_id}/patch", self._patch, methods=["PUT"]),
            WebSocketRoute("/api/v4/websocket", self._socket),
        ]
        self._server = LoopbackServer(Starlette(routes=routes))

    @property
    def url(self) -> str:
        return self._server.url

    def __enter__(self) -> FakeMattermost:
        self._server.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.__exit__(exc_type, exc, tb)

    def post(
        self,
        message: str,
        post_id: str,
        channel_type: str = "D",
        mention: bool = False,
        root_id: str = "",
    ) -> None:
        """Queues a `posted` event for the open (or next) websocket."""
        post = {
            "id": post_id,
            "user_id": "user-ada",
            "channel_id": "chan-1",
            "root_id": root_id,
            "message": message,
            "type": "",
        }
        self._events.append(
            {
                "event": "posted",
                "data": {
                    "channel_type": channel_type,
                    "post": json.dumps(post),
                    "sender_name": "@ada",
                    "mentions": json.dumps([BOT["id"]] if mention else []),
                },
                "broadcast": {"channel_id": "chan-1"},
            }
        )

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.token}"

    async def _me(self, request: Request) -> JSONResponse:
        if not self._authorised(request):
            return JSONResponse({"id": "api.context.session_expired.app_error"}, 401)
        return JSONResponse(BOT)

    async def _create(self, request: Request) -> JSONResponse:
        if not self._authorised(request):
            return JSONResponse({"id": "api.context.session_expired.app_error"}, 401)
        body = await request.json()
        self.posts.append(body)
        return JSONResponse({"id": f"reply-{next(self._ids)}", **body}, 201)

    async def _patch(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.patches.append((request.path_params["post_id"], body))
        return JSONResponse({"id": request.path_params["post_id"], **body})

    async def _socket(self, websocket: WebSocket) -> None:
        await websocket.accept()
        challenge = json.loads(await websocket.receive_text())
        ok = challenge.get("data", {}).get("token") == self.token
        await websocket.send_text(
            json.dumps({"status": "OK" if ok else "FAIL", "seq_reply": challenge.get("seq")})
        )
        if not ok:
            await websocket.close()
            return
        self.logins += 1
        await websocket.send_text(json.dumps({"event": "hello", "data": {"server_version": "9"}}))
        try:
            while True:
                while self._events:
                    await websocket.send_text(json.dumps(self._events.pop(0)))
                await asyncio.sleep(0.05)
        except (WebSocketDisconnect, RuntimeError):
            return
