"""A websocket server on 127.0.0.1 in a background thread, for fake platforms' gateways.

`handler(connection)` runs per connection on the server's own loop. Frames the test queues
with `push` are sent by `relay`, which also hands every frame received to a callback, until
the connection closes; `drop_all` aborts every connection, as a broken network would."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Awaitable, Callable, Coroutine
from types import TracebackType
from typing import Any, Self, TypeVar

from websockets.asyncio.server import Server, ServerConnection, serve

from tests.fakes.asgi_server import ServedFake

T = TypeVar("T")
Frame = dict[str, Any]
Encode = Callable[[Frame], str | bytes]
Decode = Callable[[str | bytes], Frame]


class LoopbackWebsocket:
    def __init__(self, handler: Callable[[ServerConnection], Awaitable[None]]) -> None:
        self._handler = handler
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: Server | None = None
        self._queue: asyncio.Queue[Frame] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def __enter__(self) -> LoopbackWebsocket:
        self._thread.start()

        async def start() -> Server:
            self._queue = asyncio.Queue()
            return await serve(self._handler, "127.0.0.1", 0)

        self._server = self.call(start())
        self.port = next(iter(self._server.sockets)).getsockname()[1]
        return self

    def call(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout=10)

    def push(self, frame: Frame) -> None:
        """Queues a frame for the open (or next) connection."""
        queue = self._queue
        assert queue is not None
        self._loop.call_soon_threadsafe(queue.put_nowait, frame)

    async def relay(
        self,
        connection: ServerConnection,
        received: Callable[[Frame], Awaitable[None]],
        last: Callable[[Frame], bool] = lambda frame: False,
        encode: Encode = json.dumps,
        decode: Decode = json.loads,
    ) -> None:
        """Sends queued frames (closing after one that is `last`) and hands each frame received
        to `received`, until the connection closes. Frames are JSON unless `encode` and
        `decode` say otherwise."""
        queue = self._queue
        assert queue is not None

        async def read() -> None:
            async for raw in connection:
                await received(decode(raw))

        reader = asyncio.ensure_future(read())
        try:
            while True:
                getter = asyncio.ensure_future(queue.get())
                await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
                if not getter.done():  # the connection closed first
                    getter.cancel()
                    return
                frame = getter.result()
                await connection.send(encode(frame))
                if last(frame):
                    await connection.close()
                    return
        finally:
            reader.cancel()

    def drop_all(self) -> None:
        server = self._server

        async def drop() -> None:
            if server is not None:
                for connection in list(server.connections):
                    connection.transport.abort()

        self.call(drop())

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        server = self._server

        async def stop() -> None:
            if server is not None:
                server.close()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(server.wait_closed(), 5)

        self.call(stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


class ServedSocketFake(ServedFake):
    """A fake platform with a websocket gateway beside its HTTP routes, both up while it is
    entered; the subclass makes `_socket` (in `__post_init__`)."""

    _socket: LoopbackWebsocket

    def __enter__(self) -> Self:
        self._socket.__enter__()
        return super().__enter__()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        super().__exit__(exc_type, exc, tb)
        self._socket.__exit__(exc_type, exc, tb)
