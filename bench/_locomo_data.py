"""LoCoMo (snap-research/locomo, CC BY-NC 4.0, evaluation use only), read from the shared data
folder at run time, and the retrieval figures computed from ranked turns.

A conversation is a list of sessions, each a dated list of turns (`dia_id` "D<session>:<n>",
speaker, text, sometimes a shared photo described by `blip_caption`). A question names the
turns that support its answer (`evidence`). Some evidence ids are malformed in the data; they
are repaired when the intent is plain and dropped otherwise (`Evidence.repaired`/`dropped`)."""

from __future__ import annotations

import json
import re
import zipfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "locomo" / "locomo10.zip"
CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}
SCORED = (1, 2, 3, 4)  # adversarial questions have no answer in the conversation
_SESSION = re.compile(r"session_(\d+)")
# "D8:6", and the malformed forms seen in the data: "D:11:26", "D30:05".
_EVIDENCE = re.compile(r"D:?(\d+):0*(\d+)")


@dataclass(frozen=True, slots=True)
class Turn:
    dia_id: str
    session: int
    position: int
    speaker: str
    text: str
    caption: str | None
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    category: int
    evidence: tuple[str, ...]


@dataclass(slots=True)
class Conversation:
    name: str
    turns: list[Turn] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)


@dataclass(slots=True)
class Evidence:
    """What became of malformed evidence ids: raw id -> the ids kept, and the ids dropped."""

    repaired: dict[str, list[str]] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    questions_without_evidence: int = 0

    def parse(self, raw: str, known: set[str]) -> list[str]:
        # Several ids in one string ("D8:6; D9:17", "D9:1 D4:4") are split.
        kept = []
        for part in re.split(r"[;,\s]+", raw.strip()):
            match = _EVIDENCE.fullmatch(part)
            dia_id = f"D{int(match[1])}:{int(match[2])}" if match else None
            if dia_id in known:
                kept.append(dia_id)
            elif part:
                self.dropped.append(part)
        if kept != [raw]:
            self.repaired[raw] = kept
        return kept


def session_time(text: str) -> datetime:
    """'1:56 pm on 8 May, 2023' -> datetime."""
    return datetime.strptime(text.replace(",", ""), "%I:%M %p on %d %B %Y")


def load(path: Path = DATA) -> tuple[list[Conversation], Evidence]:
    evidence = Evidence()
    conversations = []
    with zipfile.ZipFile(path) as archive:
        names = sorted(n for n in archive.namelist() if n.endswith(".json"))
        for name in names:
            raw = json.loads(archive.read(name))
            conversation = Conversation(Path(name).stem)
            sessions = sorted(int(m[1]) for key in raw if (m := _SESSION.fullmatch(key)))
            for number in sessions:
                when = session_time(raw[f"session_{number}_date_time"])
                for position, turn in enumerate(raw[f"session_{number}"]):
                    conversation.turns.append(
                        Turn(
                            turn["dia_id"],
                            number,
                            position,
                            turn["speaker"],
                            turn["text"],
                            turn.get("blip_caption"),
                            when,
                        )
                    )
            known = {turn.dia_id for turn in conversation.turns}
            for qa in raw["qa"]:
                ids = [i for item in qa["evidence"] for i in evidence.parse(str(item), known)]
                if not ids:
                    evidence.questions_without_evidence += 1
                    continue
                conversation.questions.append(
                    Question(qa["question"], int(qa["category"]), tuple(dict.fromkeys(ids)))
                )
            conversations.append(conversation)
    return conversations, evidence


@dataclass(frozen=True, slots=True)
class Ranked:
    """One question's result: dia_ids in rank order, and the best session as the system saw it."""

    question: Question
    dia_ids: Sequence[str]
    top_session: int | None


def session_of(dia_id: str) -> int:
    return int(dia_id[1:].split(":")[0])


@dataclass(slots=True)
class Scores:
    """Per category and for categories 1-4: recall@5, recall@10, session hit@1."""

    rows: dict[str, dict[str, float]]
    counts: dict[str, int]


def score(results: Sequence[Ranked]) -> Scores:
    values: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for result in results:
        evidence = set(result.question.evidence)
        sessions = {session_of(i) for i in evidence}
        keys = [str(result.question.category)]
        if result.question.category in SCORED:
            keys.append("1-4")
        for key in keys:
            for k in (5, 10):
                found = len(evidence & set(result.dia_ids[:k]))
                values[key][f"recall@{k}"].append(found / len(evidence))
            values[key]["session hit@1"].append(float(result.top_session in sessions))
    rows = {k: {m: sum(v) / len(v) for m, v in metrics.items()} for k, metrics in values.items()}
    counts = {key: len(metrics["recall@5"]) for key, metrics in values.items()}
    return Scores(rows, counts)
