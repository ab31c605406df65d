"""A fake Feishu open platform on loopback for chat: tenant access tokens, the bot's info, the
IM API (reply, create, update), answering `{"code": 0, "data": …}` as Feishu does, and the
long connection: `/callback/ws/endpoint`, then a websocket of protobuf `pbbp2.Frame`s carrying
events (split into parts when asked) and recording the client's acks and pings."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route
from websockets.asyncio.server import ServerConnection

from tests.fakes import protobuf_wire
from tests.fakes.ws_server import LoopbackWebsocket, ServedSocketFake

BOT_OPEN_ID = "ou_bot"
TENANT_TOKEN = "t-fake-tenant-token"
SERVICE_ID = 33
CONTROL, DATA = 0, 1


def encode_frame(frame: dict[str, Any]) -> bytes:
    """`pbbp2.Frame`: SeqID 1, LogID 2, service 3, method 4, headers 5 (key 1, value 2),
    payload 8."""
    headers = [
        (5, protobuf_wire.encode([(1, key.encode()), (2, value.encode())]))
        for key, value in frame["headers"].items()
    ]
    fields: list[tuple[int, int | bytes]] = [
        (1, frame.get("SeqID", 0)),
        (2, frame.get("LogID", 0)),
        (3, frame.get("service", SERVICE_ID)),
        (4, frame["method"]),
        *headers,
    ]
    if frame.get("payload"):
        fields.append((8, frame["payload"]))
    return protobuf_wire.encode(fields)


def _bytes(value: int | bytes) -> bytes:
    assert isinstance(value, bytes), "a length-delimited field"
    return value


def decode_frame(raw: str | bytes) -> dict[str, Any]:
    assert isinstance(raw, bytes), "Feishu frames are binary"
    fields = protobuf_wire.decode(raw)
    headers = {}
    for header in fields.get(5, []):
        pair = protobuf_wire.decode(_bytes(header))
        headers[_bytes(pair[1][0]).decode()] = _bytes(pair[2][0]).decode()
    return {
        "SeqID": fields[1][0],
        "LogID": fields[2][0],
        "service": fields[3][0],
        "method": fields[4][0],
        "headers": headers,
        "payload": fields.get(8, [b""])[0],
    }


@dataclass
class FakeFeishu(ServedSocketFake):
    app_id: str
    app_secret: str
    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    ping_seconds: int = 120
    received: list[dict[str, Any]] = field(default_factory=list)
    connections: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self._socket = LoopbackWebsocket(self._stream)

    def push_event(self, event: dict[str, Any], parts: int = 1) -> str:
        """Sends an event over the long connection, split into `parts` frames."""
        frame_id = f"frame-{next(self._ids)}"
        payload = json.dumps(event).encode()
        size = -(-len(payload) // parts)
        for seq in range(parts):
            headers = {
                "type": "event",
                "message_id": frame_id,
                "sum": str(parts),
                "seq": str(seq),
                "trace_id": f"trace-{frame_id}",
            }
            chunk = payload[seq * size : (seq + 1) * size]
            self._socket.push(
                {"SeqID": seq + 1, "method": DATA, "headers": headers, "payload": chunk}
            )
        return frame_id

    def acks(self) -> dict[str, dict[str, Any]]:
        return {f["headers"]["message_id"]: f for f in self.received if f["method"] == DATA}

    def pings(self) -> list[dict[str, Any]]:
        return [f for f in self.received if f["headers"].get("type") == "ping"]

    def drop_connections(self) -> None:
        self._socket.drop_all()

    async def _stream(self, connection: ServerConnection) -> None:
        assert connection.request is not None
        assert f"service_id={SERVICE_ID}" in connection.request.path
        self.connections += 1

        async def received(frame: dict[str, Any]) -> None:
            self.received.append(frame)

        await self._socket.relay(connection, received, encode=encode_frame, decode=decode_frame)

    async def _endpoint(self, request: Request) -> JSONResponse:
        body = await request.json()
        if body != {"AppID": self.app_id, "AppSecret": self.app_secret}:
            return JSONResponse({"code": 1000040343, "msg": "app secret invalid"})
        url = f"{self._socket.url}/ws?device_id=d-{self.connections + 1}&service_id={SERVICE_ID}"
        settings = {
            "ReconnectCount": -1,
            "ReconnectInterval": 120,
            "ReconnectNonce": 30,
            "PingInterval": self.ping_seconds,
        }
        return JSONResponse(
            {"code": 0, "msg": "ok", "data": {"URL": url, "ClientConfig": settings}}
        )

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/callback/ws/endpoint", self._endpoint, methods=["POST"]),
            Route("/open-apis/auth/v3/tenant_access_token/internal", self._token, methods=["POST"]),
            Route("/open-apis/bot/v3/info", self._bot, methods=["GET"]),
            Route("/open-apis/im/v1/messages/{message_id}/reply", self._reply, methods=["POST"]),
            Route("/open-apis/im/v1/messages", self._create, methods=["POST"]),
            Route("/open-apis/im/v1/messages/{message_id}", self._update, methods=["PATCH"]),
        ]

    def sent(self, kind: str = "reply") -> list[tuple[str, dict[str, Any]]]:
        return [(target, body) for name, target, body in self.calls if name == kind]

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {TENANT_TOKEN}"

    async def _token(self, request: Request) -> JSONResponse:
        body = await request.json()
        if body != {"app_id": self.app_id, "app_secret": self.app_secret}:
            return JSONResponse({"code": 10014, "msg": "app secret invalid"})
        return JSONResponse(
            {"code": 0, "msg": "ok", "tenant_access_token": TENANT_TOKEN, "expire": 7200}
        )

    async def _bot(self, request: Request) -> JSONResponse:
        if not self._authorised(request):
            return JSONResponse({"code": 99991663, "msg": "invalid token"})
        return JSONResponse({"code": 0, "msg": "ok", "bot": {"open_id": BOT_OPEN_ID}})

    async def _record(self, request: Request, kind: str, target: str) -> JSONResponse:
        if not self._authorised(request):
            return JSONResponse({"code": 99991663, "msg": "invalid token"})
        body = await request.json()
        self.calls.append((kind, target, body))
        message_id = target if kind == "update" else f"om_{next(self._ids)}"
        return JSONResponse({"code": 0, "msg": "success", "data": {"message_id": message_id}})

    async def _reply(self, request: Request) -> JSONResponse:
        return await self._record(request, "reply", request.path_params["message_id"])

    async def _create(self, request: Request) -> JSONResponse:
        return await self._record(request, "create", request.query_params["receive_id_type"])

    async def _update(self, request: Request) -> JSONResponse:
        return await self._record(request, "update", request.path_params["message_id"])
