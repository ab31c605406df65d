"""One input through the whole way: loaded as a document, chunked, stored."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nexora.config import Settings
from nexora.memory.ingest.chunker import ChunkSettings, chunk_document
from nexora.memory.ingest.document import UnreadableDocument
from nexora.memory.ingest.loader import DocumentLoader
from nexora.memory.ingest.sources import Input, describe
from nexora.memory.ingest.store import BatchDone, Stored, store_document
from nexora.memory.items import MemoryItems
from nexora.storage.db import Database

if TYPE_CHECKING:
    from nexora.memory.ingest.runner import IngestRequest


async def ingest_document(
    db: Database,
    items: MemoryItems,
    settings: Settings,
    loader: DocumentLoader,
    item: Input,
    request: IngestRequest,
    on_batch: BatchDone,
) -> Stored:
    document = await loader.load(item)
    chunks = chunk_document(
        document, ChunkSettings(settings.ingest_chunk_chars, settings.ingest_chunk_overlap)
    )
    if not chunks:
        # Not a new, empty version to retire the old one over: most often a scanned PDF.
        raise UnreadableDocument(
            f"{describe(item)} has no text to ingest (a scanned PDF needs ingest_pdf_parser=mineru)"
        )
    return await store_document(
        db,
        items,
        request.owner,
        document,
        chunks,
        actor_id=request.actor_id,
        on_batch=on_batch,
    )
