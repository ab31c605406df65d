"""The LoCoMo side of the peers' memory benchmark: evidence repair, notes on disk, and the rule
that turns a peer's search hits (files and line ranges) into ranked dia_ids."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _bench_module(monkeypatch: pytest.MonkeyPatch, name: str) -> ModuleType:
    # The benchmark modules import each other by bare name, as scripts run from bench/ do.
    monkeypatch.syspath_prepend(str(BENCH))
    return importlib.import_module(name)


@pytest.fixture
def data(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    return _bench_module(monkeypatch, "_locomo_data")


@pytest.fixture
def docs(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    return _bench_module(monkeypatch, "_memory_docs")


def _conversation(data: ModuleType) -> object:
    turn, session = data.Turn, data.Session
    return data.Conversation(
        "7",
        ("Ann", "Bo"),
        (
            session(
                1,
                "1:00 pm on 1 May, 2023",
                (turn("D1:1", "Ann", "hi  there"), turn("D1:2", "Bo", "I paint")),
            ),
            session(
                2,
                "2:00 pm on 9 May, 2023",
                (turn("D2:1", "Ann", "a trip"), turn("D2:2", "Bo", "to Rome")),
            ),
        ),
    )


@pytest.mark.parametrize(
    ("raw", "ids"),
    [
        ("D8:6; D9:17", ["D8:6", "D9:17"]),
        ("D:11:26", ["D11:26"]),
        ("D30:05", ["D30:5"]),
        ("D9:1 D4:4", ["D9:1", "D4:4"]),
        ("D", []),
    ],
)
def test_malformed_evidence_is_repaired_or_dropped(
    data: ModuleType, raw: str, ids: list[str]
) -> None:
    assert data.repair_evidence(raw) == ids


def test_session_notes_keep_the_dia_id_and_map_line_ranges_back(
    docs: ModuleType, data: ModuleType, tmp_path: Path
) -> None:
    notes = docs.write_notes(_conversation(data), tmp_path, "session")
    first = tmp_path / "memory" / "locomo" / "conv-7" / "session-01.md"
    lines = first.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# Session 1 (1:00 pm on 1 May, 2023)"
    assert lines[2] == "[D1:1] Ann: hi there"
    assert lines[4] == "[D1:2] Bo: I paint"
    hit = docs.Hit("memory/locomo/conv-7/session-01.md", 1, 5)
    assert notes.dia_ids(hit) == ["D1:1", "D1:2"]
    assert notes.dia_ids(docs.Hit("memory/locomo/conv-7/session-01.md", 1, 4)) == ["D1:1"]
    assert notes.dia_ids(docs.Hit("./memory/locomo/conv-7/session-01.md", 4, 9)) == ["D1:2"]


def test_ranking_walks_hits_then_file_order_skips_repeats_and_stops_at_k(
    docs: ModuleType, data: ModuleType, tmp_path: Path
) -> None:
    notes = docs.write_notes(_conversation(data), tmp_path, "session")
    hits = [
        docs.Hit("memory/locomo/conv-7/session-02.md", 1, 9),
        docs.Hit("memory/locomo/conv-7/session-01.md", 5, 5),
        docs.Hit("memory/locomo/conv-7/session-02.md", 3, 3),
        docs.Hit("MEMORY.md", 1, 3, "nothing of ours"),
        docs.Hit("memory/locomo/conv-7/session-01.md", 1, 9),
    ]
    assert docs.rank_dia_ids(notes, hits, 10) == ["D2:1", "D2:2", "D1:2", "D1:1"]
    assert docs.rank_dia_ids(notes, hits, 3) == ["D2:1", "D2:2", "D1:2"]
    assert docs.recall(["D2:1", "D1:2"], ["D1:2", "D1:1"], 10) == 0.5


def test_turn_notes_are_one_file_per_turn(
    docs: ModuleType, data: ModuleType, tmp_path: Path
) -> None:
    notes = docs.write_notes(_conversation(data), tmp_path, "turn")
    assert sorted(notes.lines) == [
        f"memory/locomo/conv-7/D{s}-{t}.md" for s in (1, 2) for t in (1, 2)
    ]
    assert notes.dia_ids(docs.Hit("memory/locomo/conv-7/D2-2.md", 1, 3)) == ["D2:2"]


def test_qwenpaw_answer_text_parses_into_hits(monkeypatch: pytest.MonkeyPatch) -> None:
    peers = _bench_module(monkeypatch, "_memory_peers")
    answer = (
        "========== memory/locomo/conv-7/session-02.md:1-5 "
        "[score=0.0164 vector=0.8599 keyword=0.5754] ==========\n# Session 2\n\n[D2:1] Ann: a\n"
        "========== memory/locomo/conv-7/session-01.md:3-3 [score=0.0100] ==========\n[D1:1] x"
    )
    hits = peers.parse_qwenpaw_answer(answer)
    assert [(h.path, h.start_line, h.end_line) for h in hits] == [
        ("memory/locomo/conv-7/session-02.md", 1, 5),
        ("memory/locomo/conv-7/session-01.md", 3, 3),
    ]
    assert "[D2:1] Ann: a" in hits[0].text
    assert peers.parse_qwenpaw_answer("(no memory results)") == []


def test_the_shared_dataset_loads_whole(data: ModuleType) -> None:
    if not data.LOCOMO_ZIP.exists():
        pytest.skip(f"{data.LOCOMO_ZIP} is not on this machine")
    conversations, questions = data.load()
    assert len(conversations) == 10
    assert sum(len(s.turns) for c in conversations for s in c.sessions) == 5882
    assert len(questions) == 1986
    by_id = {q.id: q for q in questions}
    assert by_id["26:0"].evidence == ("D1:3",)
    repaired = [q for q in questions if q.conversation_id == "43" and "D11:26" in q.evidence]
    assert repaired
