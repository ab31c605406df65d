"""Finds model servers running on this machine (Ollama, LM Studio, llama.cpp server).

Used only when nothing is configured, so that `nexora serve` with Ollama running just works.
Probes are short and run in parallel; the answer is cached briefly, because a run that asks
for the default model must not wait on loopback probes each time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from nexora.config import Settings
from nexora.providers.config import ollama_openai_url

log = logging.getLogger(__name__)

PROBE_TIMEOUT_SECONDS = 0.3
CACHE_SECONDS = 15.0


@dataclass(frozen=True, slots=True)
class LocalProbe:
    """Where to look for one local server; `base_url` is its OpenAI-compatible API root."""

    preset: str
    base_url: str
    api: Literal["ollama", "openai"]

    @property
    def url(self) -> str:
        if self.api == "ollama":
            return self.base_url.removesuffix("/v1") + "/api/tags"
        return self.base_url + "/models"


@dataclass(frozen=True, slots=True)
class DetectedServer:
    preset: str
    base_url: str
    models: tuple[str, ...]


def default_probes(settings: Settings) -> list[LocalProbe]:
    """The usual loopback ports, in order of preference."""
    ollama = ollama_openai_url(settings.ollama_base_url or "http://127.0.0.1:11434")
    return [
        LocalProbe("ollama", ollama, "ollama"),
        LocalProbe("lmstudio", "http://127.0.0.1:1234/v1", "openai"),
        LocalProbe("llamacpp", "http://127.0.0.1:8080/v1", "openai"),
    ]


def _model_names(api: str, body: Any) -> tuple[str, ...]:
    if not isinstance(body, dict):
        return ()
    items = body.get("models") if api == "ollama" else body.get("data")
    if not isinstance(items, list):
        return ()
    key = "name" if api == "ollama" else "id"
    return tuple(str(i[key]) for i in items if isinstance(i, dict) and i.get(key))


class LocalDetector:
    """Probes local servers; `probes` and `clock` are injectable so tests aim it at a fake."""

    def __init__(
        self,
        probes: Sequence[LocalProbe],
        *,
        timeout: float = PROBE_TIMEOUT_SECONDS,
        cache_seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.probes = list(probes)
        self.timeout = timeout
        self.cache_seconds = cache_seconds
        self._clock = clock
        self._cached: tuple[float, list[DetectedServer]] | None = None
        self._lock = asyncio.Lock()

    async def detect(self) -> list[DetectedServer]:
        """Servers that answered with at least one model, in probe order."""
        async with self._lock:
            if self._cached and self._clock() - self._cached[0] < self.cache_seconds:
                return self._cached[1]
            found = await self._probe_all()
            self._cached = (self._clock(), found)
            return found

    async def first(self) -> DetectedServer | None:
        found = await self.detect()
        return found[0] if found else None

    def forget(self) -> None:
        self._cached = None

    async def _probe_all(self) -> list[DetectedServer]:
        if not self.probes:
            return []
        import httpx2

        # No proxy from the environment: these are loopback addresses by definition.
        async with httpx2.AsyncClient(timeout=self.timeout, trust_env=False) as client:
            results = await asyncio.gather(*(self._probe(client, p) for p in self.probes))
        return [r for r in results if r is not None]

    async def _probe(self, client: Any, probe: LocalProbe) -> DetectedServer | None:
        try:
            response = await client.get(probe.url)
            if response.status_code != 200:
                return None
            models = _model_names(probe.api, response.json())
        except Exception as exc:  # a closed port, a timeout or garbage all mean "not there"
            log.debug("no %s at %s: %s", probe.preset, probe.url, exc)
            return None
        return DetectedServer(probe.preset, probe.base_url, models) if models else None
