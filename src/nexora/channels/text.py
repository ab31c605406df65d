"""Long replies split within a platform's limit, at the most natural break available."""

from __future__ import annotations

_BREAKS = ("\n\n", "\n", ". ", "。", " ")


def split_text(text: str, limit: int) -> list[str]:
    """Parts of at most `limit` characters each, split at a paragraph, line, sentence or word
    boundary in the last half of a part when there is one, mid-word only when there is not."""
    if limit < 1:
        raise ValueError("limit must be positive")
    text = text.strip() or "(empty reply)"
    parts: list[str] = []
    while len(text) > limit:
        window = text[:limit]
        cut = 0
        for separator in _BREAKS:
            at = window.rfind(separator)
            if at >= limit // 2:
                cut = at + len(separator)
                break
        cut = cut or limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts
