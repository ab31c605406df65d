"""Files people hand an agent: stored in its workspace under `uploads/`, through its FileGuard.

Names come from the browser, so they are reduced to a plain file name (no folders, no
leading dot that would make a hidden or denied file such as `.env`) and never overwrite
what is already there.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

import anyio.to_thread

from nexora.errors import ContentTooLarge, InvalidInput
from nexora.security.file_guard import FileGuard

UPLOAD_DIR = "uploads"
MAX_NAME_LENGTH = 120
MAX_FILES_PER_REQUEST = 20
# Room for the multipart boundaries and part headers around the files themselves.
MULTIPART_OVERHEAD = 64 * 1024

_UNSAFE = re.compile(r"[^\w.\- ]+")
_COPY_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Upload:
    """One file as received: the name its sender gave, its size and its spooled content."""

    filename: str
    size: int
    content: BinaryIO


@dataclass(frozen=True, slots=True)
class StoredUpload:
    path: str  # relative to the workspace, with forward slashes
    size: int


def safe_name(filename: str) -> str:
    """A file name that cannot leave `uploads/`, hide itself or collide with a device."""
    base = re.split(r"[/\\]", unicodedata.normalize("NFC", filename))[-1]
    cleaned = _UNSAFE.sub("_", base).strip(" .")
    stem, dot, suffix = cleaned.rpartition(".")
    if dot and len(cleaned) > MAX_NAME_LENGTH:
        suffix = suffix[:16]
        cleaned = f"{stem[: MAX_NAME_LENGTH - len(suffix) - 1]}.{suffix}"
    return cleaned[:MAX_NAME_LENGTH] or "file"


def _candidates(name: str) -> list[str]:
    """`name`, then `name-1.ext`, `name-2.ext`…: a bounded list, so a full folder ends."""
    path = PurePosixPath(name)
    return [name, *(f"{path.stem}-{n}{path.suffix}" for n in range(1, 1000))]


def _write_new(guard: FileGuard, name: str, content: BinaryIO) -> str:
    """Copies `content` to a file under `uploads/` that did not exist before; its path."""
    for candidate in _candidates(name):
        relative = f"{UPLOAD_DIR}/{candidate}"
        target = guard.resolve(relative, write=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            # "x": a concurrent upload of the same name gets the next free one, not ours.
            with target.open("xb") as out:
                content.seek(0)
                shutil.copyfileobj(content, out, _COPY_CHUNK)
        except FileExistsError:
            continue
        return relative
    raise InvalidInput(f"too many files named like {name!r} in {UPLOAD_DIR}/")


async def store_uploads(
    guard: FileGuard, uploads: Sequence[Upload], max_bytes: int
) -> list[StoredUpload]:
    """Writes every upload, or none when one is refused before writing starts."""
    if not uploads:
        raise InvalidInput("send at least one file in the 'files' field")
    if len(uploads) > MAX_FILES_PER_REQUEST:
        raise InvalidInput(f"at most {MAX_FILES_PER_REQUEST} files per upload")
    if (total := sum(u.size for u in uploads)) > max_bytes:
        raise ContentTooLarge(f"the files add up to {total} bytes; the limit is {max_bytes}")
    for upload in uploads:
        # Judged before anything is written, so a refused name leaves no half upload.
        guard.resolve(f"{UPLOAD_DIR}/{safe_name(upload.filename)}", write=True)
    stored = []
    for upload in uploads:
        name = safe_name(upload.filename)
        relative = await anyio.to_thread.run_sync(_write_new, guard, name, upload.content)
        stored.append(StoredUpload(relative, upload.size))
    return stored
