"""PDF, Word, Excel and PowerPoint through the built-in `documents` skill's reader.

That script is the one reader of these formats in Nexora: agents run it in the sandbox,
ingestion imports it here. It stays a standalone file (standard library and pypdf), so it
is loaded from its path, once, rather than imported as a package module."""

from __future__ import annotations

import importlib.util
import sys
import threading
from pathlib import Path
from types import ModuleType

from nexora.errors import NexoraError
from nexora.memory.ingest.document import Location, Section, UnreadableDocument
from nexora.memory.ingest.limits import IngestLimits

OFFICE_SUFFIXES = frozenset({".docx", ".xlsx", ".pptx"})
SUFFIXES = OFFICE_SUFFIXES | {".pdf"}
_MODULE_NAME = "nexora_documents_extract_text"
_lock = threading.Lock()


def _reader() -> ModuleType:
    with _lock:
        loaded = sys.modules.get(_MODULE_NAME)
        if loaded is not None:
            return loaded
        from nexora.skills.catalog import BUILTIN_DIR

        script = BUILTIN_DIR / "documents" / "scripts" / "extract_text.py"
        spec = importlib.util.spec_from_file_location(_MODULE_NAME, script)
        if spec is None or spec.loader is None:  # pragma: no cover - the file ships with us
            raise RuntimeError(f"cannot load the document reader at {script}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[_MODULE_NAME] = module
        spec.loader.exec_module(module)
        return module


def read_office(path: Path, name: str, limits: IngestLimits) -> list[Section]:
    """The sections of a PDF or Office file; raises UnreadableDocument with the reason."""
    suffix = path.suffix.lower()
    if suffix in OFFICE_SUFFIXES:
        limits.check_archive(name, path)
    reader = _reader()
    sections: list[Section] = []
    chars = 0
    try:
        for part in reader.parts(path):
            text = _join([line for line in part.lines if line != reader.NO_TEXT], part.kind)
            chars += len(text)
            limits.check_chars(name, chars)
            if text.strip():
                sections.append(Section(text, _location(part.kind, part.label)))
    except NexoraError:
        raise
    except reader.Unreadable as exc:
        raise UnreadableDocument(f"{name}: {exc}") from exc
    except Exception as exc:
        # A parser meeting an untrusted, damaged file can fail in many ways (pypdf raises
        # ValueError, KeyError...): each is the file's fault, reported with the file's name.
        raise UnreadableDocument(f"{name} could not be read: {type(exc).__name__}: {exc}") from exc
    return sections


def _join(lines: list[str], kind: str) -> str:
    """A sheet's rows stay together; elsewhere each line is a paragraph (a blank line between,
    so the chunker sees them), except the rows of one table."""
    if kind == "sheet":
        return "\n".join(lines)
    out: list[str] = []
    for line in lines:
        if out:
            in_table = line.startswith("|") and out[-1].startswith("|")
            out.append("\n" if in_table else "\n\n")
        out.append(line)
    return "".join(out)


def _location(kind: str, label: str) -> Location:
    if kind in ("page", "slide"):
        number = label.split(" of ", 1)[0]
        return {kind: int(number)} if number.isdigit() else {kind: label}
    return {kind: label} if kind else {}
