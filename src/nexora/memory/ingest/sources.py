"""What one ingestion reads: a file, every supported file under a folder, a web URL, or a
Feishu document — resolved before the job starts, so its total is known."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from nexora.errors import InvalidInput
from nexora.memory.ingest.connectors.feishu import FeishuRef, parse_ref
from nexora.memory.ingest.convert import SUPPORTED, supported
from nexora.memory.ingest.limits import IngestLimits


@dataclass(frozen=True, slots=True)
class FileInput:
    path: Path
    name: str  # the name whose suffix says the type (an upload's original name)
    source: str  # what the chunks' `source` says


@dataclass(frozen=True, slots=True)
class UrlInput:
    url: str


@dataclass(frozen=True, slots=True)
class FeishuInput:
    ref: FeishuRef


Input = FileInput | UrlInput | FeishuInput


def describe(item: Input) -> str:
    if isinstance(item, FileInput):
        return item.source
    if isinstance(item, UrlInput):
        return item.url
    return f"feishu:{item.ref.kind}/{item.ref.token}"


def resolve_url(target: str) -> FeishuInput | UrlInput:
    """A remote document: a Feishu reference or URL, or an http(s) URL (never a local path,
    which is what the API takes from callers)."""
    ref = parse_ref(target)
    if ref is not None:
        return FeishuInput(ref)
    if target.startswith(("http://", "https://")):
        return UrlInput(target)
    raise InvalidInput(f"{target!r} is not an http(s) URL or a feishu: reference")


def resolve_target(target: str, limits: IngestLimits) -> Sequence[Input]:
    """A CLI target: a Feishu reference or URL, an http(s) URL, a file or a folder."""
    if parse_ref(target) is not None or target.startswith(("http://", "https://")):
        return [resolve_url(target)]
    path = Path(target).expanduser()
    if path.is_dir():
        return folder_inputs(path, limits)
    if path.is_file():
        if not supported(path):
            raise InvalidInput(
                f"{path.name}: unsupported file type; supported: {', '.join(sorted(SUPPORTED))}"
            )
        resolved = path.resolve()
        return [FileInput(resolved, resolved.name, str(resolved))]
    raise InvalidInput(f"{target} is not a file, a folder or a URL")


def folder_inputs(root: Path, limits: IngestLimits) -> list[FileInput]:
    """Supported files under `root` in path order, hidden files and folders left out."""
    root = root.resolve()
    found: list[FileInput] = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.is_file() and not path.is_symlink() and supported(path):
            if len(found) >= limits.max_files:
                raise InvalidInput(f"{root} holds more than {limits.max_files} documents")
            found.append(FileInput(path, path.name, str(path)))
    if not found:
        raise InvalidInput(f"{root} holds no supported documents ({', '.join(sorted(SUPPORTED))})")
    return found
