"""LoCoMo turns as the Markdown notes a peer's memory folder holds, and search hits mapped back
to the turns they contain.

Each turn is one paragraph, `[D3:7] Speaker: text`, so the dia_id stays in the text the peer
indexes. A hit names a file and a line range (a chunk may span several turns, or cut one); the
turns on those lines are its dia_ids. Rule for the ranking: walk the hits in the peer's order,
take each hit's dia_ids in the order they appear in the file, skip ids already taken, stop at k.
Lines are used rather than the returned snippet because a peer may shorten the snippet.
Files are undated (`memory/locomo/...`), so OpenClaw's recency decay for dated daily notes
does not apply; the session's date is in the note's heading instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from _locomo_data import Conversation

Granularity = Literal["session", "turn"]
_DIA_ID = re.compile(r"\[(D\d+:\d+)\]")


@dataclass(frozen=True)
class Hit:
    """One search result as a peer reports it: a workspace-relative path and 1-based lines."""

    path: str
    start_line: int
    end_line: int
    text: str = ""


@dataclass
class Notes:
    """The notes written for one conversation: which turn sits on which line of which file."""

    root: Path  # the folder the peer resolves hit paths against (its workspace)
    lines: dict[str, dict[int, str]] = field(default_factory=dict)  # path -> line -> dia_id

    def dia_ids(self, hit: Hit) -> list[str]:
        by_line = self.lines.get(_normalise(hit.path))
        if by_line is None:
            # Not one of our files (a peer's own notes): read ids from the text, if any.
            return _DIA_ID.findall(hit.text)
        return [by_line[n] for n in sorted(by_line) if hit.start_line <= n <= hit.end_line]


def _normalise(path: str) -> str:
    return path.removeprefix("./")


def _turn_line(dia_id: str, speaker: str, text: str) -> str:
    return f"[{dia_id}] {speaker}: {' '.join(text.split())}"


def write_notes(conv: Conversation, workspace: Path, granularity: Granularity = "session") -> Notes:
    """Writes `memory/locomo/conv-<id>/*.md` under `workspace`, a note per session or turn."""
    notes = Notes(workspace)
    folder = Path("memory") / "locomo" / f"conv-{conv.id}"
    (workspace / folder).mkdir(parents=True, exist_ok=True)
    for session in conv.sessions:
        heading = f"# Session {session.number} ({session.date_time})"
        if granularity == "session":
            files = [(folder / f"session-{session.number:02d}.md", session.turns)]
        else:
            files = [(folder / f"{t.dia_id.replace(':', '-')}.md", (t,)) for t in session.turns]
        for rel, turns in files:
            body = [heading, ""]
            placed: dict[int, str] = {}
            for turn in turns:
                body.append(_turn_line(turn.dia_id, turn.speaker, turn.text))
                placed[len(body)] = turn.dia_id  # 1-based line number of the line just added
                body.append("")
            (workspace / rel).write_text("\n".join(body), encoding="utf-8")
            notes.lines[rel.as_posix()] = placed
    return notes


def rank_dia_ids(notes: Notes, hits: Iterable[Hit], k: int) -> list[str]:
    """The first k distinct dia_ids of the hits, in hit order then file order (module rule)."""
    ranked: dict[str, None] = {}
    for hit in hits:
        for dia_id in notes.dia_ids(hit):
            ranked.setdefault(dia_id, None)
            if len(ranked) == k:
                return list(ranked)
    return list(ranked)


def recall(ranked: Sequence[str], evidence: Sequence[str], k: int) -> float:
    """Share of the evidence turns found in the first k ranked dia_ids."""
    if not evidence:
        raise ValueError("recall of a question without evidence")
    top = set(ranked[:k])
    return sum(1 for e in evidence if e in top) / len(evidence)
