"""A fake Feishu open platform on loopback for chat: tenant access tokens, the bot's info, and
the IM API (reply, create, update), answering `{"code": 0, "data": …}` as Feishu does."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from tests.fakes.asgi_server import ServedFake

BOT_OPEN_ID = "ou_bot"
TENANT_TOKEN = "t-fake-tenant-token"


@dataclass
class FakeFeishu(ServedFake):
    app_id: str
    app_secret: str
    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def routes(self) -> list[BaseRoute]:
        return [
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
