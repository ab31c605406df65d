"""The CLI's HTTP client for a running Nexora server."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx

from nexora.errors import NexoraError

RECONNECT_DELAYS = (0.2, 0.5, 1.0, 2.0, 5.0)


class RemoteError(NexoraError):
    pass


class Remote:
    def __init__(self, url: str, api_key: str | None) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=30)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise RemoteError(f"cannot reach {self.client.base_url}: {exc}") from exc
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise RemoteError(f"{response.status_code}: {detail}")
        return response.json() if response.content else None

    def events(self, run_id: str, after: int = 0) -> Iterator[dict[str, Any]]:
        """Follows a run's stream, reconnecting with Last-Event-ID when the connection drops."""
        last, failures = after, 0
        while True:
            try:
                headers = {"Last-Event-ID": str(last)} if last else {}
                with self.client.stream(
                    "GET", f"/api/runs/{run_id}/stream", headers=headers, timeout=None
                ) as response:
                    if response.status_code >= 400:
                        response.read()
                        raise RemoteError(f"{response.status_code}: {response.text}")
                    failures = 0
                    for data in _sse_data(response.iter_lines()):
                        event = json.loads(data)
                        last = event["seq"]
                        yield event
                        if event["type"] in ("run.completed", "run.failed", "run.cancelled"):
                            return
            except (httpx.TransportError, httpx.RemoteProtocolError):
                if failures >= len(RECONNECT_DELAYS):
                    raise RemoteError("lost the connection to the server") from None
                time.sleep(RECONNECT_DELAYS[failures])
                failures += 1


def _sse_data(lines: Iterator[str]) -> Iterator[str]:
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield "\n".join(data)
            data = []
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
