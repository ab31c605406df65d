"""A fake WeCom API on loopback: `gettoken` and `message/send`, answering `errcode` as WeCom
does."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.asgi_server import LoopbackServer


@dataclass
class FakeWeCom:
    corp_id: str
    secret: str
    sent: list[dict[str, Any]] = field(default_factory=list)
    token_requests: int = 0

    def __post_init__(self) -> None:
        routes = [
            Route("/cgi-bin/gettoken", self._token, methods=["GET"]),
            Route("/cgi-bin/message/send", self._send, methods=["POST"]),
        ]
        self._server = LoopbackServer(Starlette(routes=routes))

    @property
    def url(self) -> str:
        return self._server.url

    def __enter__(self) -> FakeWeCom:
        self._server.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.__exit__(exc_type, exc, tb)

    async def _token(self, request: Request) -> JSONResponse:
        self.token_requests += 1
        query = request.query_params
        if query.get("corpid") != self.corp_id or query.get("corpsecret") != self.secret:
            return JSONResponse({"errcode": 40001, "errmsg": "invalid credential"})
        return JSONResponse(
            {"errcode": 0, "errmsg": "ok", "access_token": "wecom-token", "expires_in": 7200}
        )

    async def _send(self, request: Request) -> JSONResponse:
        if request.query_params.get("access_token") != "wecom-token":
            return JSONResponse({"errcode": 40014, "errmsg": "invalid access_token"})
        self.sent.append(await request.json())
        return JSONResponse({"errcode": 0, "errmsg": "ok", "msgid": f"msg-{len(self.sent)}"})
