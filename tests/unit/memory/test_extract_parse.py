"""What extraction accepts of a model's answer: valid operations on memories it was shown."""

from __future__ import annotations

import json

import pytest

from nexora.memory.extract import AddOp, RetireOp, UpdateOp, parse_operations

KNOWN = {"m1", "m2"}


def test_operations_wrapped_in_prose_and_fences_are_read() -> None:
    answer = (
        "Here is what I found:\n```json\n"
        + json.dumps(
            {
                "operations": [
                    {"op": "add", "kind": "fact", "text": "Ann lives in Lisbon.", "reason": "said"},
                    {"op": "update", "id": "m1", "text": "Ann works at Globex."},
                    {"op": "retire", "id": "m2", "reason": "no longer true"},
                    {"op": "none"},
                ]
            }
        )
        + "\n```\nDone."
    )
    parsed = parse_operations(answer, KNOWN, max_ops=8)
    add, update, retire = parsed.operations
    assert isinstance(add, AddOp) and add.text == "Ann lives in Lisbon."
    assert isinstance(update, UpdateOp) and update.id == "m1"
    assert isinstance(retire, RetireOp) and retire.reason == "no longer true"
    assert parsed.skipped == 0


@pytest.mark.parametrize(
    "answer",
    [
        "",
        "Sure! I will remember that you like tea.",
        '{"operations": "add everything"}',
        '{"operations": [{"op": "add", "kind": "fact"',  # cut off
        "[1, 2, 3]",
        '{"facts": ["Ann likes tea"]}',
    ],
)
def test_junk_gives_no_operations(answer: str) -> None:
    assert parse_operations(answer, KNOWN, max_ops=8).operations == []


def test_invalid_operations_are_skipped_one_by_one() -> None:
    answer = json.dumps(
        [
            {"op": "add", "kind": "secret", "text": "password is hunter2"},  # no such kind
            {"op": "add", "kind": "fact", "text": ""},  # empty
            {"op": "update", "id": "someone-elses", "text": "hijacked"},  # not shown to it
            {"op": "delete", "id": "m1"},  # no such operation
            {"op": "retire", "id": "m1"},
            {"op": "update", "id": "m1", "text": "twice in one answer"},
            "add: Ann likes tea",
            {"op": "add", "kind": "preference", "text": "Ann prefers short answers."},
        ]
    )
    parsed = parse_operations(answer, KNOWN, max_ops=8)
    assert [(type(op).__name__, getattr(op, "text", None)) for op in parsed.operations] == [
        ("RetireOp", None),
        ("AddOp", "Ann prefers short answers."),
    ]
    assert parsed.skipped == 6


def test_at_most_max_ops_are_applied() -> None:
    ops = [{"op": "add", "kind": "fact", "text": f"Fact number {i}."} for i in range(20)]
    parsed = parse_operations(json.dumps({"operations": ops}), KNOWN, max_ops=5)
    assert len(parsed.operations) == 5
    assert parsed.skipped == 15
