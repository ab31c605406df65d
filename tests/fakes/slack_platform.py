"""A fake Slack on loopback: the Web API (`auth.test`, `chat.postMessage`, `chat.update`,
`apps.connections.open`, answering `{"ok": …}` as Slack does) and a Socket Mode websocket that
says hello, sends `events_api` envelopes and records the acks."""

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

BOT_USER = "U0BOT"


@dataclass
class FakeSlack(ServedSocketFake):
    bot_token: str
    app_token: str = ""
    posted: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    acks: list[str] = field(default_factory=list)
    connections: int = 0
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _envelopes: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self._socket = LoopbackWebsocket(self._session)

    def routes(self) -> list[BaseRoute]:
        return [Route("/api/{method}", self._api, methods=["POST"])]

    @property
    def api_base(self) -> str:
        return f"{self.url}/api"

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
        self._socket.push(
            {
                "envelope_id": f"env-{next(self._envelopes)}",
                "type": "events_api",
                "accepts_response_payload": False,
                "payload": self.event_callback(event),
            }
        )

    def disconnect(self) -> None:
        """Slack's own way of rotating a connection: a `disconnect` message."""
        self._socket.push({"type": "disconnect", "reason": "refresh_requested"})

    def replies(self, method: str = "chat.postMessage") -> list[dict[str, Any]]:
        return [body for name, body in self.posted if name == method]

    async def _session(self, connection: ServerConnection) -> None:
        self.connections += 1
        await connection.send(json.dumps({"type": "hello", "num_connections": 1}))

        async def acked(frame: dict[str, Any]) -> None:
            self.acks.append(frame["envelope_id"])

        await self._socket.relay(connection, acked, last=lambda f: f.get("type") == "disconnect")

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
