"""A fake OpenAI-compatible model server: real HTTP on 127.0.0.1, the real wire format.

Use it wherever code talks to a chat model over the network (providers, the agent runtime):

    with FakeOpenAIServer() as fake:
        fake.reply_tool_call("get_weather", {"city": "Paris"})
        fake.reply_text("It is sunny.", usage=(42, 7))
        ...  # point a provider at fake.base_url ("http://127.0.0.1:<port>/v1")
        assert len(fake.chat_requests) == 2

Each chat completion request takes the next scripted reply from a queue (or `default` when the
queue is empty), unless a rule added with `answer_when(predicate, respond)` claims it first:
rules answer requests by their content (a background summary or extraction call, whenever it
comes) and answers it as JSON or, when the request has `"stream": true`, as
server-sent events: `choices[].delta` text pieces, tool-call deltas (id and name first, then
argument fragments), a usage chunk when `stream_options.include_usage` is set, then
`data: [DONE]`. Replies can also be errors (`reply_error(429, retry_after=1)`) or slow
(`delay=`), to exercise retries and timeouts. Every request is recorded in `requests`.

It also serves `GET /v1/models` and Ollama's `GET /api/tags`, so local-model detection can
be aimed at it.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import count
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any]
    id: str | None = None


@dataclass(frozen=True)
class Reply:
    """One scripted answer: text and/or tool calls, or an HTTP error status."""

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    usage: tuple[int, int] = (10, 5)  # (prompt_tokens, completion_tokens)
    chunks: tuple[str, ...] | None = None  # how to split `text` when streaming
    status: int = 200
    error_message: str = "scripted error"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (for timeouts)
    chunk_delay: float = 0.0  # seconds between streamed pieces (an answer that takes a while)


Responder = Callable[[dict[str, Any]], Reply]


def mentions(text: str) -> Callable[[dict[str, Any]], bool]:
    """A predicate for `answer_when`: the request's messages contain `text`."""
    return lambda body: text in json.dumps(body.get("messages", []), ensure_ascii=False)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any

    @property
    def json(self) -> dict[str, Any]:
        assert isinstance(self.body, dict), self.body
        return self.body


class FakeOpenAIServer:
    """Scriptable OpenAI-compatible server in a background thread; see the module docstring."""

    def __init__(
        self,
        models: Sequence[str] = ("fake-model",),
        *,
        default: Reply | None = Reply(text="ok"),
    ) -> None:
        self.models = list(models)
        self.default = default
        self.requests: list[RecordedRequest] = []
        self._replies: deque[Reply] = deque()
        self._rules: list[tuple[Callable[[dict[str, Any]], bool], Responder]] = []
        self._ids = count(1)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self.port = 0

    # -- scripting -------------------------------------------------------------------------

    def reply(self, reply: Reply) -> None:
        self._replies.append(reply)

    def answer_when(self, predicate: Callable[[dict[str, Any]], bool], respond: Responder) -> None:
        """Requests whose JSON body matches `predicate` are answered by `respond(body)`."""
        self._rules.append((predicate, respond))

    def reply_text(
        self, text: str, *, usage: tuple[int, int] = (10, 5), chunks: Sequence[str] | None = None
    ) -> None:
        self.reply(Reply(text=text, usage=usage, chunks=tuple(chunks) if chunks else None))

    def reply_tool_call(
        self,
        name: str,
        arguments: dict[str, Any],
        *,
        call_id: str | None = None,
        usage: tuple[int, int] = (10, 5),
    ) -> None:
        self.reply(Reply(tool_calls=(ToolCall(name, arguments, call_id),), usage=usage))

    def reply_error(
        self, status: int, *, retry_after: float | None = None, message: str = "scripted error"
    ) -> None:
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        self.reply(Reply(status=status, error_message=message, headers=headers))

    def reply_slow(self, delay: float, text: str = "late") -> None:
        self.reply(Reply(text=text, delay=delay))

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible API root, as a provider's `base_url`."""
        return f"{self.url}/v1"

    def start(self) -> FakeOpenAIServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._app(), log_level="warning", lifespan="off", timeout_graceful_shutdown=1
        )
        self._server = uvicorn.Server(config)
        self._sock = sock
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("fake OpenAI server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._sock is not None:
            self._sock.close()

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- the HTTP side ---------------------------------------------------------------------

    def _app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/models", self._list_models, methods=["GET"]),
                Route("/api/tags", self._ollama_tags, methods=["GET"]),
            ]
        )

    async def _record(self, request: Request) -> Any:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw.decode(errors="replace")
        self.requests.append(
            RecordedRequest(request.method, request.url.path, dict(request.headers), body)
        )
        return body

    async def _list_models(self, request: Request) -> Response:
        await self._record(request)
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in self.models]
        return JSONResponse({"object": "list", "data": data})

    async def _ollama_tags(self, request: Request) -> Response:
        await self._record(request)
        return JSONResponse({"models": [{"name": m, "model": m, "size": 1} for m in self.models]})

    async def _chat(self, request: Request) -> Response:
        body = await self._record(request)
        routed = next((respond for match, respond in self._rules if match(body)), None)
        if routed is not None:
            reply: Reply | None = routed(body)
        else:
            reply = self._replies.popleft() if self._replies else self.default
        if reply is None:
            return _error(500, "the fake server has no scripted reply left", {})
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.status != 200:
            return _error(reply.status, reply.error_message, reply.headers)
        model = str(body.get("model", "fake-model"))
        completion_id = f"chatcmpl-{next(self._ids)}"
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            events = _stream_events(reply, completion_id, model, include_usage)
            return StreamingResponse(events, media_type="text/event-stream")
        return JSONResponse(_completion(reply, completion_id, model))


