"""An embedder that remembers its vectors on disk, so a rerun of a retrieval benchmark does not
spend half an hour re-embedding the same turns: the vectors are the wrapped embedder's own,
stored per (embedder, passage|query, text) and read back unchanged."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from nexora.memory.embed import Embedder, Vectors


class CachedEmbedder:
    def __init__(self, inner: Embedder, folder: Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.dims = inner.dims
        self.folder = folder / inner.name
        self.folder.mkdir(parents=True, exist_ok=True)
        self.computed = 0  # texts the wrapped embedder had to embed in this process

    def _path(self, kind: str, text: str) -> Path:
        digest = hashlib.sha256(f"{kind}\0{text}".encode()).hexdigest()
        return self.folder / digest[:2] / f"{digest}.npy"

    async def _vectors(self, kind: str, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        missing: list[int] = []
        for row, text in enumerate(texts):
            path = self._path(kind, text)
            if path.is_file():
                out[row] = np.load(path)
            else:
                missing.append(row)
        if missing:
            fresh = (
                await self.inner.embed_passages([texts[r] for r in missing])
                if kind == "passage"
                else np.stack([await self.inner.embed_query(texts[r]) for r in missing])
            )
            self.computed += len(missing)
            for row, vector in zip(missing, fresh, strict=True):
                path = self._path(kind, texts[row])
                path.parent.mkdir(exist_ok=True)
                np.save(path, vector)
                out[row] = vector
        return out

    async def embed_passages(self, texts: Sequence[str]) -> Vectors:
        return await self._vectors("passage", texts)

    async def embed_query(self, text: str) -> Vectors:
        vector: Vectors = (await self._vectors("query", [text]))[0]
        return vector
