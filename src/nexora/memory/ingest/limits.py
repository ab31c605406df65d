"""How much one ingestion may read: the file, what an Office zip expands to, and the text.

A zip's member sizes are declared in its directory, and Python's zipfile never returns more
than the declared size, so adding them up bounds what a zip bomb can make us inflate."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from nexora.errors import ContentTooLarge
from nexora.memory.ingest.document import UnreadableDocument

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class IngestLimits:
    max_bytes: int = 50 * MIB  # one file as stored or downloaded
    max_expanded_bytes: int = 200 * MIB  # all members of an Office file, uncompressed
    max_members: int = 10_000  # entries in an Office file
    max_chars: int = 5_000_000  # text of one document
    max_files: int = 10_000  # files taken from one folder

    def check_size(self, name: str, size: int) -> None:
        if size > self.max_bytes:
            raise ContentTooLarge(
                f"{name} is {size} bytes; the limit for one document is {self.max_bytes}"
            )

    def check_archive(self, name: str, path: Path) -> None:
        try:
            with zipfile.ZipFile(path) as archive:
                members = archive.infolist()
        except zipfile.BadZipFile as exc:
            raise UnreadableDocument(f"{name} is not a valid Office file: {exc}") from exc
        if len(members) > self.max_members:
            raise ContentTooLarge(
                f"{name} holds {len(members)} entries; at most {self.max_members}"
            )
        expanded = sum(info.file_size for info in members)
        if expanded > self.max_expanded_bytes:
            raise ContentTooLarge(
                f"{name} expands to {expanded} bytes; the limit is {self.max_expanded_bytes}"
            )

    def check_chars(self, name: str, chars: int) -> None:
        if chars > self.max_chars:
            raise ContentTooLarge(
                f"the text of {name} passes {self.max_chars} characters: split the document"
            )
