"""Characters that show nothing, or show text in an order other than it is read.

Zero-width characters hide words from a reviewer while the model still reads them, tag
characters (U+E0000-E007F) carry a whole invisible ASCII message, and bidirectional
controls make code or text display differently from what it is ("Trojan Source").
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from nexora.skills.scan_report import Finding, Severity

_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u180e")
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_TAGS = range(0xE0000, 0xE0080)
_MANY_ZERO_WIDTH = 8  # a handful is a stray paste; this many can spell a hidden message


def scan_unicode(text: str, file: str) -> list[Finding]:
    return [*_tags(text, file), *_bidi(text, file), *_zero_width(text, file)]


def _lines(text: str, wanted: set[int]) -> Iterator[tuple[int, int]]:
    """(offset, line) for each offset in `wanted`, in one pass over the text."""
    line = 1
    for offset, char in enumerate(text):
        if offset in wanted:
            yield offset, line
        if char == "\n":
            line += 1


def _tags(text: str, file: str) -> Iterator[Finding]:
    offsets = [i for i, ch in enumerate(text) if ord(ch) in _TAGS]
    if not offsets:
        return
    hidden = "".join(
        chr(ord(text[i]) - 0xE0000) for i in offsets if 0x20 <= ord(text[i]) - 0xE0000 < 0x7F
    )
    (_, line), *_ = _lines(text, {offsets[0]})
    message = f"{len(offsets)} invisible tag characters spelling “{hidden[:80]}”"
    yield Finding(Severity.CRITICAL, "unicode.tag_characters", file, line, message)


def _bidi(text: str, file: str) -> Iterator[Finding]:
    offsets = {i for i, ch in enumerate(text) if ch in _BIDI}
    reported: set[int] = set()
    for offset, line in _lines(text, offsets):
        if line in reported:
            continue
        reported.add(line)
        name = unicodedata.name(text[offset], hex(ord(text[offset])))
        message = f"bidirectional control {name}: the text displays in another order than it reads"
        yield Finding(Severity.HIGH, "unicode.bidi_control", file, line, message)


def _zero_width(text: str, file: str) -> Iterator[Finding]:
    offsets = {i for i, ch in enumerate(text) if ch in _ZERO_WIDTH and not _benign(text, i)}
    if not offsets:
        return
    first_line = next(line for _, line in _lines(text, {min(offsets)}))
    severity = Severity.HIGH if len(offsets) >= _MANY_ZERO_WIDTH else Severity.MEDIUM
    message = f"{len(offsets)} zero-width characters, invisible to a reviewer but read by the model"
    yield Finding(severity, "unicode.zero_width", file, first_line, message)


def _benign(text: str, offset: int) -> bool:
    char = text[offset]
    if char == "\ufeff" and offset == 0:
        return True  # a byte-order mark
    if char in "\u200c\u200d" and 0 < offset < len(text) - 1:
        # Joiners inside emoji sequences and in Persian, Arabic or Indic words.
        before, after = text[offset - 1], text[offset + 1]
        return not before.isascii() and not after.isascii()
    return False
