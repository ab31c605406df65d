"""Chunks: bounded, overlapping within a passage, split at headings and sections, positioned."""

from __future__ import annotations

import itertools

import pytest

from nexora.memory.ingest.chunker import ChunkSettings, chunk_document
from nexora.memory.ingest.document import Document, Section

SENTENCES = " ".join(f"Step {i} tightens bolt number {i}." for i in range(80))


def _doc(*sections: Section) -> Document:
    return Document("guide.md", "guide", "markdown", sections)


def test_long_passages_overlap_and_every_chunk_stays_within_bounds() -> None:
    settings = ChunkSettings(max_chars=300, overlap=60)
    chunks = chunk_document(_doc(Section(SENTENCES, {})), settings)
    assert len(chunks) > 5
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert all(len(c.text) <= 300 for c in chunks)
    for before, after in itertools.pairwise(chunks):
        # The next chunk opens with the end of the previous one, from a sentence start.
        overlap = after.text.split("\n\n", 1)[0]
        assert overlap.startswith("Step ") and 0 < len(overlap) <= 60
        assert before.text.endswith(overlap)
    rebuilt = " ".join(c.text for c in chunks)
    assert all(f"Step {i} tightens" in rebuilt for i in range(80))


def test_headings_start_chunks_and_name_their_section() -> None:
    text = (
        "# Handbook\n\n## Travel\n\nBook trains two weeks ahead.\n\n"
        "## Expenses\n\nReceipts go to finance within 30 days.\n\n### Meals\n\nUp to 25 euros."
    )
    chunks = chunk_document(_doc(Section(text, {})), ChunkSettings(max_chars=1000, overlap=100))
    assert [(c.text, c.meta) for c in chunks] == [
        (
            "# Handbook\n\n## Travel\n\nBook trains two weeks ahead.",
            {"section": "Handbook > Travel"},
        ),
        (
            "## Expenses\n\nReceipts go to finance within 30 days.",
            {"section": "Handbook > Expenses"},
        ),
        ("### Meals\n\nUp to 25 euros.", {"section": "Handbook > Expenses > Meals"}),
    ]


def test_chunks_never_span_pages_and_carry_the_page() -> None:
    document = _doc(Section("First page text.", {"page": 1}), Section("Second.", {"page": 2}))
    chunks = chunk_document(document)
    assert [(c.position, c.text, c.meta) for c in chunks] == [
        (0, "First page text.", {"page": 1}),
        (1, "Second.", {"page": 2}),
    ]


def test_chinese_without_spaces_is_cut_at_full_stops() -> None:
    text = "".join(f"第{i}条规定员工每年有十五天带薪年假。" for i in range(60))
    chunks = chunk_document(_doc(Section(text, {})), ChunkSettings(max_chars=200, overlap=40))
    assert len(chunks) > 3 and all(len(c.text) <= 200 for c in chunks)
    assert all(c.text.endswith("。") for c in chunks)
    assert all(c.text.startswith("第") for c in chunks)  # overlap begins at a sentence


def test_a_line_without_any_break_is_still_cut_to_size() -> None:
    chunks = chunk_document(_doc(Section("x" * 1000, {})), ChunkSettings(max_chars=200, overlap=0))
    assert [len(c.text) for c in chunks] == [198] * 5 + [10]


def test_settings_refuse_an_overlap_that_would_not_advance() -> None:
    with pytest.raises(ValueError, match="overlap"):
        ChunkSettings(max_chars=200, overlap=150)
