"""The files of a skill bundle: what may be read, and what no reader can vouch for.

Native binaries and compiled bytecode cannot be reviewed, symlinks may point at the
installer's own secrets, and a bundle too large to scan cannot be called clean. Text files
within the limits are handed back for the content checks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from nexora.skills.scan_report import Finding, Severity


@dataclass(frozen=True, slots=True)
class ScanLimits:
    max_files: int = 1_000
    max_file_bytes: int = 10 * 1024 * 1024
    max_total_bytes: int = 50 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class TextFile:
    relative: str  # forward slashes, relative to the skill folder
    text: str


@dataclass(slots=True)
class Inventory:
    texts: list[TextFile] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


_MAGIC = (
    (b"\x7fELF", "an ELF executable or library"),
    (b"MZ", "a Windows executable"),
    (b"\xfe\xed\xfa\xce", "a Mach-O binary"),
    (b"\xfe\xed\xfa\xcf", "a Mach-O binary"),
    (b"\xce\xfa\xed\xfe", "a Mach-O binary"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O binary"),
    (b"\xca\xfe\xba\xbe", "a Mach-O universal binary or Java class"),
    (b"\x00asm", "a WebAssembly module"),
)
_BINARY_SUFFIXES = {
    ".so": "a shared library",
    ".dll": "a Windows library",
    ".dylib": "a macOS library",
    ".exe": "a Windows executable",
    ".pyd": "a compiled Python extension",
    ".node": "a compiled Node.js addon",
    ".pyc": "compiled Python bytecode",
    ".pyo": "compiled Python bytecode",
    ".class": "compiled Java bytecode",
    ".jar": "a Java archive of bytecode",
    ".wasm": "a WebAssembly module",
}
_ARCHIVE_SUFFIXES = frozenset({".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".whl"})
_SNIFF = 8192


def inventory(root: Path, limits: ScanLimits) -> Inventory:
    result = Inventory()
    real_root = root.resolve()
    count = total = 0
    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        here = Path(directory)
        for name in [*dirnames, *sorted(filenames)]:
            path = here / name
            relative = path.relative_to(root).as_posix()
            if path.is_symlink():
                _check_symlink(path, relative, real_root, result)
                continue
            if name in dirnames:
                continue
            count += 1
            if count > limits.max_files:
                message = f"more than {limits.max_files} files; the rest were not scanned"
                result.findings.append(
                    Finding(Severity.HIGH, "bundle.too_many_files", relative, None, message)
                )
                return result
            size = path.stat().st_size
            total += size
            if total > limits.max_total_bytes:
                message = (
                    f"the bundle exceeds {limits.max_total_bytes} bytes; the rest were not scanned"
                )
                result.findings.append(
                    Finding(Severity.HIGH, "bundle.too_large", relative, None, message)
                )
                return result
            if size > limits.max_file_bytes:
                message = f"{size} bytes, over the {limits.max_file_bytes}-byte limit; not scanned"
                result.findings.append(
                    Finding(Severity.HIGH, "bundle.file_too_large", relative, None, message)
                )
                continue
            _classify(path, relative, result)
    return result


def _check_symlink(path: Path, relative: str, real_root: Path, result: Inventory) -> None:
    target = Path(os.path.realpath(path))
    if not target.is_relative_to(real_root):
        message = (
            f"a symlink to {os.readlink(path)}, outside the skill: installing it exposes that path"
        )
        result.findings.append(
            Finding(Severity.CRITICAL, "bundle.symlink_escape", relative, None, message)
        )
    elif not target.exists():
        message = f"a broken symlink to {os.readlink(path)}"
        result.findings.append(
            Finding(Severity.LOW, "bundle.broken_symlink", relative, None, message)
        )


def _classify(path: Path, relative: str, result: Inventory) -> None:
    with path.open("rb") as handle:
        head = handle.read(_SNIFF)
    suffix = path.suffix.lower()
    what = _BINARY_SUFFIXES.get(suffix) or next((w for m, w in _MAGIC if head.startswith(m)), None)
    if what == "a Windows executable" and not _is_pe(path):
        what = None  # "MZ" also starts plenty of ordinary data
    if what is not None:
        message = f"{what}: compiled code that cannot be reviewed"
        result.findings.append(Finding(Severity.HIGH, "bundle.binary", relative, None, message))
        return
    if suffix in _ARCHIVE_SUFFIXES:
        message = "an archive whose contents are not scanned"
        result.findings.append(Finding(Severity.MEDIUM, "bundle.archive", relative, None, message))
        return
    if b"\x00" in head:
        return  # images, fonts, PDFs: data the agent does not run
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return
    result.texts.append(TextFile(relative, text))


def _is_pe(path: Path) -> bool:
    """A real PE file names the offset of its "PE\\0\\0" header at byte 0x3C."""
    with path.open("rb") as handle:
        header = handle.read(0x40)
        if len(header) < 0x40:
            return False
        offset = int.from_bytes(header[0x3C:0x40], "little")
        handle.seek(offset)
        return handle.read(4) == b"PE\x00\x00"
