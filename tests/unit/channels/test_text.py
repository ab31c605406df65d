"""Long replies are split within a platform's limit at the most natural break there is."""

from __future__ import annotations

import pytest

from nexora.channels.text import split_text


def test_a_short_reply_is_one_part() -> None:
    assert split_text("  Hello.  ", 100) == ["Hello."]
    assert split_text("   ", 100) == ["(empty reply)"]


def test_paragraphs_then_lines_then_sentences_then_words() -> None:
    text = "First paragraph here.\n\nSecond paragraph is longer than the first."
    assert split_text(text, 30) == [
        "First paragraph here.",
        "Second paragraph is longer",
        "than the first.",
    ]
    chinese = "第一句话很长很长。第二句话也很长很长。"
    assert split_text(chinese, 12) == ["第一句话很长很长。", "第二句话也很长很长。"]


def test_every_part_fits_and_nothing_is_lost() -> None:
    text = " ".join(f"word{i}" for i in range(500))
    parts = split_text(text, 97)
    assert all(0 < len(part) <= 97 for part in parts)
    assert " ".join(parts) == text


def test_a_word_longer_than_the_limit_is_cut() -> None:
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]
    with pytest.raises(ValueError, match="positive"):
        split_text("x", 0)