def _error(status: int, message: str, headers: dict[str, str]) -> Response:
    kind = "rate_limit_error" if status == 429 else "server_error" if status >= 500 else "invalid"
    body = {"error": {"message": message, "type": kind, "code": None, "param": None}}
    return JSONResponse(body, status_code=status, headers=headers)


def _usage(reply: Reply) -> dict[str, int]:
    prompt, completion = reply.usage
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _tool_call_id(call: ToolCall, index: int) -> str:
    return call.id or f"call_{index}"


def _completion(reply: Reply, completion_id: str, model: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": _tool_call_id(call, i),
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
            }
            for i, call in enumerate(reply.tool_calls)
        ]
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if reply.tool_calls else "stop",
            }
        ],
        "usage": _usage(reply),
    }


def _chunks(reply: Reply) -> Iterator[dict[str, Any]]:
    """The `delta`s of a streamed reply, in the order OpenAI sends them."""
    yield {"role": "assistant", "content": ""}
    pieces = reply.chunks if reply.chunks is not None else _split_words(reply.text)
    for piece in pieces:
        yield {"content": piece}
    for i, call in enumerate(reply.tool_calls):
        opening = {"id": _tool_call_id(call, i), "type": "function"}
        yield {
            "tool_calls": [
                {"index": i, **opening, "function": {"name": call.name, "arguments": ""}}
            ]
        }
        arguments = json.dumps(call.arguments)
        # Arguments arrive in fragments that are not valid JSON on their own.
        for start in range(0, len(arguments), 8):
            fragment = arguments[start : start + 8]
            yield {"tool_calls": [{"index": i, "function": {"arguments": fragment}}]}


def _split_words(text: str) -> list[str]:
    words = text.split(" ")
    return [w if i == len(words) - 1 else w + " " for i, w in enumerate(words)] if text else []


async def _stream_events(
    reply: Reply, completion_id: str, model: str, include_usage: bool
) -> AsyncIterator[str]:
    base = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
    }

    def event(payload: dict[str, Any]) -> str:
        return f"data: {json.dumps({**base, **payload})}\n\n"

    for delta in _chunks(reply):
        if reply.chunk_delay:
            await asyncio.sleep(reply.chunk_delay)
        yield event({"choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
    finish = "tool_calls" if reply.tool_calls else "stop"
    yield event({"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    if include_usage:
        yield event({"choices": [], "usage": _usage(reply)})
    yield "data: [DONE]\n\n"
