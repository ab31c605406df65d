"""A small server-sent-events reader for tests: parses the wire format as a browser would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class SseEvent:
    id: str | None
    event: str | None
    data: str

    @property
    def json(self) -> Any:
        return json.loads(self.data)


def parse(lines: Iterator[str]) -> Iterator[SseEvent]:
    event_id: str | None = None
    event_type: str | None = None
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:
                yield SseEvent(event_id, event_type, "\n".join(data))
            event_id, event_type, data = None, None, []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "id":
            event_id = value
        elif field == "event":
            event_type = value
        elif field == "data":
            data.append(value)


def stream(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    json_body: Any = None,
    stop_after: int | None = None,
    until: str | None = None,
) -> list[SseEvent]:
    """Reads events until the server closes the stream, `stop_after` events, or an event of
    type `until`."""
    events: list[SseEvent] = []
    with client.stream(method, url, headers=headers, json=json_body, timeout=30) as response:
        assert response.status_code == 200, response.read().decode()
        assert response.headers["content-type"].startswith("text/event-stream")
        for event in parse(response.iter_lines()):
            events.append(event)
            if stop_after is not None and len(events) >= stop_after:
                break
            if until is not None and event.event == until:
                break
    return events
