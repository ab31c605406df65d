"""What an artifact's key, kind and reference may look like."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nexora.errors import InvalidInput

MAX_KEY_CHARS = 200
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
_KIND = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
# `key@3` names a version; a bare key the latest.
_VERSIONED = re.compile(r"^(?P<key>.+)@(?P<version>[1-9][0-9]{0,8})$")
# Where the vault keeps its own files; no artifact may live there.
RESERVED = frozenset({".git", ".versions", "manifests"})


def check_key(key: str) -> str:
    """A relative path of plain segments: no `..`, no absolute path, no hidden or reserved
    folder, so a key can never write outside its vault."""
    if not key or len(key) > MAX_KEY_CHARS:
        raise InvalidInput(f"key: 1 to {MAX_KEY_CHARS} characters")
    segments = key.split("/")
    if segments[0] in RESERVED or not all(_SEGMENT.match(s) for s in segments):
        raise InvalidInput(
            "key: a relative path of segments made of letters, digits, '.', '_' and '-' "
            "(each starting with a letter or digit), e.g. 'design/api.md'"
        )
    return key


def check_kind(kind: str) -> str:
    if not _KIND.match(kind):
        raise InvalidInput("kind: a short lowercase slug such as 'design' or 'test_report'")
    return kind


@dataclass(frozen=True, slots=True)
class Ref:
    key: str
    version: int | None  # None: the latest


def parse_ref(ref: str) -> Ref:
    """`key` or `key@version` (artifact ids are looked up before this)."""
    ref = ref.strip()
    if match := _VERSIONED.match(ref):
        return Ref(check_key(match["key"]), int(match["version"]))
    return Ref(check_key(ref), None)
