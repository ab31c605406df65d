"""A websocket server on 127.0.0.1 in a background thread, for fake platforms' gateways.

`handler(connection)` runs per connection on the server's own loop; `call(coro)` runs code
there from the test thread (to push a frame, or drop every connection)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Coroutine
from types import TracebackType
from typing import Any, TypeVar

from websockets.asyncio.server import Server, ServerConnection, serve

T = TypeVar("T")


class LoopbackWebsocket:
    def __init__(self, handler: Callable[[ServerConnection], Awaitable[None]]) -> None:
        self._handler = handler
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def __enter__(self) -> LoopbackWebsocket:
        self._thread.start()

        async def start() -> Server:
            return await serve(self._handler, "127.0.0.1", 0)

        self._server = self.call(start())
        self.port = next(iter(self._server.sockets)).getsockname()[1]
        return self

    def call(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout=10)

    def drop_all(self) -> None:
        """Closes every open connection abruptly, as a broken network would."""
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
