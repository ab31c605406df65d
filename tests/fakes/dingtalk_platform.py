"""A fake DingTalk on loopback: the Stream gateway (`connections/open`, then a websocket sending
SYSTEM pings and CALLBACK robot messages and recording the acks), a session webhook, access
tokens and the robot message API."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route
from websockets.asyncio.server import ServerConnection

from tests.fakes.ws_server import LoopbackWebsocket, ServedSocketFake

TOPIC = "/v1.0/im/bot/messages/get"


@dataclass
class FakeDingTalk(ServedSocketFake):
    client_id: str
    client_secret: str
    session_posts: list[dict[str, Any]] = field(default_factory=list)
    robot_posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    acks: list[dict[str, Any]] = field(default_factory=list)
    connections: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self._socket = LoopbackWebsocket(self._stream)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/v1.0/gateway/connections/open", self._open, methods=["POST"]),
            Route("/robot/sendBySession", self._session, methods=["POST"]),
            Route("/v1.0/oauth2/accessToken", self._token, methods=["POST"]),
            Route("/v1.0/robot/{kind}/{action}", self._robot, methods=["POST"]),
        ]

    def robot_message(
        self, text: str, msg_id: str, group: bool = False, **extra: Any
    ) -> dict[str, Any]:
        return {
            "msgtype": "text",
            "text": {"content": text},
            "msgId": msg_id,
            "createAt": int(time.time() * 1000),
            "conversationType": "2" if group else "1",
            "conversationId": "cid-group" if group else "cid-single",
            "senderId": "$:LWCP_v1:$sender",
            "senderNick": "Ada",
            "senderStaffId": "staff-7",
            "chatbotUserId": "$:LWCP_v1:$bot",
            "isInAtList": group,
            "sessionWebhook": f"{self.url}/robot/sendBySession?session=s-{msg_id}",
            "sessionWebhookExpiredTime": int(time.time() * 1000) + 3_600_000,
            **extra,
        }

    def push(self, frame: dict[str, Any]) -> None:
        self._socket.push(frame)

    def push_message(self, body: dict[str, Any]) -> str:
        message_id = f"frame-{next(self._ids)}"
        self.push(
            {
                "specVersion": "1.0",
                "type": "CALLBACK",
                "headers": {
                    "topic": TOPIC,
                    "messageId": message_id,
                    "contentType": "application/json",
                },
                "data": json.dumps(body),
            }
        )
        return message_id

    async def _stream(self, connection: ServerConnection) -> None:
        self.connections += 1

        async def acked(frame: dict[str, Any]) -> None:
            self.acks.append(frame)

        await self._socket.relay(connection, acked)

    async def _open(self, request: Request) -> JSONResponse:
        body = await request.json()
        if body.get("clientId") != self.client_id or body.get("clientSecret") != self.client_secret:
            return JSONResponse({"code": "InvalidAuthentication"}, 401)
        return JSONResponse({"endpoint": self._socket.url, "ticket": "ticket-1"})

    async def _session(self, request: Request) -> JSONResponse:
        self.session_posts.append(await request.json())
        return JSONResponse({"errcode": 0, "errmsg": "ok"})

    async def _token(self, request: Request) -> JSONResponse:
        body = await request.json()
        if body != {"appKey": self.client_id, "appSecret": self.client_secret}:
            return JSONResponse({"code": "InvalidAuthentication"}, 401)
        return JSONResponse({"accessToken": "dt-token", "expireIn": 7200})

    async def _robot(self, request: Request) -> JSONResponse:
        if request.headers.get("x-acs-dingtalk-access-token") != "dt-token":
            return JSONResponse({"code": "InvalidAuthentication"}, 401)
        path = f"{request.path_params['kind']}/{request.path_params['action']}"
        self.robot_posts.append((path, await request.json()))
        return JSONResponse({"processQueryKey": f"pqk-{next(self._ids)}"})
