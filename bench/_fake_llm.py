"""An instant OpenAI-compatible model server for the runtime benchmark, run as its own process.

It speaks the Chat Completions wire format over raw asyncio HTTP/1.1 (keep-alive, chunked
streaming): `POST /v1/chat/completions` (SSE chunks with `choices[].delta.content`, a usage
chunk when `stream_options.include_usage` is set, `data: [DONE]`; or one JSON body with usage)
and `GET /v1/models`. The reply is fixed: 20 chunks, about 40 tokens, written without delay.

Every completion is recorded with CLOCK_MONOTONIC timestamps (system-wide on Linux, so the
benchmark can compare them with its own `time.monotonic()`): when the request line arrived, when
the first content chunk was written and when the last byte was written, plus the last user
message, so the benchmark can match requests to turns and subtract the provider's own time.
`GET /_bench/requests?after=N` returns the records from index N on.

    python bench/_fake_llm.py --port 8123
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import time
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

MODEL_ID = "fake-model"
REPLY_CHUNKS = [
    "Hello", "! I am", " a fake", " model", " that", " answers", " at once", " so the",
    " benchmark", " can", " measure", " what", " the agent", " platform", " itself", " adds",
    " to each", " chat", " turn", ".",
]  # fmt: skip
REPLY = "".join(REPLY_CHUNKS)
COMPLETION_TOKENS = 40
MAX_BODY = 32 * 1024 * 1024
TAG = re.compile(rb"benchturn-[0-9a-z_]+-[0-9]+")


@dataclass
class Record:
    """One completion request as the fake saw it; times are `time.monotonic()` seconds."""

    index: int
    path: str
    stream: bool
    received: float  # request line read
    first_chunk: float  # first content chunk written (= done for non-streaming)
    done: float  # last byte written
    wall_received: float  # time.time() at `received`, to compare with server timestamps
    request_bytes: int
    messages: int
    tools: int
    tags: list[str]  # every `benchturn-…` marker in the body, to match requests to turns
    last_user: str


class FakeLLM:
    def __init__(self) -> None:
        self.records: list[Record] = []
        self.counter = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await self._one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        line = await reader.readline()
        if not line:
            return False
        received, wall = time.monotonic(), time.time()
        method, target, _version = line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while True:
            raw = await reader.readline()
            if raw in (b"\r\n", b"\n", b""):
                break
            name, _, value = raw.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await _read_body(reader, headers)
        keep_alive = headers.get("connection", "").lower() != "close"
        url = urlsplit(target)
        if method == "POST" and url.path.endswith("/chat/completions"):
            await self._completion(writer, url.path, body, received, wall)
        elif method == "GET" and url.path.endswith("/models"):
            data = {"object": "list", "data": [{"id": MODEL_ID, "object": "model",
                    "created": 0, "owned_by": "bench"}]}  # fmt: skip
            await _send_json(writer, 200, data)
        elif method == "GET" and url.path == "/_bench/requests":
            after = int(parse_qs(url.query).get("after", ["0"])[0])
            records = [asdict(r) for r in self.records[after:]]
            await _send_json(writer, 200, {"records": records, "next": len(self.records)})
        else:
            await _send_json(writer, 404, {"error": {"message": f"no route {method} {url.path}"}})
        return keep_alive

    async def _completion(
        self, writer: asyncio.StreamWriter, path: str, body: bytes, received: float, wall: float
    ) -> None:
        try:
            request = json.loads(body)
            messages = list(request.get("messages") or [])
        except (ValueError, AttributeError):
            await _send_json(writer, 400, {"error": {"message": "body is not a JSON object"}})
            return
        self.counter += 1
        cid = f"chatcmpl-fake-{self.counter}"
        model = str(request.get("model") or MODEL_ID)
        usage = {
            "prompt_tokens": max(1, len(body) // 4),
            "completion_tokens": COMPLETION_TOKENS,
            "total_tokens": max(1, len(body) // 4) + COMPLETION_TOKENS,
        }
        stream = bool(request.get("stream"))
        if stream:
            wants_usage = bool((request.get("stream_options") or {}).get("include_usage"))
            first = await _stream(writer, cid, model, usage if wants_usage else None)
        else:
            reply = {
                "id": cid, "object": "chat.completion", "created": int(wall), "model": model,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": REPLY}}],
                "usage": usage,
            }  # fmt: skip
            await _send_json(writer, 200, reply)
            first = time.monotonic()
        done = time.monotonic()
        self.records.append(
            Record(
                index=len(self.records),
                path=path,
                stream=stream,
                received=received,
                first_chunk=first,
                done=done,
                wall_received=wall,
                request_bytes=len(body),
                messages=len(messages),
                tools=len(request.get("tools") or []),
                tags=sorted({t.decode() for t in TAG.findall(body)}),
                last_user=_last_user(messages)[:200],
            )
        )


def _last_user(messages: list[Any]) -> str:
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                await reader.readline()
                return b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
    length = int(headers.get("content-length", "0") or 0)
    if length > MAX_BODY:
        raise ValueError("body too large")
    return await reader.readexactly(length) if length else b""


async def _send_json(writer: asyncio.StreamWriter, status: int, data: Any) -> None:
    payload = json.dumps(data).encode()
    head = (
        f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    )
    writer.write(head.encode() + payload)
    await writer.drain()


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


async def _stream(
    writer: asyncio.StreamWriter, cid: str, model: str, usage: dict[str, int] | None
) -> float:
    """Writes the SSE reply one event at a time; returns when the first content was written."""
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
        "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    created = int(time.time())

    def event(choices: list[dict[str, Any]], extra: dict[str, Any] | None = None) -> bytes:
        body = {"id": cid, "object": "chat.completion.chunk", "created": created,
                "model": model, "choices": choices, **(extra or {})}  # fmt: skip
        return _chunk(b"data: " + json.dumps(body).encode() + b"\n\n")

    writer.write(head.encode())
    first = 0.0
    for i, text in enumerate(REPLY_CHUNKS):
        delta: dict[str, str] = {"content": text}
        if i == 0:
            delta["role"] = "assistant"
        writer.write(event([{"index": 0, "delta": delta, "finish_reason": None}]))
        await writer.drain()
        if i == 0:
            first = time.monotonic()
    writer.write(event([{"index": 0, "delta": {}, "finish_reason": "stop"}]))
    if usage is not None:
        writer.write(event([], {"usage": usage}))
    writer.write(_chunk(b"data: [DONE]\n\n") + b"0\r\n\r\n")
    await writer.drain()
    return first


async def serve(port: int) -> None:
    fake = FakeLLM()
    server = await asyncio.start_server(fake.handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.run(serve(args.port))
    except ImportError:
        asyncio.run(serve(args.port))


if __name__ == "__main__":
    main()
