"""Embedders that call a provider's embeddings API over HTTP.

The transport (client, batching, retries, normalisation) lives here; each provider module owns
only its wire format: where to post, what to send and how to read the answer."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

import httpx
import numpy as np

from nexora import __version__
from nexora.memory.embed import EmbedderError

if TYPE_CHECKING:
    from nexora.config import Settings
    from nexora.memory.embed import Vectors

Task = Literal["passage", "query"]
TIMEOUT_SECONDS = 60.0
MAX_ATTEMPTS = 3
_RETRYABLE = {408, 409, 429, 500, 502, 503, 504}


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where and as whom one embedder calls, and which model and size it asks for."""

    base_url: str
    model: str
    api_key: str | None
    dims: int | None


@dataclass(frozen=True, slots=True)
class Request:
    url: str
    body: dict[str, Any]
    headers: dict[str, str]


class WireFormat(Protocol):
    """One provider's embeddings API."""

    max_batch: int

    def default_url(self, settings: Settings) -> str: ...

    def api_key(self, settings: Settings) -> str | None: ...

    def request(self, endpoint: Endpoint, texts: list[str], task: Task) -> Request: ...

    def vectors(self, answer: Any) -> list[list[float]]: ...


# Dimensions of well-known models, so `dims` is known before the first call; others are
# learnt from the first answer (or set with NEXORA_EMBEDDER_DIMS).
KNOWN_DIMS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
    "text-embedding-v3": 1024,
    "text-embedding-v4": 1024,
    "text-embedding-004": 768,
    "gemini-embedding-001": 3072,
    "bge-m3": 1024,
    "nomic-embed-text": 768,
    "mxbai-embed-large": 1024,
}


class HttpEmbedder:
    """Batches texts to the provider's limit, retries what is worth retrying, L2-normalises."""

    def __init__(
        self,
        provider: str,
        model: str,
        wire: WireFormat,
        *,
        base_url: str,
        api_key: str | None,
        batch_size: int,
        dims: int | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._provider, self._model, self._wire = provider, model, wire
        self._endpoint = Endpoint(base_url.rstrip("/"), model, api_key, dims)
        self._batch = max(1, min(batch_size, wire.max_batch))
        self._requested_dims = dims
        self._dims = dims or KNOWN_DIMS.get(model, 0)
        self._transport = transport

    @property
    def name(self) -> str:
        # A requested size is a different vector space from the model's full one.
        base = f"{self._provider}:{self._model}"
        return f"{base}/{self._requested_dims}" if self._requested_dims else base

    @property
    def dims(self) -> int:
        return self._dims

    async def embed_passages(self, texts: Sequence[str]) -> Vectors:
        return await self._embed(list(texts), "passage")

    async def embed_query(self, text: str) -> Vectors:
        vectors = await self._embed([text], "query")
        query: Vectors = vectors[0]
        return query

    async def _embed(self, texts: list[str], task: Task) -> Vectors:
        if not texts:
            return np.zeros((0, self._dims), dtype=np.float32)
        rows: list[list[float]] = []
        async with httpx.AsyncClient(
            transport=self._transport,
            timeout=httpx.Timeout(TIMEOUT_SECONDS, connect=10.0),
            headers={"User-Agent": f"nexora/{__version__}"},
        ) as client:
            for start in range(0, len(texts), self._batch):
                batch = texts[start : start + self._batch]
                answer = await self._post(client, batch, task)
                vectors = self._wire.vectors(answer)
                if len(vectors) != len(batch):
                    raise EmbedderError(
                        f"{self.name}: {len(vectors)} embeddings for {len(batch)} texts"
                    )
                rows.extend(vectors)
        matrix = np.asarray(rows, dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        matrix /= np.where(norms == 0, 1.0, norms)
        self._dims = int(matrix.shape[1])
        return matrix

    async def _post(self, client: httpx.AsyncClient, texts: list[str], task: Task) -> Any:
        request = self._wire.request(self._endpoint, texts, task)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                response = await client.post(
                    request.url, json=request.body, headers=request.headers
                )
            except httpx.HTTPError as exc:
                if attempt == MAX_ATTEMPTS:
                    raise EmbedderError(f"{self.name}: {exc.__class__.__name__}: {exc}") from exc
            else:
                if response.is_success:
                    try:
                        return response.json()
                    except ValueError as exc:
                        raise EmbedderError(f"{self.name}: the answer is not JSON") from exc
                if response.status_code not in _RETRYABLE or attempt == MAX_ATTEMPTS:
                    raise EmbedderError(
                        f"{self.name}: HTTP {response.status_code}: {response.text[:300]}"
                    )
            await asyncio.sleep(0.5 * 2 ** (attempt - 1))
        raise AssertionError("unreachable")  # pragma: no cover


def bearer(key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key else {}


def remote_embedder(
    provider: str,
    model: str,
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> HttpEmbedder:
    """The embedder of `provider` ("openai", "ollama", "dashscope", "gemini") for `model`."""
    wire: WireFormat = importlib.import_module(f"nexora.memory.embed.{provider}").WIRE
    key = settings.embedder_api_key.get_secret_value() if settings.embedder_api_key else None
    return HttpEmbedder(
        provider,
        model,
        wire,
        base_url=settings.embedder_url or wire.default_url(settings),
        api_key=key or wire.api_key(settings),
        batch_size=settings.embedder_batch_size,
        dims=settings.embedder_dims,
        transport=transport,
    )
