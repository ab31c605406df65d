"""In-process fan-out of live run events, so subscribers never wait on the database per token."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from nexora.runtime.events import Event

# A subscriber that falls this far behind is dropped; it reconnects and replays from storage.
SUBSCRIBER_BUFFER = 10_000


class Subscription:
    def __init__(self, bus: EventBus, run_id: str) -> None:
        self._bus = bus
        self.run_id = run_id
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue(SUBSCRIBER_BUFFER)
        self.overflowed = False

    def close(self) -> None:
        self._bus._unsubscribe(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class EventBus:
    def __init__(self) -> None:
        self._subscribers: defaultdict[str, set[Subscription]] = defaultdict(set)
        # Events of runs executing in this process that are not yet in the database.
        self._unpersisted: dict[str, list[Event]] = {}
        # Wakes subscribers of runs executing in other processes when new events are stored.
        self._stored: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)

    def subscribe(self, run_id: str) -> Subscription:
        subscription = Subscription(self, run_id)
        self._subscribers[run_id].add(subscription)
        return subscription

    def _unsubscribe(self, subscription: Subscription) -> None:
        subscribers = self._subscribers.get(subscription.run_id)
        if subscribers is not None:
            subscribers.discard(subscription)
            if not subscribers:
                del self._subscribers[subscription.run_id]

    def publish(self, event: Event) -> None:
        for subscription in list(self._subscribers.get(event.run_id, ())):
            try:
                subscription.queue.put_nowait(event)
            except asyncio.QueueFull:
                subscription.overflowed = True
                subscription.queue = asyncio.Queue(1)
                subscription.queue.put_nowait(None)

    def executing_here(self, run_id: str) -> bool:
        return run_id in self._unpersisted

    def unpersisted(self, run_id: str) -> list[Event]:
        return list(self._unpersisted.get(run_id, ()))

    def track(self, run_id: str) -> list[Event]:
        """Registers a run executing here; the returned list is its not-yet-stored events."""
        return self._unpersisted.setdefault(run_id, [])

    def untrack(self, run_id: str) -> None:
        self._unpersisted.pop(run_id, None)

    def notify_stored(self, run_id: str) -> None:
        waiter = self._stored.pop(run_id, None)
        if waiter is not None:
            waiter.set()

    def stored_signal(self, run_id: str) -> asyncio.Event:
        return self._stored[run_id]
