"""A skill's files in memory, checked before anything touches the disk.

Uploads arrive as a zip archive (any agent's skill folder, zipped) or as JSON text files.
Either way every path is checked (relative, no `..`, no links, no device names), the total
size and the number of files are bounded, and hidden files are dropped: they are never part
of a skill, and one of them (`.nexora-install.json`) is Nexora's own record of the install.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from nexora.errors import ContentTooLarge, InvalidInput
from nexora.skills.skill import SKILL_FILE

MAX_PATH_CHARS = 300
MAX_DEPTH = 8
# Folders that archivers and interpreters add and nobody means to ship.
_JUNK_DIRS = {"__MACOSX", "__pycache__"}
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # archives of the same files are byte-identical


@dataclass(frozen=True, slots=True)
class BundleLimits:
    max_bytes: int  # all files together, unpacked
    max_files: int


@dataclass(frozen=True, slots=True)
class BundleFile:
    path: str
    size: int


def clean_path(raw: str) -> str | None:
    """The normalised relative path, None for a file to leave out, or InvalidInput."""
    if not raw or "\x00" in raw or "\\" in raw:
        raise InvalidInput(f"file path {raw!r} is not a plain relative path")
    path = PurePosixPath(raw)
    if path.is_absolute() or ":" in path.parts[0]:
        raise InvalidInput(f"file path {raw!r} must be relative to the skill folder")
    parts = [p for p in path.parts if p != "."]
    if not parts or ".." in parts:
        raise InvalidInput(f"file path {raw!r} leaves the skill folder")
    if len(parts) > MAX_DEPTH or len(raw) > MAX_PATH_CHARS:
        raise InvalidInput(f"file path {raw[:80]!r}… is too long or too deep")
    if any(p.startswith(".") or p in _JUNK_DIRS for p in parts):
        return None
    return "/".join(parts)


class SkillBundle:
    """Validated files of one skill, keyed by their path relative to the skill folder."""

    def __init__(self, files: Mapping[str, bytes], folder: str | None = None) -> None:
        self.files = dict(sorted(files.items()))
        self.folder = folder  # the folder the files came in, when the upload had one
        if SKILL_FILE not in self.files:
            raise InvalidInput(f"a skill needs a {SKILL_FILE} at the top of its folder")

    @classmethod
    def from_text_files(cls, files: Mapping[str, str], limits: BundleLimits) -> SkillBundle:
        collected = _Collector(limits)
        for raw, text in files.items():
            collected.add(raw, text.encode("utf-8"))
        return cls(collected.files)

    @classmethod
    def from_zip(cls, data: bytes, limits: BundleLimits) -> SkillBundle:
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, ValueError) as exc:
            raise InvalidInput(f"not a zip archive: {exc}") from exc
        with archive:
            entries = archive.infolist()
            if len(entries) > 4 * limits.max_files:  # directories and junk count too
                raise ContentTooLarge(f"the archive has more than {limits.max_files} files")
            declared = sum(e.file_size for e in entries)
            if declared > limits.max_bytes:
                raise ContentTooLarge(_too_large(limits))
            collected = _Collector(limits)
            for entry in entries:
                if entry.is_dir():
                    continue
                if stat.S_ISLNK(entry.external_attr >> 16):
                    raise InvalidInput(f"{entry.filename!r} is a symbolic link; skills have none")
                if entry.flag_bits & 0x1:
                    raise InvalidInput(f"{entry.filename!r} is encrypted")
                try:
                    with archive.open(entry) as handle:
                        content = handle.read(limits.max_bytes + 1)
                except (zipfile.BadZipFile, NotImplementedError, OSError) as exc:
                    raise InvalidInput(f"cannot read {entry.filename!r}: {exc}") from exc
                collected.add(entry.filename, content)
        return cls(*_strip_top_folder(collected.files))

    @classmethod
    def from_dir(cls, root: Path, limits: BundleLimits) -> SkillBundle:
        """A skill folder on this machine (the CLI's `install DIR`); links are refused."""
        collected = _Collector(limits)
        for directory, dirs, files in os.walk(root):
            for name in [*dirs, *files]:
                full = Path(directory) / name
                if full.is_symlink():
                    raise InvalidInput(f"{full} is a symbolic link; skills have none")
            for name in files:
                full = Path(directory) / name
                collected.add(full.relative_to(root).as_posix(), full.read_bytes())
        return cls(collected.files, root.name)

    def listing(self) -> list[BundleFile]:
        return [BundleFile(path, len(content)) for path, content in self.files.items()]

    @property
    def size(self) -> int:
        return sum(len(c) for c in self.files.values())

    def digest(self) -> str:
        """Identifies the content, independent of how it was packed."""
        parts = [
            [path, hashlib.sha256(content).hexdigest()] for path, content in self.files.items()
        ]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()

    def archive(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path, content in self.files.items():
                info = zipfile.ZipInfo(path, date_time=_FIXED_TIME)
                info.external_attr = (stat.S_IFREG | 0o644) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, content)
        return buffer.getvalue()

    def write_to(self, directory: Path) -> None:
        """Creates the files under `directory`, which must exist; paths were checked."""
        for path, content in self.files.items():
            target = directory / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)


class _Collector:
    def __init__(self, limits: BundleLimits) -> None:
        self.limits = limits
        self.files: dict[str, bytes] = {}
        self.total = 0

    def add(self, raw: str, content: bytes) -> None:
        path = clean_path(raw)
        if path is None:
            return
        if path in self.files or any(p.startswith(path + "/") for p in self.files):
            raise InvalidInput(f"file path {path!r} appears twice")
        if any(path.startswith(p + "/") for p in self.files):
            raise InvalidInput(f"file path {path!r} is inside another file")
        self.total += len(content)
        if self.total > self.limits.max_bytes:
            raise ContentTooLarge(_too_large(self.limits))
        if len(self.files) >= self.limits.max_files:
            raise ContentTooLarge(f"a skill may have at most {self.limits.max_files} files")
        self.files[path] = content


def _too_large(limits: BundleLimits) -> str:
    return f"a skill's files may total at most {limits.max_bytes} bytes"


def _strip_top_folder(files: dict[str, bytes]) -> tuple[dict[str, bytes], str | None]:
    """`my-skill/SKILL.md, my-skill/scripts/x.py` → the files of `my-skill`: how people zip
    a folder. An archive with SKILL.md at its top is taken as it is."""
    if SKILL_FILE in files:
        return files, None
    tops = {path.split("/", 1)[0] for path in files}
    if len(tops) != 1:
        return files, None
    (top,) = tops
    if not all("/" in path for path in files):
        return files, None
    return {path.split("/", 1)[1]: content for path, content in files.items()}, top
